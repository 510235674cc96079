/**
 * The GraphQL fast path of an in-process hit. A field whose key is
 * remembered (a parent with an `id`, no arguments) and held fresh is
 * answered from the held entry with no read objects (no argument list,
 * decision or result): at well under a microsecond a hit, those objects and
 * the garbage they leave cost more than the lookup. Anything else takes the
 * full read (`readLocal`), which decides again; a hit that draws a refresh
 * ahead is finished by `readLocalAhead`, which does not draw a second time.
 */
import type { CacheCore } from '../core.js'
import { hitEvent } from '../events.js'
import type { AnyJob } from '../job.js'
import { ageSeconds, drawsAhead } from '../policy.js'
import { dispatchAhead } from '../refresh/ahead.js'
import type { DispatchCall } from '../refresh/dispatch.js'
import type { ReadResult } from '../results.js'
import type { HeldEntry } from './local-tier.js'

/** What {@link fieldHit} answers when the hit also refreshes ahead: the caller builds the read and calls {@link readLocalAhead}. */
export const AHEAD: unique symbol = Symbol('cacheback.refreshAhead')

/**
 * The fresh held entry of `key`, reported as an `l1` hit; {@link AHEAD} when
 * this read drew a refresh ahead (β = `beta`); undefined when the tier does
 * not serve a fresh entry of `key` (the full read decides: it drops a stale
 * one and asks the store).
 */
export function fieldHit(core: CacheCore, job: AnyJob, key: string, beta: number): HeldEntry | typeof AHEAD | undefined {
  const held = core.l1?.lookup(key)
  if (held === undefined) return undefined
  const now = core.now()
  if (now >= held.freshUntil || now >= held.expiresAt) return undefined
  if (beta > 0 && drawsAhead(held, now, beta, core.random)) return AHEAD
  if (core.listened) core.emit(hitEvent(job, key, ageSeconds(held, now), 'l1'))
  return held
}

/** The in-process hit of `key` that {@link fieldHit} drew a refresh ahead for: dispatches it (in the background) and answers the hit. */
export function readLocalAhead<T>(core: CacheCore, job: AnyJob, args: unknown[], key: string): ReadResult<T> | undefined {
  const held = core.l1?.lookup(key)
  return held === undefined ? undefined : localHit<T>(core, { job, key, args }, held, true)
}

/**
 * The result of a hit on `held`, reported as an `l1` hit; with `ahead`, the
 * refresh ahead this read drew is dispatched (in the background: the hit does
 * not wait).
 */
export function localHit<T>(core: CacheCore, call: DispatchCall, held: HeldEntry, ahead: boolean): ReadResult<T> {
  const { job, key, args } = call
  const age = ageSeconds(held, core.now())
  if (core.listened) core.emit(hitEvent(job, key, age, 'l1'))
  const value = core.l1!.local!.valueOf(held) as T
  if (!ahead) return { status: 'hit', value, age, lifetime: job.lifetime(...args), tier: 'l1' }
  dispatchAhead(core, call, held)
  return { status: 'hit', value, age, lifetime: job.lifetime(...args), tier: 'l1', refreshAhead: true }
}
