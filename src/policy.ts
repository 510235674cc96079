/**
 * The fresh / stale / miss decision: a pure function of the entry, the time
 * and the policy. No I/O here; the read path in `cacheback.ts` acts on it.
 */
import { CachebackError } from './errors.js'
import type { Entry } from './entry.js'

/** Thresholds of one read, all in milliseconds. */
export interface ReadPolicy {
  /** Entries older than this (since createdAt) are refetched synchronously. */
  fetchOnStaleThresholdMs?: number
  /** A miss fetches synchronously when true, else returns empty and dispatches. */
  fetchOnMiss: boolean
}

/**
 * - `hit`: fresh, serve it.
 * - `stale`: serve it and dispatch a refresh.
 * - `refetch`: stale past `fetchOnStaleThreshold`: fetch synchronously.
 * - `miss`: nothing usable (absent or past its hard expiry).
 */
export type Decision = 'hit' | 'stale' | 'refetch' | 'miss'

/** Decides what to do with `entry` at time `now` (ms). */
export function decide(entry: Pick<Entry, 'createdAt' | 'freshUntil' | 'expiresAt'> | undefined, now: number, policy: Pick<ReadPolicy, 'fetchOnStaleThresholdMs'>): Decision {
  if (!entry || now >= entry.expiresAt) return 'miss'
  if (now < entry.freshUntil) return 'hit'
  const threshold = policy.fetchOnStaleThresholdMs
  if (threshold !== undefined && now - entry.createdAt >= threshold) return 'refetch'
  return 'stale'
}

/** Age of an entry in seconds. */
export function ageSeconds(entry: Pick<Entry, 'createdAt'>, now: number): number {
  return Math.max(0, (now - entry.createdAt) / 1000)
}

/** Timing options of a job, in seconds as the API takes them. */
export interface TimingOptions {
  /** Seconds an entry is fresh. @default 600 */
  lifetime?: number
  /** Seconds until hard expiry (a read is a miss; the store drops it). @default 2592000 */
  ttl?: number
  /** Seconds one dispatched refresh holds the refresh lock. @default 60 */
  refreshTimeout?: number
  /** Seconds since creation past which a stale entry is refetched synchronously. @default undefined (never) */
  fetchOnStaleThreshold?: number
}

export const DEFAULT_LIFETIME = 600
export const DEFAULT_TTL = 2_592_000
export const DEFAULT_REFRESH_TIMEOUT = 60

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
