/**
 * Refresh ahead: a fresh read that `decide()` picked for an early refresh
 * dispatches it through the same lock and queue as a stale read, in the
 * background (the read is a hit and never waits). Each process asks once
 * per entry: later picks of the same entry skip the lock round-trip while
 * the first one's refresh may still be running.
 */
import type { CacheCore } from '../core.js'
import type { Entry } from '../entry.js'
import type { AnyJob } from '../job.js'
import { type DispatchCall, trackDispatch } from './dispatch.js'

/** Keys this process already dispatched ahead: the entry's createdAt, and until when (ms, cache clock) to skip it. */
type AskedAhead = Map<string, { createdAt: number; until: number }>

/** Most keys remembered per cache; past it the memo starts over (a few extra lock round-trips, never a second refresh). */
const MAX_REMEMBERED = 10_000

const asked = new WeakMap<CacheCore, AskedAhead>()

/** Dispatches an early refresh of `entry` at `key`, unless this process already did for this entry. */
export function dispatchAhead(core: CacheCore, call: DispatchCall, entry: Entry): void {
  const { job, key, args } = call
  let memo = asked.get(core)
  if (!memo) asked.set(core, (memo = new Map()))
  const now = core.now()
  const previous = memo.get(key)
  if (previous && previous.createdAt === entry.createdAt && now < previous.until) return
  if (memo.size >= MAX_REMEMBERED) memo.clear()
  memo.set(key, { createdAt: entry.createdAt, until: now + skipMs(job, args) })
  void trackDispatch(core, call, { ahead: true, covers: entry.createdAt })
}

/** As long as a dispatched refresh may hold the lock (refreshTimeout); 0 for an invalid one, which the dispatch reports. */
function skipMs(job: AnyJob, args: unknown[]): number {
  try {
    const seconds = Number(job.refreshTimeout(...args))
    return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0
  } catch {
    return 0
  }
}
