/**
 * The in-process driver, the embedded default: a bounded LRU of encoded
 * entries plus a map of refresh locks. It follows the same rules as the
 * Redis scripts (compare-and-set on createdAt, logical lock expiry), so one
 * conformance suite covers both.
 */
import { LRUCache } from 'lru-cache'
import { DEFAULT_MAX_ENTRIES } from '../defaults.js'
import { readHeader, withFreshUntil } from '../entry.js'
import { CachebackError } from '../errors.js'
import type { LockHold, LockRequest, LockResult, RefreshClaim, Store, StoreSetOptions } from './store.js'

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Most entries kept; the least recently used is evicted beyond it.
   * @default 10000
   */
  maxEntries?: number
  /**
   * Most bytes kept (entry bytes plus key length, summed); least recently
   * used entries are evicted beyond it, and a single entry larger than this
   * is not stored (`set` returns false).
   * @default undefined (no byte bound)
   */
  maxBytes?: number
}

export { DEFAULT_MAX_ENTRIES }

interface HeldLock {
  /** Logical expiry on the cache's clock, ms. */
  until: number
  token: string
  /** Real-time safety net (`performance.now()` ms), like Redis `PX`. */
  dropAt: number
  /** Held by a refresh that failed. */
  failed?: boolean
}

/**
 * A {@link Store} in this process's memory. Entries are copied on write, so
 * callers may reuse their buffers; bytes returned by reads are shared with
 * the store and must not be modified. `ttlMs` drops an entry after that much
 * real time, as `PX` does in Redis.
 */
export class MemoryStore implements Store {
  readonly name = 'memory'
  private readonly entries: LRUCache<string, Buffer>
  private readonly locks = new Map<string, HeldLock>()
  /** Refresh claims by lock key: `<path>:<token>`, dropped after their real-time ttl. */
  private readonly claims: LRUCache<string, string>
  private readonly maxEntries: number
  private readonly maxBytes: number | undefined

  constructor(options: MemoryStoreOptions = {}) {
    this.maxEntries = checkBound(options.maxEntries ?? DEFAULT_MAX_ENTRIES, 'maxEntries')
    this.maxBytes = options.maxBytes === undefined ? undefined : checkBound(options.maxBytes, 'maxBytes')
    this.claims = new LRUCache<string, string>({ max: this.maxEntries, ttl: 1 })
    this.entries = new LRUCache<string, Buffer>({
      max: this.maxEntries,
      ...(this.maxBytes === undefined ? {} : { maxSize: this.maxBytes, sizeCalculation: sizeOf }),
    })
  }

  /** Number of entries held. */
  get size(): number {
    return this.entries.size
  }

  /** Bytes held, as counted for `maxBytes` (0 without a byte bound). */
  get bytes(): number {
    return this.entries.calculatedSize ?? 0
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.entries.get(key)
  }

  async getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    return keys.map((key) => this.entries.get(key))
  }

  async set(key: string, data: Uint8Array, options: StoreSetOptions): Promise<boolean> {
    const ttl = wholeMs(options.ttlMs, key)
    if (this.maxBytes !== undefined && sizeOf(data, key) > this.maxBytes) return false
    const current = this.entries.peek(key)
    const header = current && readHeader(current)
    // A newer entry wins unless it has expired (reads treat it as gone), whatever its createdAt says.
    if (header && header.createdAt > options.createdAt && header.expiresAt > options.createdAt) return false
    this.entries.set(key, Buffer.from(data), { ttl })
    return true
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key)
  }

  async expire(key: string, freshUntil: number): Promise<boolean> {
    const current = this.entries.peek(key)
    const header = current && readHeader(current)
    if (!current || !header) return false
    if (header.freshUntil > freshUntil) {
      this.entries.set(key, withFreshUntil(current, freshUntil), { noUpdateTTL: true })
    }
    return true
  }

  async acquireLock(lockKey: string, request: LockRequest): Promise<LockResult> {
    const realNow = performance.now()
    const held = this.locks.get(lockKey)
    if (held && held.dropAt > realNow && held.until > request.now) return held.failed ? 'failed' : 'held'
    if (!held && this.locks.size >= this.maxEntries) this.sweepLocks(request.now, realNow)
    const ttl = wholeMs(request.ttlMs, lockKey)
    this.locks.set(lockKey, { until: request.until, token: request.token, dropAt: realNow + ttl })
    return 'acquired'
  }

  async markLockFailed(lockKey: string, token: string): Promise<void> {
    const held = this.locks.get(lockKey)
    if (held?.token === token) held.failed = true
  }

  async releaseLock(lockKey: string, token: string | undefined, hold?: LockHold): Promise<void> {
    const held = this.locks.get(lockKey)
    if (!held || (token !== undefined && held.token !== token)) return
    if (hold) this.locks.set(lockKey, { until: hold.until, token: held.token, dropAt: performance.now() + wholeMs(hold.ttlMs, lockKey) })
    else this.locks.delete(lockKey)
  }

  async claimRefresh(lockKey: string, claim: RefreshClaim): Promise<boolean> {
    const current = this.claims.get(lockKey)
    const wanted = `${claim.via}:${claim.token}`
    if (current !== undefined && current !== wanted && current.slice(current.indexOf(':') + 1) === claim.token) return false
    if (current !== wanted) this.claims.set(lockKey, wanted, { ttl: wholeMs(claim.ttlMs, lockKey) })
    return true
  }

  /** Drops every entry, lock and claim. */
  clear(): void {
    this.entries.clear()
    this.locks.clear()
    this.claims.clear()
  }

  /** Nothing to close: the store opened no connection. Entries stay readable. */
  async close(): Promise<void> {}

  /** Removes locks that lapsed (logically or in real time), so abandoned locks do not pile up. */
  private sweepLocks(now: number, realNow: number): void {
    for (const [lockKey, held] of this.locks) {
      if (held.until <= now || held.dropAt <= realNow) this.locks.delete(lockKey)
    }
  }
}

function sizeOf(data: Uint8Array, key: string): number {
  return Math.max(1, data.byteLength + key.length)
}

function checkBound(value: number, option: string): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new CachebackError('E_INVALID_OPTION', `MemoryStore: option "${option}" must be a positive integer, got ${String(value)}`)
  }
  return value
}

function wholeMs(ms: number, key: string): number {
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new CachebackError('E_INVALID_OPTION', `MemoryStore: "ttlMs" for "${key}" must be a positive finite number of ms, got ${String(ms)}`, { key })
  }
  return Math.ceil(ms)
}
