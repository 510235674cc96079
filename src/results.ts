/** What reads and peeks return. */
import type { HitTier } from './events.js'

/**
 * How a refresh request of a stale read went:
 * - `dispatched`: this read took the key's refresh lock and handed the
 *   refresh over (queued, or run in-process);
 * - `in-flight`: a read, in any process, dispatched it less than
 *   `refreshTimeout` ago and it has neither succeeded nor failed. It may be
 *   running or still waiting in the queue: the lock does not tell the two
 *   apart, so with no worker consuming the queue this is `in-flight` until
 *   `refreshTimeout` has passed, then `dispatched` again;
 * - `failed`: the last refresh failed or could not be sent; it is retried
 *   once `refreshTimeout` has passed.
 */
export type RefreshState = 'dispatched' | 'in-flight' | 'failed'

/** Outcome of one read. */
export interface ReadResult<T> {
  status: 'hit' | 'stale' | 'miss'
  value: T | null
  /** Age of the served entry in seconds (hit, stale). */
  age?: number
  /** Lifetime of the job for these arguments, seconds. */
  lifetime: number
  /** For hits: `l1` when served from this process's in-process tier, `store` when read from the store. */
  tier?: HitTier
  /** For stale reads and non-fetching misses: what happened to the refresh. */
  refresh?: RefreshState
  /**
   * A hit that picked its entry for an early refresh (refresh ahead): one is
   * dispatched in the background unless one is already in flight. The read
   * did not wait for it.
   */
  refreshAhead?: true
}

/** What `peek` sees. */
export interface PeekResult<T> {
  status: 'hit' | 'stale' | 'miss'
  value?: T
  age?: number
}
