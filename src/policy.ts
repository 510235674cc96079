/**
 * The fresh / stale / refetch / miss decision: a pure function of the entry,
 * the time and the policy (built from the job's hooks). No I/O here; the read
 * path acts on the tagged decision it returns.
 */
import type { Entry } from './entry.js'
import { CachebackError } from './errors.js'

/** What a read decides, from the job's hooks. */
export interface ReadPolicy {
  /**
   * Whether a stale entry of this age (seconds since createdAt) is refetched
   * synchronously instead of served (`fetchOnStaleThreshold`: strictly older).
   * @default never
   */
  refetchStale?: (ageSeconds: number) => boolean
  /** Whether a miss fetches synchronously; false: serve `empty()` and dispatch. @default always */
  fetchOnMiss?: () => boolean
  /** β of refresh ahead (`refreshAhead`): 0 is off, 1 the XFetch paper's choice, more refreshes earlier. @default 0 */
  refreshAhead?: () => number
  /** Uniform draw in [0, 1) for refresh ahead. @default Math.random */
  random?: () => number
}

/**
 * - `hit`: fresh, serve it; with `refreshAhead: true`, also dispatch an early
 *   refresh (probabilistic early expiration, see {@link refreshesAhead}).
 * - `stale`: serve it and dispatch a refresh.
 * - `refetch`: stale past `fetchOnStaleThreshold`: fetch synchronously.
 * - `miss`: nothing usable (absent or past its hard expiry); `fetch` says
 *   whether to fetch synchronously or serve empty and dispatch.
 */
export type Decision<T = unknown> =
  | { kind: 'hit'; entry: Entry<T>; age: number; refreshAhead?: true }
  | { kind: 'stale'; entry: Entry<T>; age: number }
  | { kind: 'refetch'; entry: Entry<T>; age: number }
  | { kind: 'miss'; fetch: boolean }

const MISS_FETCH = Object.freeze({ kind: 'miss', fetch: true } as const)
const MISS_EMPTY = Object.freeze({ kind: 'miss', fetch: false } as const)

/** Decides what to do with `entry` at time `now` (ms on the cache's clock). */
export function decide<T>(entry: Entry<T> | undefined, now: number, policy: ReadPolicy = {}): Decision<T> {
  if (!entry || now >= entry.expiresAt) return policy.fetchOnMiss && !policy.fetchOnMiss() ? MISS_EMPTY : MISS_FETCH
  const age = ageSeconds(entry, now)
  if (now < entry.freshUntil) return refreshesAhead(entry, now, policy) ? { kind: 'hit', entry, age, refreshAhead: true } : { kind: 'hit', entry, age }
  if (policy.refetchStale?.(age)) return { kind: 'refetch', entry, age }
  return { kind: 'stale', entry, age }
}

/**
 * Largest `−ln(rand)` of a draw: `rand = 1 − random()` is at least 2⁻⁵³ for
 * any double `random()` below 1. An entry fresh for longer than
 * `δ·β·MAX_EXPONENT` cannot refresh ahead, so no draw is made.
 */
const MAX_EXPONENT = 37

/**
 * Probabilistic early expiration (XFetch; Vattani, Chierichetti, Lowenstein,
 * VLDB 2015): a fresh entry refreshes ahead when
 * `now − δ·β·ln(rand) ≥ freshUntil`, δ = its fetch's duration (`fetchMs`),
 * β = `refreshAhead`, `rand = 1 − random()` in (0, 1]. With `t` ms of
 * freshness left that happens with probability `exp(−t / (δ·β))`: almost
 * never early in a lifetime, surely at its end; sooner for costly fetches.
 * False when δ or β is 0 (a value stored with `set`, or refresh ahead off).
 */
export function refreshesAhead(entry: Pick<Entry, 'freshUntil' | 'fetchMs'>, now: number, policy: ReadPolicy): boolean {
  if (!entry.fetchMs || !policy.refreshAhead) return false
  return drawsAhead(entry, now, policy.refreshAhead(), policy.random ?? Math.random)
}

/** The draw of {@link refreshesAhead} with β known (`beta`; 0 or less is off). */
export function drawsAhead(entry: Pick<Entry, 'freshUntil' | 'fetchMs'>, now: number, beta: number, random: () => number): boolean {
  const delta = entry.fetchMs
  if (!delta || !(beta > 0) || entry.freshUntil - now > delta * beta * MAX_EXPONENT) return false
  return now - delta * beta * Math.log(1 - random()) >= entry.freshUntil
}

/** The probability that a read `msLeft` ms before `freshUntil` refreshes ahead (what {@link refreshesAhead} draws). */
export function refreshAheadProbability(fetchMs: number, beta: number, msLeft: number): number {
  if (msLeft <= 0) return 1
  return fetchMs > 0 && beta > 0 ? Math.exp(-msLeft / (fetchMs * beta)) : 0
}

/** Checks that `refreshAhead` (β) is a finite number ≥ 0. */
export function checkRefreshAhead(value: unknown, owner: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new CachebackError('E_INVALID_OPTION', `${owner}: option "refreshAhead" must be a finite number ≥ 0 (0 = off), got ${String(value)}`, { job: owner })
  }
  return value
}

/** Age of an entry in seconds (0 when the clock is behind its createdAt). */
export function ageSeconds(entry: Pick<Entry, 'createdAt'>, now: number): number {
  return Math.max(0, (now - entry.createdAt) / 1000)
}

/** `fetchOnStaleThreshold` as a policy: refetch an entry strictly older than `threshold` seconds. */
export function olderThan(threshold: number | undefined): ReadPolicy['refetchStale'] {
  return threshold === undefined ? undefined : (age) => age > threshold
}

/** Checks that a time option is a positive finite number of seconds. */
export function checkSeconds(value: unknown, option: string, owner: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new CachebackError('E_INVALID_OPTION', `${owner}: option "${option}" must be a positive number of seconds, got ${String(value)}`, { job: owner })
  }
  return value
}

/** Validates lifetime against ttl (both seconds). */
export function checkLifetimeTtl(lifetime: number, ttl: number, owner: string): void {
  checkSeconds(lifetime, 'lifetime', owner)
  checkSeconds(ttl, 'ttl', owner)
  if (ttl < lifetime) {
    throw new CachebackError('E_INVALID_OPTION', `${owner}: ttl (${ttl} s) must not be shorter than lifetime (${lifetime} s)`, { job: owner })
  }
}
