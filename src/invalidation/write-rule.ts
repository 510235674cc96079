/**
 * How an invalidation wins over a write of a value fetched before it: the
 * rule every store driver applies in its compare-and-set (the Redis scripts
 * mirror it in Lua). Pure; times are ms on the cache's clock.
 */
import { type EntryHeader, isTombstone } from '../entry.js'

/** The latest invalidations recorded on the indexes an entry is filed under (0: none). */
export interface IndexStamps {
  stale: number
  purge: number
}

export const NO_STAMPS: IndexStamps = Object.freeze({ stale: 0, purge: 0 })

/**
 * `refuse`: the stored entry is newer, or a purge came after `createdAt`
 * (the write must not bring the old value back). `stale`: a stale mark came
 * after `createdAt`: store it stale, carrying `invalidatedAt` on. `write`:
 * store it as is.
 */
export type WriteVerdict = { kind: 'refuse' } | { kind: 'stale'; invalidatedAt: number } | { kind: 'write' }

const REFUSE: WriteVerdict = Object.freeze({ kind: 'refuse' })
const WRITE: WriteVerdict = Object.freeze({ kind: 'write' })

/** What to do with a write of an entry created at `createdAt`, given the stored header (undefined: none, or not ours) and the stamps. */
export function writeVerdict(stored: EntryHeader | undefined, stamps: IndexStamps, createdAt: number): WriteVerdict {
  // A newer entry wins unless it has expired at `createdAt` (reads treat it as gone), whatever its createdAt says.
  if (stored && stored.createdAt > createdAt && stored.expiresAt > createdAt) return REFUSE
  const storedMark = stored?.invalidatedAt ?? 0
  const purgedAt = Math.max(stored && isTombstone(stored) ? storedMark : 0, stamps.purge)
  if (createdAt < purgedAt) return REFUSE
  const staleAt = Math.max(storedMark, stamps.stale)
  return createdAt < staleAt ? { kind: 'stale', invalidatedAt: staleAt } : WRITE
}
