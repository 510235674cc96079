/**
 * The indexes of a `MemoryStore`: which entry keys each index holds (with
 * their logical expiry), which indexes each entry is filed under (so an
 * evicted or deleted entry leaves them), and the invalidation stamps of
 * recently invalidated indexes. Bounded: an index holds only entries the
 * store holds, and stamps are an LRU that forgets after `rememberMs`.
 */
import { LRUCache } from 'lru-cache'
import type { InvalidateRequest } from './store.js'
import { type IndexStamps, NO_STAMPS } from '../invalidation/write-rule.js'

const NO_INDEXES: readonly string[] = Object.freeze([])

export class MemoryIndexes {
  /** Index → entry key → the entry's expiresAt (ms, cache's clock). */
  private readonly members = new Map<string, Map<string, number>>()
  /** Entry key → the indexes it is filed under. */
  private readonly filed = new Map<string, readonly string[]>()
  private readonly stamps: LRUCache<string, IndexStamps>

  constructor(maxStamps: number) {
    this.stamps = new LRUCache<string, IndexStamps>({ max: maxStamps })
  }

  /** Number of (index, entry) filings held. */
  get size(): number {
    let size = 0
    for (const keys of this.members.values()) size += keys.size
    return size
  }

  /** The latest stamps over `indexes`. */
  stampsOf(indexes: readonly string[]): IndexStamps {
    let stale = 0
    let purge = 0
    for (const index of indexes) {
      const stamp = this.stamps.get(index)
      if (stamp) {
        stale = Math.max(stale, stamp.stale)
        purge = Math.max(purge, stamp.purge)
      }
    }
    return stale === 0 && purge === 0 ? NO_STAMPS : { stale, purge }
  }

  /** Files `key` under `indexes`, replacing its earlier filing. */
  file(key: string, indexes: readonly string[], expiresAt: number): void {
    const before = this.filed.get(key) ?? NO_INDEXES
    for (const index of before) if (!indexes.includes(index)) this.leave(index, key)
    for (const index of indexes) {
      let keys = this.members.get(index)
      if (!keys) this.members.set(index, (keys = new Map()))
      keys.set(key, expiresAt)
    }
    if (indexes.length > 0) this.filed.set(key, indexes)
    else this.filed.delete(key)
  }

  /** Takes `key` out of every index (the store no longer holds it). */
  unfile(key: string): void {
    for (const index of this.filed.get(key) ?? NO_INDEXES) this.leave(index, key)
    this.filed.delete(key)
  }

  /** Stamps the invalidation on `index` and returns the keys it holds (the logically expired ones leave it). */
  stampAndList(index: string, { now, mode, rememberMs }: InvalidateRequest): string[] {
    const previous = this.stamps.get(index) ?? NO_STAMPS
    const stamp = mode === 'purge' ? { stale: previous.stale, purge: Math.max(previous.purge, now) } : { stale: Math.max(previous.stale, now), purge: previous.purge }
    this.stamps.set(index, stamp, { ttl: Math.max(1, Math.ceil(rememberMs)) })
    const keys = this.members.get(index)
    if (!keys) return []
    const live: string[] = []
    for (const [key, expiresAt] of keys) {
      if (expiresAt > now) live.push(key)
      else this.leave(index, key)
    }
    return live
  }

  /** Drops every filing and stamp. */
  clear(): void {
    this.members.clear()
    this.filed.clear()
    this.stamps.clear()
  }

  private leave(index: string, key: string): void {
    const keys = this.members.get(index)
    if (!keys) return
    keys.delete(key)
    if (keys.size === 0) this.members.delete(index)
  }
}
