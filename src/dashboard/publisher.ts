/**
 * `publishStats`: a process's counters, written to Redis every `intervalMs`
 * so the dashboard and `cacheback stats` see the whole deployment. A failed
 * publication is retried at the next interval; it never affects reads.
 */
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { Redis } from 'ioredis'
import type { Cacheback } from '../cacheback.js'
import { DEFAULT_STATS_INTERVAL_MS, STATS_TTL_INTERVALS } from '../defaults.js'
import { CachebackError } from '../errors.js'
/** An ioredis client (the dashboard and the ops command use commands beyond the store's). */
type RedisClient = import('ioredis').Redis | import('ioredis').Cluster
import { ProcessStats, type ProcessStatsOptions } from './process-stats.js'
import { type ProcessInfo, type PublishedProcess, type QueueSnapshot, statsIndexKey, statsProcessKey, toHash } from './published.js'

/** A bee-queue `Queue` (a worker's `worker.queue`): its name and `checkHealth()`. */
export interface HealthCheckedQueue {
  readonly name: string
  checkHealth(): Promise<{ waiting: number; active: number; failed: number; delayed: number }>
}

/** Options of {@link publishStats}. */
export interface PublishStatsOptions extends Omit<ProcessStatsOptions, 'namespace' | 'now'> {
  /** The cache whose events are counted. */
  cache: Cacheback
  /** Redis to publish to: an ioredis client (not closed by `stop()`) or a URL. @default the cache's `RedisStore` client */
  redis?: RedisClient | string
  /** Ms between publications; the figures vanish about 3 intervals after the process stops. @default 5000 */
  intervalMs?: number
  /** What this process is, as shown on the dashboard. @default 'server' */
  role?: string
  /** A worker's queue: its depth is published too. */
  queue?: HealthCheckedQueue
  /** Wall clock, ms. @default Date.now */
  now?: () => number
}

/** A running publication. */
export interface StatsPublisher {
  /** This process's id on the dashboard. */
  readonly id: string
  /** The counters being published. */
  readonly stats: ProcessStats
  /** Publishes now (also what the interval does); rejects when Redis fails. */
  publish(): Promise<void>
  /** Stops publishing and the counting, removes this process's figures, closes a client it opened. */
  stop(): Promise<void>
}

/** The Redis client of a cache's store, when it is a `RedisStore`. */
function storeClient(cache: Cacheback): RedisClient | undefined {
  const client = (cache.store as { client?: unknown }).client
  return typeof (client as { hset?: unknown } | undefined)?.hset === 'function' ? (client as RedisClient) : undefined
}

/** Counts the cache's events and publishes them to Redis at a fixed interval. */
export function publishStats(options: PublishStatsOptions): StatsPublisher {
  const { cache } = options
  const given = options.redis ?? storeClient(cache)
  if (given === undefined) throw new CachebackError('E_INVALID_OPTION', 'publishStats: give `redis` (a client or URL): the cache does not use a RedisStore')
  const client = typeof given === 'string' ? new Redis(given, { maxRetriesPerRequest: 1 }) : given
  if (typeof given === 'string') client.on('error', () => undefined) // publication failures are retried, never thrown
  const now = options.now ?? Date.now
  const intervalMs = options.intervalMs ?? DEFAULT_STATS_INTERVAL_MS
  const stats = new ProcessStats({ ...options, namespace: cache.namespace, now })
  const removeListener = cache.addListener(stats.listener)
  const info: ProcessInfo = { id: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`, role: options.role ?? 'server', host: hostname(), pid: process.pid, startedAt: now(), publishedAt: 0, intervalMs }
  const index = statsIndexKey(cache.namespace)
  const own = statsProcessKey(cache.namespace, info.id)

  const publish = async (): Promise<void> => {
    const queue = options.queue ? await queueSnapshot(options.queue, now) : undefined
    const at = now()
    const published: PublishedProcess = { info: { ...info, publishedAt: at }, ...stats.snapshot(), ...(queue ? { queue } : {}) }
    const ttlMs = intervalMs * STATS_TTL_INTERVALS
    await client.multi().del(own).hset(own, toHash(published)).pexpire(own, ttlMs).zadd(index, at + ttlMs, info.id).zremrangebyscore(index, '-inf', at).pexpire(index, ttlMs * 10).exec()
  }
  const timer = setInterval(() => void publish().catch(() => undefined), intervalMs)
  timer.unref()
  return {
    id: info.id,
    stats,
    publish,
    async stop() {
      clearInterval(timer)
      removeListener()
      await client.multi().del(own).zrem(index, info.id).exec().catch(() => undefined)
      if (typeof given === 'string') await client.quit().catch(() => undefined)
    },
  }
}

async function queueSnapshot(queue: HealthCheckedQueue, now: () => number): Promise<QueueSnapshot | undefined> {
  try {
    const { waiting, active, failed, delayed } = await queue.checkHealth()
    return { name: queue.name, waiting, active, failed, delayed, checkedAt: now() }
  } catch {
    return undefined // queue unreachable: published without its depth this time
  }
}
