/** What reads and peeks return. */
import type { HitTier } from './events.js'

/** How a refresh request of a stale read went. */
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
}

/** What `peek` sees. */
export interface PeekResult<T> {
  status: 'hit' | 'stale' | 'miss'
  value?: T
  age?: number
}
