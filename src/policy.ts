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
}

/**
 * - `hit`: fresh, serve it.
 * - `stale`: serve it and dispatch a refresh.
 * - `refetch`: stale past `fetchOnStaleThreshold`: fetch synchronously.
 * - `miss`: nothing usable (absent or past its hard expiry); `fetch` says
 *   whether to fetch synchronously or serve empty and dispatch.
 */
export type Decision<T = unknown> =
  | { kind: 'hit'; entry: Entry<T>; age: number }
  | { kind: 'stale'; entry: Entry<T>; age: number }
  | { kind: 'refetch'; entry: Entry<T>; age: number }
  | { kind: 'miss'; fetch: boolean }

const MISS_FETCH = Object.freeze({ kind: 'miss', fetch: true } as const)
const MISS_EMPTY = Object.freeze({ kind: 'miss', fetch: false } as const)

/** Decides what to do with `entry` at time `now` (ms on the cache's clock). */
export function decide<T>(entry: Entry<T> | undefined, now: number, policy: ReadPolicy = {}): Decision<T> {
  if (!entry || now >= entry.expiresAt) return policy.fetchOnMiss && !policy.fetchOnMiss() ? MISS_EMPTY : MISS_FETCH
  const age = ageSeconds(entry, now)
  if (now < entry.freshUntil) return { kind: 'hit', entry, age }
  if (policy.refetchStale?.(age)) return { kind: 'refetch', entry, age }
  return { kind: 'stale', entry, age }
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
