/**
 * The refresh worker: takes refresh jobs off the bee-queue queue (many per
 * Redis round trip, `job-loop.ts`) and runs them through a `Cacheback`
 * (fetch, compare-and-set store, release lock).
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
import { lockSafetyNetMs } from '../refresh/dispatch.js'
import type { RefreshRequest } from '../refresh/refresher.js'
import { JobLoop, type QueueJob } from './job-loop.js'
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
  /**
   * Refreshes fetching at once (a refresh frees its slot once its fetch has
   * returned; its write finishes outside it); refreshes mostly wait on
   * upstreams, so this sets the refresh rate (README "Sizing the worker"). @default 64
   */
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
  /**
   * The bee-queue queue it consumes. Besides bee-queue's own events it emits
   * `succeeded` (job) and `failed` (job, error) once a refresh job is done and
   * removed from the queue.
   */
  readonly queue: RefreshQueue
  /** Resolves once connected and consuming. */
  ready(): Promise<void>
  /**
   * Stops taking jobs and waits up to `timeoutMs` for running refreshes;
   * rejects ("Operation timed out") when some are still running then.
   * @default 30000
   */
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
 * Frees a refresh's worker slot once its fetch has returned (the cache's
 * `fetch` event for its key): the compare-and-set write and the lock
 * hand-over, Redis calls bounded by the store's command timeout, finish
 * outside the slot, so `concurrency` bounds the fetches (the upstream calls)
 * at once and the next refresh does not wait for the write.
 */
class SlotsByKey {
  private readonly byKey = new Map<string, () => void>()
  readonly stop: () => void

  constructor(cache: Cacheback) {
    this.stop = cache.addListener((event) => {
      if (event.type === 'fetch') this.byKey.get(event.key)?.()
    })
  }

  /** Runs `refresh`, releasing the slot when the fetch of `key` has returned (or at the latest when it ends). */
  async hold(key: string, release: () => void, refresh: () => Promise<void>): Promise<void> {
    this.byKey.set(key, release)
    try {
      await refresh()
    } finally {
      if (this.byKey.get(key) === release) this.byKey.delete(key)
    }
  }
}

/** Jobs a worker takes ahead of free slots, as a share of its concurrency: enough that a freed slot starts the next refresh, already claimed, at once. */
const PREFETCH_SHARE = 1 / 4

/**
 * A queue job prepared while it waits for a slot: its request and, when
 * claimed ahead, whether this path won the claim; or why it was refused.
 */
type PreparedJob = { request: RefreshRequest; claimed?: boolean } | { refused: unknown }

/**
 * Decodes a job and claims its refresh for the queue path (`Store.claimRefresh`)
 * before it gets a slot. Never rejects: a job it cannot claim ahead (unknown
 * job, a store that does not answer) is claimed, or reported, by the refresh.
 */
async function prepareJob(cache: Cacheback, job: QueueJob, context: { jobsReady?: Promise<unknown>; limits: PayloadLimits }): Promise<PreparedJob> {
  let request: RefreshRequest
  try {
    request = decodePayload(job.data, job.id, context.limits)
  } catch (refused) {
    return { refused }
  }
  const found = await Promise.resolve(context.jobsReady).then(
    () => cache.findJob(request.job),
    () => undefined,
  )
  if (!found) return { request }
  try {
    const ttlMs = lockSafetyNetMs(found.refreshTimeout(...request.args) * 1000)
    return { request, claimed: await cache.store.claimRefresh(lockKeyOf(request.key), { token: request.token, via: 'queue', ttlMs }) }
  } catch {
    return { request } // the refresh claims it itself (and reports what fails)
  }
}

/**
 * The job loop over the queue. Failures thrown by the job handler were
 * reported by it; a job given up on (its timeout, the key's refreshTimeout)
 * was not: it is reported here and its lock marked failed.
 */
function consume(queue: Queue, options: RefreshWorkerOptions, limits: PayloadLimits, slots: SlotsByKey): JobLoop<PreparedJob> {
  const { cache } = options
  const reported = new WeakSet<object>() // failures already reported as events
  const concurrency = options.concurrency ?? DEFAULT_WORKER_CONCURRENCY
  const context = { jobsReady: options.jobsReady, limits }
  return new JobLoop<PreparedJob>({
    queue,
    concurrency,
    prefetch: Math.ceil(concurrency * PREFETCH_SHARE),
    stallIntervalMs: options.stallInterval ?? DEFAULT_STALL_INTERVAL_MS,
    prepare: (job) => prepareJob(cache, job, context),
    handle: async (job, release, prepared) => runJob(cache, prepared ?? (await prepareJob(cache, job, context)), { ...context, reported, slot: { slots, release } }),
    finished: (job, error) => {
      if (error !== undefined && !(typeof error === 'object' && error !== null && reported.has(error))) reportGivenUp(cache, job, error, limits)
      // bee-queue's worker events, for those who count finished jobs.
      if (error === undefined) queue.emit('succeeded', job, undefined)
      else queue.emit('failed', job, error)
    },
    onError: (error) => cache.emit(storeErrorEvent(error)),
  })
}

/** Runs one prepared queue job: a refresh. Failures are reported (by `runRefresh`, or here for payloads) and rethrown. */
async function runJob(
  cache: Cacheback,
  prepared: PreparedJob,
  context: { jobsReady?: Promise<unknown>; reported: WeakSet<object>; slot: { slots: SlotsByKey; release: () => void } },
): Promise<void> {
  if ('refused' in prepared) {
    const payload = prepared.refused as CachebackError
    cache.emit(refreshFailedEvent(payload, payload.job, payload.key, { via: 'bee-queue' }))
    context.reported.add(payload)
    throw payload
  }
  const { request, claimed } = prepared
  if (claimed === false) return // the dispatcher's in-process fallback claimed it first: it runs (and reports) the refresh
  try {
    await context.jobsReady
    const { slots, release } = context.slot
    // Claimed ahead: not claimed again; else the refresh claims it (and is skipped when the in-process fallback has it).
    await slots.hold(request.key, release, () => cache.runRefresh({ ...request, via: 'queue', ...(claimed ? { claimed: true } : {}) }))
  } catch (error) {
    const thrown = typeof error === 'object' && error !== null ? error : new Error(String(error))
    context.reported.add(thrown)
    throw thrown
  }
}

/** A job given up without a report (its timeout, the key's refreshTimeout): report it, and mark the lock failed. */
function reportGivenUp(cache: Cacheback, job: QueueJob, error: unknown, limits: PayloadLimits): void {
  let request
  try {
    request = decodePayload(job.data, job.id, limits)
  } catch {
    return
  }
  const { job: name, key, token } = request
  const marked = cache.store.markLockFailed(lockKeyOf(key), token).catch((storeError) => cache.emit(storeErrorEvent(storeError, name, key)))
  cache.track(marked.then(() => cache.emit(refreshFailedEvent(error, name, key, { via: 'bee-queue', ahead: request.ahead }))))
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
  const slots = new SlotsByKey(cache)
  const loop = consume(queue, options, limits, slots)
  const started = (async () => {
    await options.jobsReady
    await queue.ready()
    await queue.checkStalledJobs()
    loop.start()
  })()
  started.catch((error) => cache.emit(storeErrorEvent(error)))
  const stallTimer = setInterval(() => {
    queue.checkStalledJobs().catch((error) => cache.emit(storeErrorEvent(error)))
  }, stallInterval)
  stallTimer.unref()
  return {
    queue,
    ready: () => started,
    close: async (timeoutMs = DEFAULT_WORKER_CLOSE_TIMEOUT_MS) => {
      clearInterval(stallTimer)
      await started.catch(() => undefined)
      const stillRunning = await loop.close(timeoutMs)
      slots.stop()
      await queue.close(timeoutMs)
      if (stillRunning > 0) throw new Error(`Operation timed out: ${stillRunning} refreshes still running after ${timeoutMs} ms (the stall check hands their jobs to another worker)`)
    },
  }
}
