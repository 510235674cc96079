/**
 * `BeeQueueRefresher`: sends refreshes to workers through a bee-queue queue
 * on a standalone Redis. The queue job id is derived from the cache key, so
 * one key has at most one queued refresh; jobs are removed once they end.
 */
import Queue from 'bee-queue'
import { DEFAULT_DISPATCH_TIMEOUT_MS, DEFAULT_MAX_PAYLOAD_BYTES, DEFAULT_QUEUE, DEFAULT_QUEUE_PREFIX, DEFAULT_REDIS_URL } from '../defaults.js'
import { CachebackError, messageOf } from '../errors.js'
import { jobIdOf } from '../keys.js'
import type { RefreshRequest, Refresher } from '../refresh/refresher.js'
import { serializePayload } from './payload.js'
import { type NewJob, addQueueJobs } from './enqueue.js'
import type { BeeQueueRedis } from './connection.js'
import { queueSettings, reloadScriptsOnReconnect } from './queue.js'

export type { BeeQueueRedis, BeeQueueRedisOptions } from './connection.js'

/** Options of `BeeQueueRefresher`. */
export interface BeeQueueRefresherOptions {
  /** Connection of the queue's Redis: `redis://host:port/db` or node-redis options. @default 'redis://127.0.0.1:6379' */
  redis?: BeeQueueRedis
  /** Queue name; workers must use the same. @default 'cacheback-refresh' */
  queue?: string
  /** Largest refresh payload accepted, bytes; larger ones are refused with `E_PAYLOAD_TOO_LARGE`. @default 65536 */
  maxPayloadBytes?: number
  /** Bound on one enqueue, ms; past it the refresh runs in-process instead. @default 1000 */
  dispatchTimeoutMs?: number
  /** bee-queue key prefix. @default 'bq' */
  prefix?: string
}

/** A job waiting for the save of its tick's batch. */
interface PendingSave {
  job: NewJob
  request: RefreshRequest
  resolve: () => void
  reject: (error: unknown) => void
}

/** The jobs dispatched to one queue in one tick, saved together. */
interface SaveBatch {
  pending: PendingSave[]
  /** Rejects what is still unsaved after `dispatchTimeoutMs` from the batch's first dispatch. */
  timer: NodeJS.Timeout
}

/**
 * Dispatches refreshes to bee-queue workers. The jobs dispatched in one tick
 * (the stale fields of one GraphQL execution level, say) are added with one
 * script call (`enqueue.ts`), bounded by one timer.
 */
export class BeeQueueRefresher implements Refresher {
  readonly name = 'bee-queue'
  readonly redis: BeeQueueRedis
  readonly queueName: string
  readonly prefix: string
  readonly maxPayloadBytes: number
  private readonly dispatchTimeoutMs: number
  private readonly queues = new Map<string, Queue>()
  private readonly unsaved = new Map<string, SaveBatch>()

  constructor(options: BeeQueueRefresherOptions = {}) {
    if (options.redis !== undefined && typeof options.redis === 'object' && typeof (options.redis as { sendCommand?: unknown }).sendCommand === 'function') {
      throw new CachebackError('E_INVALID_OPTION', 'BeeQueueRefresher: `redis` must be a URL or connection options, not a client instance (bee-queue uses its own node-redis client)')
    }
    this.redis = options.redis ?? DEFAULT_REDIS_URL
    this.queueName = options.queue ?? DEFAULT_QUEUE
    this.prefix = options.prefix ?? DEFAULT_QUEUE_PREFIX
    this.maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES
    this.dispatchTimeoutMs = options.dispatchTimeoutMs ?? DEFAULT_DISPATCH_TIMEOUT_MS
  }

  private producer(name: string): Queue {
    let queue = this.queues.get(name)
    if (!queue) {
      queue = new Queue(name, queueSettings(this.redis, this.prefix, { isWorker: false, getEvents: false, sendEvents: false, storeJobs: false }))
      // Connection errors surface on the dispatch that hits them; keep them off the process.
      queue.on('error', () => undefined)
      reloadScriptsOnReconnect(queue, () => undefined) // a failed load surfaces on the next dispatch
      this.queues.set(name, queue)
    }
    return queue
  }

  async dispatch(request: RefreshRequest): Promise<void> {
    const dataJson = serializePayload(request, this.maxPayloadBytes)
    // A worker gives the refresh up after refreshTimeout; the lock keeps others off until then too.
    const timeoutMs = request.timeoutMs === undefined ? undefined : Math.max(0, Math.ceil(request.timeoutMs))
    try {
      await this.save(request.queue ?? this.queueName, { job: { id: jobIdOf(request.key), dataJson, timeoutMs }, request })
    } catch (cause) {
      if (cause instanceof CachebackError) throw cause
      throw new CachebackError('E_DISPATCH_FAILED', `Refresh of "${request.job}" could not be queued: ${messageOf(cause)}`, { job: request.job, key: request.key, cause })
    }
  }

  /** Saves `job` with the others dispatched to its queue in this tick; rejects once `dispatchTimeoutMs` has passed unsaved. */
  private save(name: string, item: Omit<PendingSave, 'resolve' | 'reject'>): Promise<void> {
    let batch = this.unsaved.get(name)
    if (!batch) {
      const pending: PendingSave[] = []
      const timer = setTimeout(() => pending.splice(0).forEach(({ request, reject }) => reject(notQueuedInTime(request, this.dispatchTimeoutMs))), this.dispatchTimeoutMs)
      batch = { pending, timer }
      this.unsaved.set(name, batch)
      setImmediate(() => this.flush(name, { pending, timer }))
    }
    const { pending } = batch
    return new Promise<void>((resolve, reject) => pending.push({ ...item, resolve, reject }))
  }

  private flush(name: string, { pending, timer }: SaveBatch): void {
    this.unsaved.delete(name)
    const settle = (error?: unknown) => {
      clearTimeout(timer)
      for (const p of pending.splice(0)) error === undefined ? p.resolve() : p.reject(error)
    }
    let queue: Queue
    try {
      queue = this.producer(name)
    } catch (error) {
      settle(error)
      return
    }
    addQueueJobs(
      queue,
      pending.map((p) => p.job),
      Date.now(),
    ).then(() => settle(), settle)
  }

  async close(): Promise<void> {
    const queues = [...this.queues.values()]
    this.queues.clear()
    await Promise.all(queues.map((queue) => queue.close(1000).catch(() => undefined)))
  }
}

function notQueuedInTime(request: RefreshRequest, timeoutMs: number): CachebackError {
  return new CachebackError('E_DISPATCH_FAILED', `Refresh of "${request.job}" was not queued within ${timeoutMs} ms`, { job: request.job, key: request.key })
}
