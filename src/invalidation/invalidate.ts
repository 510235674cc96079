/**
 * Running an invalidation: one store call for the resolved target, an
 * `invalidated` event, this process's in-flight fetches made unjoinable
 * (a read after the invalidation never gets a value fetched before it), and
 * the in-process tiers of every process told (`l1`).
 */
import type { CacheCore } from '../core.js'
import { DEFAULT_INVALIDATION_MEMORY_MS } from '../defaults.js'
import { invalidatedEvent } from '../events.js'
import type { InvalidationMode } from '../stores/store.js'
import type { ResolvedSelector } from './selectors.js'

/** Invalidates what `resolved` reaches; resolves with the number of stored entries marked or removed. Store failures reject. */
export async function runInvalidation(core: CacheCore, resolved: ResolvedSelector, mode: InvalidationMode): Promise<number> {
  const startedAt = core.now()
  const { target } = resolved
  // Reads from now on start their own fetch rather than join one that began before the invalidation.
  if ('keys' in target) for (const key of target.keys) core.flights.delete(key)
  else core.flights.clear()
  let count: number
  try {
    count = await core.store.invalidate(target, { now: startedAt, mode, rememberMs: DEFAULT_INVALIDATION_MEMORY_MS })
  } finally {
    // The in-process tier of every process drops what this reached (all of it when the store resolved the keys itself).
    if (core.l1) await ('keys' in target ? core.l1.forget(target.keys) : core.l1.forgetAll())
  }
  const key = 'keys' in target && target.keys.length === 1 ? target.keys[0] : undefined
  core.emit(invalidatedEvent({ kind: resolved.kind, mode, count, job: resolved.job, coordinate: resolved.coordinate, key, invalidateMs: core.now() - startedAt }))
  return count
}
