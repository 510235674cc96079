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
import { type RefreshPayload, encodePayload } from './payload.js'
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
  job: Queue.Job<RefreshPayload>
  resolve: () => void
  reject: (error: unknown) => void
}

/**
 * Dispatches refreshes to bee-queue workers. The jobs dispatched in one tick
 * (the stale fields of one GraphQL execution level, say) are saved with one
 * `Queue#saveAll`: one write to Redis for all of them.
 */
export class BeeQueueRefresher implements Refresher {
  readonly name = 'bee-queue'
  readonly redis: BeeQueueRedis
  readonly queueName: string
  readonly prefix: string
  readonly maxPayloadBytes: number
  private readonly dispatchTimeoutMs: number
  private readonly queues = new Map<string, Queue>()
  private readonly unsaved = new Map<string, PendingSave[]>()

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
    const payload = encodePayload(request, this.maxPayloadBytes)
    const job = this.producer(request.queue ?? this.queueName).createJob(payload).setId(jobIdOf(request.key))
    // A worker gives the refresh up after refreshTimeout; the lock keeps others off until then too.
    if (request.timeoutMs !== undefined) job.timeout(Math.ceil(request.timeoutMs))
    const save = this.save(request.queue ?? this.queueName, job)
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new CachebackError('E_DISPATCH_FAILED', `Refresh of "${request.job}" was not queued within ${this.dispatchTimeoutMs} ms`, { job: request.job, key: request.key })),
        this.dispatchTimeoutMs,
      )
    })
    try {
      await Promise.race([save, timeout])
    } catch (cause) {
      if (cause instanceof CachebackError) throw cause
      throw new CachebackError('E_DISPATCH_FAILED', `Refresh of "${request.job}" could not be queued: ${messageOf(cause)}`, { job: request.job, key: request.key, cause })
    } finally {
      clearTimeout(timer)
    }
  }

  /** Saves `job` with the others dispatched to its queue in this tick. */
  private save(name: string, job: Queue.Job<RefreshPayload>): Promise<void> {
    let batch = this.unsaved.get(name)
    if (!batch) {
      const pending: PendingSave[] = (batch = [])
      this.unsaved.set(name, pending)
      setImmediate(() => {
        this.unsaved.delete(name)
        this.producer(name)
          .saveAll(pending.map((p) => p.job))
          .then(
            (errors) => pending.forEach((p) => (errors.has(p.job) ? p.reject(errors.get(p.job)) : p.resolve())),
            (error: unknown) => pending.forEach((p) => p.reject(error)),
          )
      })
    }
    return new Promise<void>((resolve, reject) => batch.push({ job, resolve, reject }))
  }

  async close(): Promise<void> {
    const queues = [...this.queues.values()]
    this.queues.clear()
    await Promise.all(queues.map((queue) => queue.close(1000).catch(() => undefined)))
  }
}
