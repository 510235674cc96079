/**
 * The in-process driver, the embedded default: a bounded LRU of encoded
 * entries plus a map of refresh locks. It follows the same rules as the
 * Redis scripts (compare-and-set on createdAt, logical lock expiry), so one
 * conformance suite covers both.
 */
import { LRUCache } from 'lru-cache'
import { DEFAULT_MAX_ENTRIES } from '../defaults.js'
import { encodeTombstone, isTombstone, readHeader, withFreshUntil, withInvalidation } from '../entry.js'
import { CachebackError } from '../errors.js'
import { NO_STAMPS, writeVerdict } from '../invalidation/write-rule.js'
import { lockKeyOf } from '../keys.js'
import { MemoryIndexes } from './memory-index.js'
import type { InvalidateRequest, InvalidationTarget, LockHold, LockRequest, LockResult, RefreshClaim, Store, StoreSetOptions } from './store.js'

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
  /** createdAt of the entry the holder's refresh replaces (undefined: none). */
  covers?: number
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
  private readonly indexes: MemoryIndexes
  private readonly maxEntries: number
  private readonly maxBytes: number | undefined

  constructor(options: MemoryStoreOptions = {}) {
    this.maxEntries = checkBound(options.maxEntries ?? DEFAULT_MAX_ENTRIES, 'maxEntries')
    this.maxBytes = options.maxBytes === undefined ? undefined : checkBound(options.maxBytes, 'maxBytes')
    this.claims = new LRUCache<string, string>({ max: this.maxEntries, ttl: 1 })
    this.indexes = new MemoryIndexes(this.maxEntries)
    this.entries = new LRUCache<string, Buffer>({
      max: this.maxEntries,
      ...(this.maxBytes === undefined ? {} : { maxSize: this.maxBytes, sizeCalculation: sizeOf }),
      // An entry that leaves the store leaves its indexes (a replaced one is refiled by `set`).
      dispose: (_value, key, reason) => reason !== 'set' && this.indexes.unfile(key),
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

  /** Number of (index, entry) filings held (each entry is in its job's index, its entity's, its tags'). */
  get indexSize(): number {
    return this.indexes.size
  }

  async set(key: string, data: Uint8Array, options: StoreSetOptions): Promise<boolean> {
    const ttl = wholeMs(options.ttlMs, key)
    if (this.maxBytes !== undefined && sizeOf(data, key) > this.maxBytes) return false
    const current = this.entries.peek(key)
    const indexes = options.indexes ?? []
    const verdict = writeVerdict(current && readHeader(current), indexes.length > 0 ? this.indexes.stampsOf(indexes) : NO_STAMPS, options.createdAt)
    if (verdict.kind === 'refuse') return false
    const bytes = verdict.kind === 'stale' ? withInvalidation(data, options.createdAt, verdict.invalidatedAt) : Buffer.from(data)
    this.entries.set(key, bytes, { ttl })
    if (this.entries.peek(key) === bytes) this.indexes.file(key, indexes, readHeader(bytes)?.expiresAt ?? 0)
    return true
  }

  async invalidate(target: InvalidationTarget, request: InvalidateRequest): Promise<number> {
    const keys = 'keys' in target ? target.keys : this.indexes.stampAndList(target.index, request).filter((key) => !target.prefix || key.startsWith(target.prefix))
    let count = 0
    for (const key of keys) {
      if (this.mark(key, request)) count++
      this.locks.delete(lockKeyOf(key))
    }
    return count
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
    if (held && held.dropAt > realNow && held.until > request.now && !coversNewer(request, held)) return held.failed ? 'failed' : 'held'
    if (!held && this.locks.size >= this.maxEntries) this.sweepLocks(request.now, realNow)
    const ttl = wholeMs(request.ttlMs, lockKey)
    this.locks.set(lockKey, { until: request.until, token: request.token, dropAt: realNow + ttl, covers: request.covers })
    return 'acquired'
  }

  async markLockFailed(lockKey: string, token: string): Promise<void> {
    const held = this.locks.get(lockKey)
    if (held?.token === token) held.failed = true
  }

  async releaseLock(lockKey: string, token: string | undefined, hold?: LockHold): Promise<void> {
    const held = this.locks.get(lockKey)
    if (!held || (token !== undefined && held.token !== token)) return
    if (hold) this.locks.set(lockKey, { until: hold.until, token: held.token, dropAt: performance.now() + wholeMs(hold.ttlMs, lockKey), covers: held.covers })
    else this.locks.delete(lockKey)
  }

  async claimRefresh(lockKey: string, claim: RefreshClaim): Promise<boolean> {
    const current = this.claims.get(lockKey)
    const wanted = `${claim.via}:${claim.token}`
    if (current !== undefined && current !== wanted && current.slice(current.indexOf(':') + 1) === claim.token) return false
    if (current !== wanted) this.claims.set(lockKey, wanted, { ttl: wholeMs(claim.ttlMs, lockKey) })
    return true
  }

  /** Drops every entry, lock, claim and index. */
  clear(): void {
    this.entries.clear()
    this.locks.clear()
    this.claims.clear()
    this.indexes.clear()
  }

  /** Nothing to close: the store opened no connection. Entries stay readable. */
  async close(): Promise<void> {}

  /** Marks one entry stale or purges it (a tombstone); a missing one gets a tombstone too. True when an entry was there. */
  private mark(key: string, { now, mode, rememberMs }: InvalidateRequest): boolean {
    const current = this.entries.peek(key)
    const header = current && readHeader(current)
    if (current && !header) return false // foreign data: left alone
    const remember = Math.max(1, Math.ceil(rememberMs))
    if (!current || !header) {
      this.entries.set(key, encodeTombstone(0, now), { ttl: remember }) // a write in flight must not bring back what came before
      return false
    }
    const invalidatedAt = Math.max(header.invalidatedAt ?? 0, now)
    if (mode === 'stale' && !isTombstone(header)) {
      this.entries.set(key, withInvalidation(current, now, invalidatedAt), { noUpdateTTL: true })
      return true
    }
    const remaining = this.entries.getRemainingTTL(key)
    const ttl = Number.isFinite(remaining) && remaining > 0 ? Math.min(remaining, remember) : remember
    this.entries.set(key, encodeTombstone(header.createdAt, invalidatedAt), { ttl })
    return !isTombstone(header)
  }

  /** Removes locks that lapsed (logically or in real time), so abandoned locks do not pile up. */
  private sweepLocks(now: number, realNow: number): void {
    for (const [lockKey, held] of this.locks) {
      if (held.until <= now || held.dropAt <= realNow) this.locks.delete(lockKey)
    }
  }
}

/** Whether a lock request names a newer entry than the held lock covers (then it may take a live lock). */
function coversNewer(request: LockRequest, held: HeldLock): boolean {
  return request.covers !== undefined && (held.covers === undefined || request.covers > held.covers)
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
