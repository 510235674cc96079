/**
 * Start-up checks of `cacheback-worker`: before it starts consuming, the
 * worker waits until the queue's Redis answers PING and the store answers a
 * read, saying every few seconds what it is waiting for and why. A Redis
 * that refuses the password is not waited for: it is an error saying so.
 */
import { Redis, type RedisOptions } from 'ioredis'
import type { BeeQueueRedis } from '../bee-queue/refresher.js'
import type { Cacheback } from '../cacheback.js'
import { CachebackError, messageOf } from '../errors.js'
import { RedisStore } from '../redis/redis-store.js'
import { isAuthFailure } from '../redis/redis-errors.js'

/** One thing to wait for. */
export interface Probe {
  /** What it is, for the log (`the queue's Redis at 127.0.0.1:6379`). */
  name: string
  /** Resolves once it answers; rejects with why not. */
  check(): Promise<void>
}

/** How to wait. */
export interface WaitOptions {
  /** Receives the log lines. */
  log: (line: string) => void
  /** Ms between attempts. @default 1000 */
  retryMs?: number
  /** Ms between two "still waiting" lines. @default 5000 */
  repeatMs?: number
  /** True once the wait should end (the worker is stopping). */
  stopped?: () => boolean
}

/** Waits for each probe in turn; throws `E_STORE_UNAVAILABLE` at once when one refuses the password. */
export async function waitForRedis(probes: readonly Probe[], options: WaitOptions): Promise<void> {
  const retryMs = options.retryMs ?? 1000
  const repeatMs = options.repeatMs ?? 5000
  for (const probe of probes) {
    let loggedAt: number | undefined
    while (!options.stopped?.()) {
      try {
        await probe.check()
        if (loggedAt !== undefined) options.log(`[cacheback-worker] ${probe.name} answers`)
        break
      } catch (error) {
        const said = messageOf(rootCause(error))
        if (isAuthFailure(error)) {
          const what = /^NOAUTH\b/.test(said) ? 'requires a password, and none was given' : 'refused the password'
          throw new CachebackError('E_STORE_UNAVAILABLE', `${probe.name} ${what} (${said})`, { cause: error })
        }
        if (loggedAt === undefined || Date.now() - loggedAt >= repeatMs) {
          options.log(`[cacheback-worker] cannot reach ${probe.name}: ${said}; retrying every ${retryMs / 1000} s`)
          loggedAt = Date.now()
        }
        await new Promise((resolve) => setTimeout(resolve, retryMs))
      }
    }
  }
}

/** The innermost cause: what Redis or the socket said. */
function rootCause(error: unknown): unknown {
  let e = error
  while (e instanceof Error && e.cause !== undefined) e = e.cause
  return e
}

/** A probe that connects to the queue's Redis (as bee-queue would) and sends PING. */
export function queueProbe(redis: BeeQueueRedis): Probe {
  const { url, options } = probeConnection(redis)
  return {
    name: `the queue's Redis at ${url ? hostOf(url) : `${String(options.host ?? '127.0.0.1')}:${String(options.port ?? 6379)}`}`,
    async check() {
      const settings: RedisOptions = { ...options, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 }
      const client = url ? new Redis(url, settings) : new Redis(settings)
      let failure: unknown
      client.on('error', (error: unknown) => (failure = error))
      try {
        await client.connect()
        await client.ping()
      } catch (error) {
        throw failure ?? error // ioredis rejects with "Connection is closed."; the error event says why
      } finally {
        client.disconnect()
      }
    },
  }
}

/** bee-queue's node-redis settings as an ioredis URL and options (the fields both share). */
function probeConnection(redis: BeeQueueRedis): { url?: string; options: RedisOptions } {
  if (typeof redis === 'string') return { url: redis, options: {} }
  const { url, host, port, password, username, db, tls } = redis as Record<string, unknown>
  const options = { host, port, password, username, db, tls } as RedisOptions
  for (const key of Object.keys(options) as (keyof RedisOptions)[]) if (options[key] === undefined) delete options[key]
  return { url: typeof url === 'string' ? url : undefined, options }
}

/** `host:port` of a redis:// URL, without its credentials. */
function hostOf(url: string): string {
  try {
    const parsed = new URL(url)
    return `${parsed.hostname}:${parsed.port || '6379'}`
  } catch {
    return 'the configured URL'
  }
}

/** A probe that reads one (absent) key through the cache's store. */
export function storeProbe(cache: Cacheback): Probe {
  const { store } = cache
  let name = `the store (${store.name})`
  if (store instanceof RedisStore) {
    const options = ((store.client as { options?: RedisOptions }).options ?? {}) as RedisOptions
    name = store.client.isCluster ? "the store's Redis Cluster" : `the store's Redis at ${String(options.host ?? '127.0.0.1')}:${String(options.port ?? 6379)}`
  }
  return {
    name,
    async check() {
      await store.get(`${cache.namespace}:cacheback-worker:probe`)
    },
  }
}
