/**
 * The Redis driver. Entries are plain string keys holding the encoded entry
 * (with `PX` as the real-time safety net); writes, staleness marks and
 * refresh locks are Lua scripts (`lua/scripts.ts`) so each is atomic. Every
 * call is bounded by `commandTimeoutMs` and fails with a coded error, never
 * hangs, so the read path can fail open.
 */
import { Redis, type RedisOptions } from 'ioredis'
import { DEFAULT_COMMAND_TIMEOUT_MS, reconnectDelayMs } from '../defaults.js'
import { CachebackError, messageOf } from '../errors.js'
import type { InvalidationBus } from '../l1/bus.js'
import type { LockHold, LockRequest, LockResult, Store, StoreSetOptions } from '../stores/store.js'
import { RedisBus } from './bus.js'
import { RedisScript, type RedisClient } from './redis-script.js'
import { ACQUIRE_LOCK_LUA, EXPIRE_ENTRY_LUA, MARK_LOCK_FAILED_LUA, RELEASE_LOCK_LUA, SET_ENTRY_LUA } from './scripts.js'

export type { RedisClient } from './redis-script.js'

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /**
   * The Redis to use. An ioredis `Redis` or `Cluster` client is used as is and
   * never closed by the store. Connection options or a `redis://` URL make the
   * store create its own client (no offline queue, one retry per request,
   * `commandTimeoutMs` as command timeout, auto-pipelining, reconnecting
   * forever with a backoff capped at 1 s) that `close()` closes. A client you
   * pass yourself should have `enableAutoPipelining: true` too: concurrent
   * reads then share socket writes (about 15 % more hits per second).
   * @example new RedisStore({ redis: 'redis://127.0.0.1:6379' })
   */
  redis: RedisClient | RedisOptions | string
  /**
   * Upper bound of every store call, in ms, also with a client the store was
   * given. A slower call rejects with `E_STORE_TIMEOUT`.
   * @default 250
   */
  commandTimeoutMs?: number
}

export { DEFAULT_COMMAND_TIMEOUT_MS }

const setEntry = new RedisScript(SET_ENTRY_LUA)
const expireEntry = new RedisScript(EXPIRE_ENTRY_LUA)
const acquireLock = new RedisScript(ACQUIRE_LOCK_LUA)
const releaseLock = new RedisScript(RELEASE_LOCK_LUA)
const markLockFailed = new RedisScript(MARK_LOCK_FAILED_LUA)

/**
 * A {@link Store} on Redis (standalone or Cluster). `getMany` is one `MGET`
 * on a standalone server; on a Cluster it sends one `GET` per key at once
 * (keys hash to different slots). Either way a key holding another type than
 * a string reads as absent.
 *
 * Errors: `E_STORE_TIMEOUT` when a call exceeds `commandTimeoutMs`,
 * `E_CORRUPT_ENTRY` when a key holds another Redis type than a string
 * (WRONGTYPE), `E_STORE_UNAVAILABLE` (with `cause`) for any other Redis
 * failure; all carry the `key`.
 */
export class RedisStore implements Store {
  readonly name = 'redis'
  /** The ioredis client in use. */
  readonly client: RedisClient
  /** Bound of every call, in ms. */
  readonly commandTimeoutMs: number
  private readonly ownsClient: boolean
  private connecting: Promise<void> | undefined

  constructor(options: RedisStoreOptions) {
    const timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new CachebackError('E_INVALID_OPTION', `RedisStore: option "commandTimeoutMs" must be a positive number of ms, got ${String(timeoutMs)}`)
    }
    this.commandTimeoutMs = timeoutMs
    this.ownsClient = !isClient(options.redis)
    this.client = isClient(options.redis) ? options.redis : createClient(options.redis, timeoutMs)
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const value = await this.call('GET', key, (client) => client.getBuffer(key))
    return value ?? undefined
  }

  async getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    if (keys.length === 0) return []
    const values = await this.call('MGET', keys, (client) =>
      client.isCluster ? Promise.all(keys.map((key) => client.getBuffer(key).catch(nullOnWrongType))) : client.mgetBuffer(...keys),
    )
    return values.map((value) => value ?? undefined)
  }

  async set(key: string, data: Uint8Array, options: StoreSetOptions): Promise<boolean> {
    const args = [Buffer.from(data), String(options.createdAt), wholeMs(options.ttlMs, 'ttlMs', key)]
    return (await this.call('SET', key, (client) => setEntry.run(client, [key], args))) === 1
  }

  async delete(key: string): Promise<void> {
    await this.call('DEL', key, (client) => client.del(key))
  }

  async expire(key: string, freshUntil: number): Promise<boolean> {
    return (await this.call('EXPIRE', key, (client) => expireEntry.run(client, [key], [String(freshUntil)]))) === 1
  }

  async acquireLock(lockKey: string, request: LockRequest): Promise<LockResult> {
    const args = [String(request.now), String(request.until), request.token, wholeMs(request.ttlMs, 'ttlMs', lockKey)]
    const result = await this.call('LOCK', lockKey, (client) => acquireLock.run(client, [lockKey], args))
    return result === 1 ? 'acquired' : result === 2 ? 'failed' : 'held'
  }

  async markLockFailed(lockKey: string, token: string): Promise<void> {
    await this.call('LOCK', lockKey, (client) => markLockFailed.run(client, [lockKey], [token]))
  }

  async releaseLock(lockKey: string, token: string | undefined, hold?: LockHold): Promise<void> {
    const args = [token ?? '', hold ? String(hold.until) : '', hold ? wholeMs(hold.ttlMs, 'ttlMs', lockKey) : '']
    await this.call('UNLOCK', lockKey, (client) => releaseLock.run(client, [lockKey], args))
  }

  /**
   * The invalidation bus of the processes sharing this Redis (what a cache
   * with `l1` uses by default): it publishes through this store's client and
   * subscribes on a copy of it (`duplicate()`), a connection of its own. The
   * cache that opened it closes it.
   */
  openBus(): InvalidationBus {
    return new RedisBus({ redis: this.client, commandTimeoutMs: this.commandTimeoutMs })
  }

  /**
   * Closes the client when the store created it (QUIT, then disconnect) and
   * resolves once it has ended, or after `commandTimeoutMs`. A given client
   * stays open.
   */
  async close(): Promise<void> {
    const client = this.client
    if (!this.ownsClient || client.status === 'end') return
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()))
    try {
      await this.call('QUIT', '', (c) => c.quit())
    } catch {
      // Already closed or unreachable: disconnect below either way.
    }
    client.disconnect()
    let timer: NodeJS.Timeout | undefined
    await Promise.race([ended, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.commandTimeoutMs)))])
    clearTimeout(timer)
  }

  /**
   * Runs one store call bounded by the command timeout, with coded errors.
   * The hot path of every read: no async wrapper, no Promise.race, and error
   * messages are built only on failure.
   */
  private call<T>(op: string, keys: string | readonly string[], run: (client: RedisClient) => Promise<T>): Promise<T> {
    const client = this.client
    const status = client.status
    let pending: Promise<T>
    try {
      pending = status === 'connecting' || status === 'connect' ? this.whenConnected().then(() => run(client)) : run(client)
    } catch (error) {
      return Promise.reject(wrapError(error, op, keys, this.commandTimeoutMs))
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(timeoutError(op, keys, this.commandTimeoutMs)), this.commandTimeoutMs)
      pending.then(
        (value) => {
          clearTimeout(timer)
          resolve(value)
        },
        (error: unknown) => {
          clearTimeout(timer)
          reject(wrapError(error, op, keys, this.commandTimeoutMs))
        },
      )
    })
  }

  /**
   * While the client is (re)connecting, waits for it to be ready or to fail,
   * so calls made right after construction do not hit a closed stream. The
   * caller's timeout bounds the wait.
   */
  private whenConnected(): Promise<void> {
    const status = this.client.status
    if (status !== 'connecting' && status !== 'connect') return Promise.resolve()
    this.connecting ??= new Promise<void>((resolve) => {
      const client = this.client
      const settle = (): void => {
        client.off('ready', settle).off('error', settle).off('close', settle)
        this.connecting = undefined
        resolve()
      }
      client.on('ready', settle).on('error', settle).on('close', settle)
    })
    return this.connecting
  }
}

function isClient(redis: RedisStoreOptions['redis']): redis is RedisClient {
  return typeof redis === 'object' && redis !== null && typeof (redis as { sendCommand?: unknown }).sendCommand === 'function'
}

function createClient(redis: RedisOptions | string, commandTimeoutMs: number): Redis {
  // Capped at 1 s so hits resume within about 1 s plus one fetch of Redis returning, however long it was away.
  const retryStrategy = reconnectDelayMs
  const required: RedisOptions = { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: commandTimeoutMs, enableAutoPipelining: true }
  const client = typeof redis === 'string'
    ? new Redis(redis, { retryStrategy, ...required })
    : new Redis({ retryStrategy, ...redis, ...required })
  // Connection failures surface as rejected store calls (E_STORE_UNAVAILABLE);
  // without a listener ioredis would also print every reconnect error.
  client.on('error', () => {})
  return client
}

/** Reads a key of another type as absent, as `MGET` does, so one such key does not fail a Cluster batch. */
function nullOnWrongType(error: unknown): null {
  if (isWrongType(error)) return null
  throw error
}

function isWrongType(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('WRONGTYPE')
}

/** Redis `PX` wants a positive whole number of ms. */
function wholeMs(ms: number, option: string, key: string): number {
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new CachebackError('E_INVALID_OPTION', `RedisStore: "${option}" for "${key}" must be a positive finite number of ms, got ${String(ms)}`, { key })
  }
  return Math.ceil(ms)
}

/** `"key"`, or `"first" (and N more keys)` for a multi-key call. */
function subjectOf(keys: string | readonly string[]): string {
  return typeof keys === 'string' ? `"${keys}"` : `"${keys[0]}" (and ${keys.length - 1} more keys)`
}

function firstKey(keys: string | readonly string[]): string {
  return typeof keys === 'string' ? keys : keys[0]
}

function timeoutError(op: string, keys: string | readonly string[], timeoutMs: number, cause?: unknown): CachebackError {
  return new CachebackError('E_STORE_TIMEOUT', `Redis ${op} of ${subjectOf(keys)} took longer than ${timeoutMs} ms`, { key: firstKey(keys), cause })
}

function wrapError(error: unknown, op: string, keys: string | readonly string[], timeoutMs: number): CachebackError {
  if (error instanceof CachebackError) return error
  const key = firstKey(keys)
  if (isWrongType(error)) {
    // Not an outage: something other than a string sits at one of our keys. Reads treat it as a miss; writes overwrite it.
    return new CachebackError('E_CORRUPT_ENTRY', `Stored data at ${subjectOf(keys)} is not a cacheback entry: the key holds another Redis type than a string (WRONGTYPE); treating it as a miss`, { key, cause: error })
  }
  if (error instanceof Error && error.message === 'Command timed out') return timeoutError(op, keys, timeoutMs, error)
  return new CachebackError('E_STORE_UNAVAILABLE', `Redis ${op} of ${subjectOf(keys)} failed: ${messageOf(error)}`, { key, cause: error })
}
