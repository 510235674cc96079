/**
 * `RedisBus`: the invalidation bus on Redis pub/sub. Announcements are
 * `PUBLISH`ed on the namespace's channel (`<namespace>:l1-invalidations`);
 * every process listening receives them on a subscriber connection of its
 * own, never the store's client (a connection in pub/sub mode can run no
 * other command). On a Cluster, `PUBLISH` reaches every node, so the
 * subscriber connects to one master node, and to another when that one
 * stays unreachable for `CLUSTER_NODE_RETRIES` reconnections.
 */
import { type Cluster, Redis, type RedisOptions } from 'ioredis'
import { DEFAULT_BUS_HEARTBEAT_MS, DEFAULT_COMMAND_TIMEOUT_MS, reconnectDelayMs } from '../defaults.js'
import { CachebackError, messageOf } from '../errors.js'
import type { BusListener, InvalidationBus } from '../l1/bus.js'
import { BusSubscriber } from './bus-subscriber.js'
import type { RedisClient } from './redis-script.js'

/** Options of {@link RedisBus}. */
export interface RedisBusOptions {
  /**
   * The Redis the processes share. An ioredis client (`Redis` or `Cluster`)
   * publishes, and is copied (`duplicate()`, for a Cluster one of its master
   * nodes') for the subscriber connection; it is never subscribed itself,
   * nor closed by the bus. Connection options or a `redis://` URL make the
   * bus open a publisher and a subscriber connection, which `close()` closes.
   * @example new RedisBus({ redis: 'redis://127.0.0.1:6379' })
   */
  redis: RedisClient | RedisOptions | string
  /** Bound of one publish, ms; a slower one is reported (`E_BUS_UNAVAILABLE`). @default 250 */
  commandTimeoutMs?: number
  /**
   * Ms between health pings of the subscriber connection. A ping unanswered
   * for as long again counts as a lost connection: the tiers listening stop
   * serving, and the connection is reopened.
   * @default 1000
   */
  heartbeatMs?: number
}

/** Reconnections to one Cluster node before the subscriber picks a master again (that node may be gone for good). */
const CLUSTER_NODE_RETRIES = 10

/** What the subscriber connection always has, whoever made the options. */
const SUBSCRIBER: RedisOptions = { lazyConnect: true, autoResubscribe: false, enableOfflineQueue: false, enableAutoPipelining: false, maxRetriesPerRequest: 1, connectionName: 'cacheback-bus', retryStrategy: reconnectDelayMs }

/** The invalidation bus on Redis pub/sub. */
export class RedisBus implements InvalidationBus {
  readonly name = 'redis'
  private readonly redis: RedisBusOptions['redis']
  private readonly commandTimeoutMs: number
  private readonly subscriber: BusSubscriber
  private publisher: RedisClient | undefined
  private readonly ownsPublisher: boolean

  constructor(options: RedisBusOptions) {
    this.redis = options.redis
    this.commandTimeoutMs = positive(options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS, 'commandTimeoutMs')
    const heartbeatMs = positive(options.heartbeatMs ?? DEFAULT_BUS_HEARTBEAT_MS, 'heartbeatMs')
    this.ownsPublisher = !isClient(options.redis)
    if (isClient(options.redis)) this.publisher = options.redis
    this.subscriber = new BusSubscriber({ open: () => this.openSubscriber(), heartbeatMs })
  }

  listen(channel: string, listener: BusListener): () => Promise<void> {
    this.subscriber.add(channel, listener)
    return () => this.subscriber.remove(channel, listener)
  }

  publish(channel: string, text: string): Promise<void> {
    const publisher = (this.publisher ??= ownClient(this.redis as RedisOptions | string, { enableOfflineQueue: true, maxRetriesPerRequest: 1, commandTimeout: this.commandTimeoutMs, enableAutoPipelining: true }))
    return new Promise<void>((resolve, reject) => {
      const fail = (cause?: unknown) => reject(new CachebackError('E_BUS_UNAVAILABLE', `Invalidation bus: PUBLISH on "${channel}" ${cause ? `failed: ${messageOf(cause)}` : `took longer than ${this.commandTimeoutMs} ms`}`, { cause }))
      const timer = setTimeout(fail, this.commandTimeoutMs)
      const client = publisher as unknown as { publish(channel: string, text: string): Promise<unknown> }
      client.publish(channel, text).then(
        () => (clearTimeout(timer), resolve()),
        (error: unknown) => (clearTimeout(timer), fail(error)),
      )
    })
  }

  /** Closes the subscriber connection, and the publisher when the bus opened it. */
  async close(): Promise<void> {
    await this.subscriber.close()
    const publisher = this.publisher
    if (!this.ownsPublisher || !publisher || publisher.status === 'end') return
    await publisher.quit().catch(() => publisher.disconnect())
  }

  private async openSubscriber(): Promise<Redis> {
    const redis = this.redis
    if (!isClient(redis)) return ownClient(redis, SUBSCRIBER)
    if (!redis.isCluster) return (redis as Redis).duplicate(SUBSCRIBER)
    if (redis.status !== 'ready') await new Promise<void>((resolve) => redis.once('ready', () => resolve()))
    const masters = (redis as Cluster).nodes('master')
    if (masters.length === 0) throw new CachebackError('E_BUS_UNAVAILABLE', 'Invalidation bus: the Cluster client knows no master node to subscribe on')
    const node = masters[Math.floor(Math.random() * masters.length)]
    return node.duplicate({ ...SUBSCRIBER, retryStrategy: (attempt: number) => (attempt > CLUSTER_NODE_RETRIES ? null : reconnectDelayMs(attempt)) })
  }
}

function ownClient(redis: RedisOptions | string, required: RedisOptions): Redis {
  const client = typeof redis === 'string' ? new Redis(redis, { retryStrategy: reconnectDelayMs, ...required }) : new Redis({ retryStrategy: reconnectDelayMs, ...redis, ...required })
  client.on('error', () => {}) // failures surface as bus state and reported publishes
  return client
}

function isClient(redis: RedisBusOptions['redis']): redis is RedisClient {
  return typeof redis === 'object' && redis !== null && typeof (redis as { sendCommand?: unknown }).sendCommand === 'function'
}

function positive(value: number, option: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new CachebackError('E_INVALID_OPTION', `RedisBus: option "${option}" must be a positive number of ms, got ${String(value)}`)
  return value
}
