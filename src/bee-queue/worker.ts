/**
 * The refresh worker: takes refresh jobs off the bee-queue queue and runs
 * them through a `Cacheback` (fetch, compare-and-set store, release lock).
 * Unknown jobs, malformed payloads and payloads over `maxPayloadBytes` are
 * rejected with a coded error, reported as `refresh-failed`, and the worker
 * keeps running.
 */
import Queue from 'bee-queue'
import type { Cacheback } from '../cacheback.js'
import { DEFAULT_MAX_PAYLOAD_BYTES, DEFAULT_QUEUE, DEFAULT_QUEUE_PREFIX, DEFAULT_REDIS_URL, DEFAULT_STALL_INTERVAL_MS, DEFAULT_WORKER_CLOSE_TIMEOUT_MS, DEFAULT_WORKER_CONCURRENCY } from '../defaults.js'
import { CachebackError } from '../errors.js'
import { refreshFailedEvent, storeErrorEvent } from '../events.js'
import type { AnyJob } from '../job.js'
import { lockKeyOf } from '../keys.js'
import { type PayloadLimits, decodePayload } from './payload.js'
import type { BeeQueueRedis } from './connection.js'
import { queueSettings, reloadScriptsOnReconnect } from './queue.js'
import { BeeQueueRefresher } from './refresher.js'

/** A function made by `cacheback(fn)`. */
export type CachedFunctionLike = ((...args: never[]) => unknown) & { job: AnyJob }

/** Options of a refresh worker. */
export interface RefreshWorkerOptions {
  /** The cache the refreshes write to (its store and namespace must match the servers'). */
  cache: Cacheback
  /** Jobs this worker runs, besides those already registered with `cache`. */
  jobs?: readonly (AnyJob | CachedFunctionLike)[]
  /** Refreshes run at once (refreshes mostly wait on upstreams). @default 16 */
  concurrency?: number
  /** Queue Redis connection. @default the cache's `BeeQueueRefresher` setting */
  redis?: BeeQueueRedis
  /** Queue name. @default the cache's `BeeQueueRefresher` setting, else 'cacheback-refresh' */
  queue?: string
  /** bee-queue key prefix. @default the cache's `BeeQueueRefresher` setting, else 'bq' */
  prefix?: string
  /** Ms between stalled-job checks; a job of a dead worker is rerun after about this long. @default 5000 */
  stallInterval?: number
  /**
   * Largest refresh payload this worker decodes, in bytes (its JSON). A larger
   * queue job is not decoded: it fails with `E_PAYLOAD_TOO_LARGE`, reported as
   * `refresh-failed`, and the worker carries on.
   * @default the cache's `BeeQueueRefresher` setting, else 65536
   */
  maxPayloadBytes?: number
  /** Resolves once every job this worker runs is registered (schema jobs load lazily); jobs wait for it. */
  jobsReady?: Promise<unknown>
}

/** A queue listener (bee-queue passes the job and its result or error). */
type QueueListener = (...args: any[]) => void

/**
 * The bee-queue `Queue` a worker consumes, typed by what this package
 * promises of it (bee-queue's own types need `@types/redis`); at runtime it
 * is the full bee-queue queue.
 */
export interface RefreshQueue {
  /** The queue name. */
  readonly name: string
  /** Listens to a queue event: `ready`, `error`, `succeeded` (job, result), `failed` (job, error), `retrying`, `stalled` (job id). */
  on(event: string, listener: QueueListener): this
  /** Like `on`, once. */
  once(event: string, listener: QueueListener): this
  /** Removes a listener. */
  removeListener(event: string, listener: QueueListener): this
  /** Job counts by state. */
  checkHealth(): Promise<{ waiting: number; active: number; succeeded: number; failed: number; delayed: number; newestJob?: string }>
}

/** A running worker. */
export interface RefreshWorker {
  /** The bee-queue queue it consumes. */
  readonly queue: RefreshQueue
  /** Resolves once connected and consuming. */
  ready(): Promise<void>
  /** Stops taking jobs and waits up to `timeoutMs` for running refreshes. @default 30000 */
  close(timeoutMs?: number): Promise<void>
}

/** The largest payload a worker decodes: its option, else the producer's setting, else the default. */
function payloadLimits(options: RefreshWorkerOptions, producer: BeeQueueRefresher | undefined): PayloadLimits {
  const maxBytes = options.maxPayloadBytes ?? producer?.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES
  if (!Number.isInteger(maxBytes) || maxBytes <= 0) {
    throw new CachebackError('E_INVALID_OPTION', `Refresh worker: option "maxPayloadBytes" must be a positive whole number of bytes, got ${String(options.maxPayloadBytes)}`)
  }
  return { maxBytes }
}

/**
 * The queue's handlers. Failures thrown by the job handler were reported by
 * it; a job bee-queue gave up on (its timeout, the key's refreshTimeout) was
 * not: the `failed` handler reports it and marks the lock failed.
 */
function consume(queue: Queue, options: RefreshWorkerOptions, limits: PayloadLimits): void {
  const { cache } = options
  const reported = new WeakSet<object>() // failures already reported as events
  queue.on('failed', (job, error) => {
    if (reported.has(error)) return
    let request
    try {
      request = decodePayload(job.data, String(job.id), limits)
    } catch {
      return
    }
    const { job: name, key, token } = request
    const marked = cache.store.markLockFailed(lockKeyOf(key), token).catch((storeError) => cache.emit(storeErrorEvent(storeError, name, key)))
    cache.track(marked.then(() => cache.emit(refreshFailedEvent(error, name, key, { via: 'bee-queue' }))))
  })
  queue.process(options.concurrency ?? DEFAULT_WORKER_CONCURRENCY, async (job) => {
    let request
    try {
      request = decodePayload(job.data, String(job.id), limits)
    } catch (error) {
      const payload = error as CachebackError
      cache.emit(refreshFailedEvent(error, payload.job, payload.key, { via: 'bee-queue' }))
      reported.add(payload)
      throw error
    }
    try {
      await options.jobsReady
      await cache.runRefresh({ ...request, via: 'queue' }) // skipped when the dispatcher's in-process fallback claimed it
    } catch (error) {
      const thrown = typeof error === 'object' && error !== null ? error : new Error(String(error))
      reported.add(thrown)
      throw thrown
    }
  })
}

/** Starts a worker that runs dispatched refreshes. */
export function startRefreshWorker(options: RefreshWorkerOptions): RefreshWorker {
  const { cache } = options
  for (const item of options.jobs ?? []) cache.register(typeof item === 'function' ? item.job : (item as AnyJob))
  const producer = cache.refresher instanceof BeeQueueRefresher ? cache.refresher : undefined
  const redis = options.redis ?? producer?.redis ?? DEFAULT_REDIS_URL
  const stallInterval = options.stallInterval ?? DEFAULT_STALL_INTERVAL_MS
  const limits = payloadLimits(options, producer)
  const queue = new Queue(
    options.queue ?? producer?.queueName ?? DEFAULT_QUEUE,
    queueSettings(redis, options.prefix ?? producer?.prefix ?? DEFAULT_QUEUE_PREFIX, { isWorker: true, getEvents: false, sendEvents: false, stallInterval }),
  )
  queue.on('error', (error) => cache.emit(storeErrorEvent(error)))
  reloadScriptsOnReconnect(queue, (error) => cache.emit(storeErrorEvent(error)))
  consume(queue, options, limits)
  const stallTimer = setInterval(() => {
    queue.checkStalledJobs().catch((error) => cache.emit(storeErrorEvent(error)))
  }, stallInterval)
  stallTimer.unref()
  return {
    queue,
    ready: async () => {
      await options.jobsReady
      await queue.ready()
      await queue.checkStalledJobs()
    },
    close: async (timeoutMs = DEFAULT_WORKER_CLOSE_TIMEOUT_MS) => {
      clearInterval(stallTimer)
      await queue.close(timeoutMs)
    },
  }
}
