/**
 * The storage interface every driver implements. Stores hold encoded entries
 * (see `entry.ts`) as bytes and refresh locks; they know the header layout so
 * that writes can compare-and-set on `createdAt` atomically.
 */
import type { InvalidationBus } from '../l1/bus.js'

/** Options of a write. */
export interface StoreSetOptions {
  /**
   * Index keys the entry is filed under (its job, entity, tags; see
   * `src/invalidation/index-keys.ts`), so that an invalidation of an index
   * reaches it. The entry is filed before (or atomically with) the write, so
   * no entry is ever stored unfiled; each index lives at least as long as
   * the entries filed in it, and forgets them once they expire. An index's
   * invalidation stamps apply to the write as the stored entry's
   * `invalidatedAt` does (see `createdAt`).
   * @default []
   */
  indexes?: readonly string[]
  /**
   * Real-time safety net: the store drops the key after this many ms
   * (Redis `PX`). Freshness and expiry decisions follow the entry header.
   */
  ttlMs: number
  /**
   * Compare-and-set: the write is refused when the stored entry has a newer
   * `createdAt` than this one and has not expired at this `createdAt` (an
   * expired entry reads as gone, so it never blocks a write, whatever its
   * header says). Entries not in our format are overwritten.
   * An invalidation after `createdAt` (the stored entry's `invalidatedAt`,
   * or an index stamp) wins over the write: after a purge (a tombstone or a
   * purge stamp) the write is refused; after a stale mark the entry is
   * stored stale (`freshUntil` = `createdAt`), carrying the mark on.
   */
  createdAt: number
}

/** How an invalidation treats the entries it reaches. */
export type InvalidationMode = 'stale' | 'purge'

/** One invalidation. Times are ms on the cache's clock. */
export interface InvalidateRequest {
  /** Current time: each entry reached gets it as its `invalidatedAt`. */
  now: number
  /**
   * `stale`: `freshUntil` lowered to `now` (value kept; the next read serves
   * it and refreshes). `purge`: the entry replaced by a tombstone (the next
   * read is a miss). Either way the entry's refresh lock is removed.
   */
  mode: InvalidationMode
  /**
   * How long the invalidation is remembered for writes of values fetched
   * before it: a missing entry gets a tombstone that long, a purged one
   * keeps its tombstone at most that long, an index keeps its stamp that long.
   */
  rememberMs: number
}

/**
 * What an invalidation reaches: the given entry keys, or every entry filed
 * under `index` (only those whose key starts with `prefix`, when given: one
 * job's entries of an entity).
 */
export type InvalidationTarget = { keys: readonly string[] } | { index: string; prefix?: string }

/** A refresh lock request. All times are ms on the cache's clock. */
export interface LockRequest {
  /** Current time on the cache's clock. */
  now: number
  /** Logical expiry of the lock (now + refreshTimeout). */
  until: number
  /** Identifies the holder; release only removes a lock with this token. */
  token: string
  /** Real-time safety net for cleanup (Redis `PX`). */
  ttlMs: number
  /**
   * `createdAt` of the entry this refresh replaces (undefined: there is none,
   * a miss). The lock covers entries created up to then: a request naming a
   * newer entry takes a lock whose logical expiry has not passed (the hold of
   * the refresh that wrote that entry, say), so refresh ahead works lifetime
   * after lifetime; one naming the same or an older entry, or none, does not.
   */
  covers?: number
}

/** Outcome of `acquireLock`. */
export type LockResult = 'acquired' | 'held' | 'failed'

/** How long a released lock stays held (see `Store.releaseLock`). */
export interface LockHold {
  /** New logical expiry, ms on the cache's clock. */
  until: number
  /** Real-time safety net for cleanup (Redis `PX`), ms. */
  ttlMs: number
}

/** Which path runs a dispatched refresh: a queue's worker, or the dispatcher itself when the queue was too slow. */
export type RefreshPath = 'queue' | 'in-process'

/** A claim on a dispatched refresh (see `Store.claimRefresh`). */
export interface RefreshClaim {
  /** Token of the refresh lock its dispatch took. */
  token: string
  /** The path that wants to run it. */
  via: RefreshPath
  /** Real-time safety net for cleanup (Redis `PX`), ms. */
  ttlMs: number
}

/** A refresh lock to release once a refresh's value is written (`Store.setAndReleaseLock`). */
export interface LockRelease {
  lockKey: string
  /** The token the refresh holds the lock with. */
  token: string
  /** Keep the lock (same token, same covered entry) until then instead of deleting it. */
  hold?: LockHold
}

/** A storage driver. */
export interface Store {
  /** Short name for events and logs (`memory`, `redis`). */
  readonly name: string
  /** Reads one encoded entry. */
  get(key: string): Promise<Uint8Array | undefined>
  /** Reads many entries in one round-trip, in order. */
  getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]>
  /** Writes an encoded entry with compare-and-set on createdAt. True when written. */
  set(key: string, data: Uint8Array, options: StoreSetOptions): Promise<boolean>
  /** Removes an entry. */
  delete(key: string): Promise<void>
  /**
   * Marks an entry stale by setting its `freshUntil` to `freshUntil` (when it
   * was later), keeping value and createdAt. True when an entry was there.
   */
  expire(key: string, freshUntil: number): Promise<boolean>
  /**
   * Takes the lock at `lockKey` when it is absent, its logical expiry is not
   * after `now`, or the request `covers` a newer entry than the lock does
   * (see `LockRequest.covers`). Atomic across every process sharing the store.
   * `held`: another refresh holds it; `failed`: it is held by a refresh that
   * failed (marked with `markLockFailed`), so no retry before it lapses.
   */
  acquireLock(lockKey: string, request: LockRequest): Promise<LockResult>
  /** Marks the lock held with `token` as held by a failed refresh, keeping its expiry. */
  markLockFailed(lockKey: string, token: string): Promise<void>
  /**
   * Releases the lock when it still carries `token` (any holder's when
   * `token` is undefined). With `hold`, the lock is not deleted but kept by
   * the same token, covering the same entry, until `hold.until` (logical ms) —
   * a refresh that succeeded holds it until its new value goes stale, so
   * reads that saw the old value just before the write do not dispatch a
   * second refresh (reads of the new value may: refresh ahead).
   */
  releaseLock(lockKey: string, token: string | undefined, hold?: LockHold): Promise<void>
  /**
   * Claims the refresh dispatched with `claim.token` for one path, so that a
   * queued job landing after the dispatcher gave up waiting and ran the
   * refresh in-process does not run it again (nor the reverse). True when
   * `claim.via` may run it: no path claimed that token yet, or this same path
   * did (a job delivered again, a stalled job rerun). False when the other
   * path claimed it first. Atomic across every process sharing the store.
   */
  claimRefresh(lockKey: string, claim: RefreshClaim): Promise<boolean>
  /**
   * Marks stale or purges every entry the target reaches, and removes their
   * refresh locks (`lockKeyOf(key)`). For an index, the invalidation is also
   * stamped on it first (see `StoreSetOptions.indexes`). Atomic per entry;
   * across processes sharing the store, a read after it resolves sees it.
   * Resolves with the number of entries (tombstones not counted) reached.
   */
  invalidate(target: InvalidationTarget, request: InvalidateRequest): Promise<number>
  /**
   * Opens the invalidation bus of the processes sharing this store, on a
   * connection of its own (a subscriber connection is never the store's
   * client). Absent on a process-local store (`MemoryStore`): its in-process
   * tier has no one to tell.
   */
  openBus?(): InvalidationBus
  /**
   * Optional: `set`, then `releaseLock(release.lockKey, release.token,
   * release.hold)` (also when the write was refused as older), in one round
   * trip: the end of a successful refresh. Without it the cache makes the two
   * calls. Rejects when the write failed (the lock is then left as it was).
   */
  setAndReleaseLock?(key: string, data: Uint8Array, options: StoreSetOptions, release: LockRelease): Promise<boolean>
  /** Closes the connections this store opened (never a client it was given). */
  close(): Promise<void>
}
