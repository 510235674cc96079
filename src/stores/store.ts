/**
 * The storage interface every driver implements. Stores hold encoded entries
 * (see `entry.ts`) as bytes and refresh locks; they know the header layout so
 * that writes can compare-and-set on `createdAt` atomically.
 */
import type { InvalidationBus } from '../l1/bus.js'

/** Options of a write. */
export interface StoreSetOptions {
  /**
   * Real-time safety net: the store drops the key after this many ms
   * (Redis `PX`). Freshness and expiry decisions follow the entry header.
   */
  ttlMs: number
  /**
   * Compare-and-set: the write is refused when the stored entry has a newer
   * `createdAt` than this one. Entries not in our format are overwritten.
   */
  createdAt: number
}

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
   * Takes the lock at `lockKey` when it is absent or its logical expiry is
   * not after `now`. Atomic across every process sharing the store.
   * `held`: another refresh holds it; `failed`: it is held by a refresh that
   * failed (marked with `markLockFailed`), so no retry before it lapses.
   */
  acquireLock(lockKey: string, request: LockRequest): Promise<LockResult>
  /** Marks the lock held with `token` as held by a failed refresh, keeping its expiry. */
  markLockFailed(lockKey: string, token: string): Promise<void>
  /**
   * Releases the lock when it still carries `token` (any holder's when
   * `token` is undefined). With `hold`, the lock is not deleted but kept by
   * the same token until `hold.until` (logical ms) — a refresh that succeeded
   * holds it until its new value goes stale, so reads that saw the old value
   * just before the write do not dispatch a second refresh.
   */
  releaseLock(lockKey: string, token: string | undefined, hold?: LockHold): Promise<void>
  /**
   * Opens the invalidation bus of the processes sharing this store, on a
   * connection of its own (a subscriber connection is never the store's
   * client). Absent on a process-local store (`MemoryStore`): its in-process
   * tier has no one to tell.
   */
  openBus?(): InvalidationBus
  /** Closes the connections this store opened (never a client it was given). */
  close(): Promise<void>
}
