/**
 * The refresh worker: takes refresh jobs off the bee-queue queue and runs
 * them through a `Cacheback` (fetch, compare-and-set store, release lock).
 * Unknown jobs, malformed payloads and payloads over `maxPayloadBytes` are
 * rejected with a coded error, reported as `refresh-failed`, and the worker
 * keeps running.
 */
import Queue from 'bee-queue'
import type { Cacheback } from '../cacheback.js'
import { CachebackError } from '../errors.js'
import type { AnyJob } from '../job.js'
import { BeeQueueRefresher, type BeeQueueRedis, queueSettings, reloadScriptsOnReconnect } from './bee-queue.js'
import { lockKeyOf } from '../keys.js'
import { DEFAULT_MAX_PAYLOAD_BYTES, type PayloadLimits, decodePayload } from './payload.js'

/** Default number of refreshes a worker runs at once. */
export const DEFAULT_WORKER_CONCURRENCY = 16

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
}

/** A running worker. */
export interface RefreshWorker {
  /** The bee-queue queue it consumes. */
  readonly queue: Queue
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
function consume(queue: Queue, cache: Cacheback, concurrency: number, limits: PayloadLimits): void {
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
    const marked = cache.store.markLockFailed(lockKeyOf(key), token).catch((storeError) => cache.emit({ type: 'store-error', job: name, key, error: storeError }))
    cache.track(marked.then(() => cache.emit({ type: 'refresh-failed', job: name, key, error })))
  })
  queue.process(concurrency, async (job) => {
    let request
    try {
      request = decodePayload(job.data, String(job.id), limits)
    } catch (error) {
      const payload = error as CachebackError
      cache.emit({ type: 'refresh-failed', job: payload.job, key: payload.key, error })
      reported.add(payload)
      throw error
    }
    try {
      await cache.runRefresh(request)
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
  const redis = options.redis ?? producer?.redis ?? 'redis://127.0.0.1:6379'
  const stallInterval = options.stallInterval ?? 5000
  const limits = payloadLimits(options, producer)
  const queue = new Queue(
    options.queue ?? producer?.queueName ?? 'cacheback-refresh',
    queueSettings(redis, options.prefix ?? producer?.prefix ?? 'bq', { isWorker: true, getEvents: false, sendEvents: false, stallInterval }),
  )
  queue.on('error', (error) => cache.emit({ type: 'store-error', error }))
  reloadScriptsOnReconnect(queue, (error) => cache.emit({ type: 'store-error', error }))
  consume(queue, cache, options.concurrency ?? DEFAULT_WORKER_CONCURRENCY, limits)
  const stallTimer = setInterval(() => {
    queue.checkStalledJobs().catch((error) => cache.emit({ type: 'store-error', error }))
  }, stallInterval)
  stallTimer.unref()
  return {
    queue,
    ready: async () => {
      await queue.ready()
      await queue.checkStalledJobs()
    },
    close: async (timeoutMs = 30_000) => {
      clearInterval(stallTimer)
      await queue.close(timeoutMs)
    },
  }
}
