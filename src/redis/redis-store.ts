/**
 * The Redis driver. Entries are plain string keys holding the encoded entry
 * (with `PX` as the real-time safety net); writes, staleness marks and
 * refresh locks are Lua scripts (`scripts.ts`) so each is atomic. Every
 * call is bounded by `commandTimeoutMs` and fails with a coded error, never
 * hangs, so the read path can fail open.
 */
import { Redis, type RedisOptions } from 'ioredis'
import { DEFAULT_COMMAND_TIMEOUT_MS, reconnectDelayMs } from '../defaults.js'
import { CachebackError } from '../errors.js'
import type { InvalidationBus } from '../l1/bus.js'
import type { InvalidateRequest, InvalidationTarget, LockHold, LockRelease, LockRequest, LockResult, RefreshClaim, Store, StoreSetOptions } from '../stores/store.js'
import { RedisBus } from './bus.js'
import { type FailedCall, nullOnWrongType, timeoutError, wrapError } from './redis-errors.js'
import { type BoundedCall, invalidateTarget, setAndReleaseScripts, writeEntry } from './redis-invalidation.js'
import { RedisScript, type RedisClient } from './redis-script.js'
import { ACQUIRE_LOCK_LUA, CLAIM_REFRESH_LUA, EXPIRE_ENTRY_LUA, MARK_LOCK_FAILED_LUA, RELEASE_LOCK_LUA } from './scripts.js'
import { ACQUIRE_LOCKS_LUA, CLAIM_REFRESHES_LUA } from './batch-scripts.js'
import { ScriptBatch } from './script-batch.js'

export type { RedisClient } from './redis-script.js'

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /**
   * The Redis to use (required). An ioredis `Redis` or `Cluster` client (ioredis 5 or 6) is used as is and
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

const expireEntry = new RedisScript(EXPIRE_ENTRY_LUA)
const acquireLock = new RedisScript(ACQUIRE_LOCK_LUA)
const releaseLock = new RedisScript(RELEASE_LOCK_LUA)
const markLockFailed = new RedisScript(MARK_LOCK_FAILED_LUA)
const claimRefresh = new RedisScript(CLAIM_REFRESH_LUA)
const acquireLocks = new RedisScript(ACQUIRE_LOCKS_LUA)
const claimRefreshes = new RedisScript(CLAIM_REFRESHES_LUA)

/**
 * A {@link Store} on Redis (standalone or Cluster). `getMany` is one `MGET`
 * on a standalone server; on a Cluster it sends one `GET` per key at once
 * (keys hash to different slots). Either way a key holding another type than
 * a string reads as absent. Entries are filed in index sorted sets on write
 * and invalidated through them (`redis-invalidation.ts`): no `KEYS` or `SCAN`.
 * On a standalone server the lock, claim and end-of-refresh calls of one tick
 * go out as one script call each (`script-batch.ts`).
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
  /** Why the store's own client is not connected (its last connection error, cleared when ready). */
  private connectionError: unknown
  private readonly bounded: BoundedCall = (op, keys, run) => this.call(op, keys, run)
  /** Standalone only: the calls of one tick, one script call each. */
  private readonly batches = {
    lock: new ScriptBatch({ op: 'LOCK', single: acquireLock, many: acquireLocks }, this.bounded),
    claim: new ScriptBatch({ op: 'CLAIM', single: claimRefresh, many: claimRefreshes }, this.bounded),
    setAndRelease: new ScriptBatch(setAndReleaseScripts, this.bounded),
  }

  /** @throws CachebackError `E_INVALID_OPTION` without a `redis` option (the store never connects to a default host) or with a bad `commandTimeoutMs`. */
  constructor(options: RedisStoreOptions) {
    const redis = checkRedisOption(options?.redis)
    const timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new CachebackError('E_INVALID_OPTION', `RedisStore: option "commandTimeoutMs" must be a positive number of ms, got ${String(timeoutMs)}`)
    }
    this.commandTimeoutMs = timeoutMs
    this.ownsClient = !isClient(redis)
    if (isClient(redis)) {
      this.client = redis
    } else {
      const own = createClient(redis, timeoutMs)
      // Connection failures surface as rejected store calls (E_STORE_UNAVAILABLE) that say why;
      // listening also keeps ioredis from printing every reconnect error.
      own.on('error', (error: unknown) => (this.connectionError = error))
      own.on('ready', () => (this.connectionError = undefined))
      this.client = own
    }
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
    return writeEntry(this.bounded, this.client.isCluster, { key, data, options, ttlMs: wholeMs(options.ttlMs, 'ttlMs', key) })
  }

  async invalidate(target: InvalidationTarget, request: InvalidateRequest): Promise<number> {
    return invalidateTarget(this.bounded, this.client.isCluster, target, request)
  }

  /** One script on a standalone Redis; on a Cluster (entry and lock in different slots) `set`, then `releaseLock`. */
  async setAndReleaseLock(key: string, data: Uint8Array, options: StoreSetOptions, release: LockRelease): Promise<boolean> {
    if (this.client.isCluster) {
      const written = await this.set(key, data, options)
      await this.releaseLock(release.lockKey, release.token, release.hold)
      return written
    }
    const { hold } = release
    const releaseArgs = { lockKey: release.lockKey, token: release.token, holdUntil: hold ? String(hold.until) : '', holdPx: hold ? String(wholeMs(hold.ttlMs, 'ttlMs', release.lockKey)) : '' }
    return writeEntry(this.bounded, false, { key, data, options, ttlMs: wholeMs(options.ttlMs, 'ttlMs', key), release: releaseArgs }, this.batches.setAndRelease)
  }

  async delete(key: string): Promise<void> {
    await this.call('DEL', key, (client) => client.del(key))
  }

  async expire(key: string, freshUntil: number): Promise<boolean> {
    return (await this.call('EXPIRE', key, (client) => expireEntry.run(client, [key], [String(freshUntil)]))) === 1
  }

  async acquireLock(lockKey: string, request: LockRequest): Promise<LockResult> {
    const covers = request.covers === undefined ? '' : String(request.covers)
    const args = [String(request.now), String(request.until), request.token, wholeMs(request.ttlMs, 'ttlMs', lockKey), covers]
    const result = this.client.isCluster ? await this.call('LOCK', lockKey, (client) => acquireLock.run(client, [lockKey], args)) : await this.batches.lock.run([lockKey], args)
    return result === 1 ? 'acquired' : result === 2 ? 'failed' : 'held'
  }

  async markLockFailed(lockKey: string, token: string): Promise<void> {
    await this.call('LOCK', lockKey, (client) => markLockFailed.run(client, [lockKey], [token]))
  }

  async releaseLock(lockKey: string, token: string | undefined, hold?: LockHold): Promise<void> {
    const args = [token ?? '', hold ? String(hold.until) : '', hold ? wholeMs(hold.ttlMs, 'ttlMs', lockKey) : '']
    await this.call('UNLOCK', lockKey, (client) => releaseLock.run(client, [lockKey], args))
  }

  async claimRefresh(lockKey: string, claim: RefreshClaim): Promise<boolean> {
    const claimKey = `${lockKey}:claim`
    const args = [claim.token, claim.via, wholeMs(claim.ttlMs, 'ttlMs', claimKey)]
    const result = this.client.isCluster ? await this.call('CLAIM', claimKey, (client) => claimRefresh.run(client, [claimKey], args)) : await this.batches.claim.run([claimKey], args)
    return result === 1
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
    const failed = (): FailedCall => ({ op, keys, timeoutMs: this.commandTimeoutMs, connectionError: this.connectionError })
    try {
      pending = status === 'connecting' || status === 'connect' ? this.whenConnected().then(() => run(client)) : run(client)
    } catch (error) {
      return Promise.reject(wrapError(error, failed()))
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(timeoutError(failed())), this.commandTimeoutMs)
      pending.then(
        (value) => {
          clearTimeout(timer)
          resolve(value)
        },
        (error: unknown) => {
          clearTimeout(timer)
          reject(wrapError(error, failed()))
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

/** The `redis` option when it is a client, options or a non-empty URL; a coded error otherwise (no silent localhost). */
function checkRedisOption(redis: RedisStoreOptions['redis'] | undefined): RedisStoreOptions['redis'] {
  if ((typeof redis === 'string' && redis !== '') || (typeof redis === 'object' && redis !== null)) return redis
  const got = typeof redis === 'string' ? 'an empty string' : String(redis)
  throw new CachebackError('E_INVALID_OPTION', `RedisStore: option "redis" is required (an ioredis client, connection options or a redis:// URL), got ${got}; the store does not connect to a default host`)
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
  return client
}

/** Redis `PX` wants a positive whole number of ms. */
function wholeMs(ms: number, option: string, key: string): number {
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new CachebackError('E_INVALID_OPTION', `RedisStore: "${option}" for "${key}" must be a positive finite number of ms, got ${String(ms)}`, { key })
  }
  return Math.ceil(ms)
}
