/**
 * Fetching and storing: single flight per key in this process, the
 * compare-and-set write, and the encoding that refuses values the store
 * would not give back as they went in.
 */
import { findUnstorable, pack } from './codec.js'
import type { CacheCore, Flight } from './core.js'
import { encodeEntry } from './entry.js'
import { CachebackError, isCachebackError, messageOf } from './errors.js'
import { fetchEvent, storeErrorEvent } from './events.js'
import { entryIndexes } from './invalidation/index-keys.js'
import { Tagged } from './invalidation/tags.js'
import type { AnyJob } from './job.js'
import { checkSeconds } from './policy.js'

/** How one fetch runs. */
export interface FetchOptions {
  /** The call that computes the value (a request's own resolver call, say). @default the job's `fetch` */
  fetch?: () => unknown
  /** A failed write rejects (refreshes) instead of being only reported. @default false */
  strictWrite?: boolean
  /**
   * Wait for the write before resolving (so the next read anywhere hits).
   * False when the store already failed this read: the value is served at
   * once and the write finishes in the background. @default true
   */
  awaitWrite?: boolean
  /** Join an in-flight fetch of the key only when it started less than this long ago, ms. @default the job's refreshTimeout */
  joinWithinMs?: number
  /**
   * A refresh's lock, handed over by the write itself when this call starts
   * the flight: one store round trip for the end of a refresh.
   */
  releaseLock?: LockHandOver
}

/** A refresh lock to hand over with the write: kept by its token until `holdUntil` (ms, cache clock), deleted when that has passed. */
export interface LockHandOver {
  lockKey: string
  token: string
  holdUntil: number
}

/** One keyed call of a job: what a fetch and its write concern. */
export interface KeyedCall {
  job: AnyJob
  key: string
  /** Prepared arguments of the job. */
  args: unknown[]
}

/** How a flight's write went: its failure (already reported), if it failed. */
interface Stored {
  error?: unknown
}

const WRITTEN: Stored = Object.freeze({})

/**
 * Single flight: concurrent fetches of one key in this process share one
 * call. The flight stays joinable until its value is stored, so a read that
 * comes while a slow write is under way gets the value at once. A failed
 * write is reported once; only a caller with `strictWrite` rejects on it,
 * whoever started the flight.
 */
export async function fetchShared(core: CacheCore, call: KeyedCall, options: FetchOptions = {}): Promise<unknown> {
  return (await fetchFlight(core, call, options)).value
}

/** `fetchShared`, telling also whether the write handed `options.releaseLock` over (false when it joined another flight). */
export async function fetchFlight(core: CacheCore, call: KeyedCall, options: FetchOptions = {}): Promise<{ value: unknown; lockReleased: boolean }> {
  const { flight, own } = joinOrFly(core, call, options)
  const value = await flight.fetched
  if (options.strictWrite) {
    const { error } = await flight.stored
    if (error !== undefined) throw error
  } else if (options.awaitWrite !== false) {
    await flight.stored
  }
  return { value, lockReleased: own && options.releaseLock !== undefined && (await flight.lockReleased) === true }
}

function joinOrFly(core: CacheCore, call: KeyedCall, options: FetchOptions): { flight: Flight; own: boolean } {
  const { job, key } = call
  const existing = core.flights.get(key)
  // A flight older than `joinWithinMs` (refreshTimeout) is presumed stuck: start a new one beside it.
  if (existing && core.now() - existing.startedAt < (options.joinWithinMs ?? stuckAfterMs(call))) return { flight: existing, own: false }
  const startedAt = core.now()
  const fetched = fetchAndStore(core, call, options)
  const stored = fetched.then(
    ({ written }) => {
      const settled = written.then(
        () => WRITTEN,
        (error: unknown): Stored => {
          core.emit(storeErrorEvent(error, job, key))
          return { error }
        },
      )
      core.track(settled) // `drain()` waits for a write no reader waited for
      return settled
    },
    () => WRITTEN, // the fetch failed: nothing to write (its callers get the error)
  )
  const lockReleased = fetched.then(({ lockReleased: released }) => released === true, () => false)
  const flight: Flight = { fetched: fetched.then(({ value }) => value), stored, startedAt, lockReleased }
  core.flights.set(key, flight)
  void stored.then(() => core.flights.get(key) === flight && core.flights.delete(key))
  return { flight, own: true }
}

/** How long a fetch may run before reads stop joining it: the job's `refreshTimeout`, ms. */
function stuckAfterMs({ job, args }: KeyedCall): number {
  const seconds = job.refreshTimeout(...args)
  return typeof seconds === 'number' && seconds > 0 ? seconds * 1000 : Infinity
}

/** Fetches (reported as a `fetch` event), encodes and starts the compare-and-set write (with the lock hand-over, when given). */
export async function fetchAndStore(
  core: CacheCore,
  call: KeyedCall,
  { fetch, releaseLock }: Pick<FetchOptions, 'fetch' | 'releaseLock'> = {},
): Promise<{ value: unknown; written: Promise<unknown>; lockReleased?: boolean }> {
  const { job, key, args } = call
  const createdAt = core.now()
  let value: unknown
  try {
    value = await (fetch ? fetch() : job.fetch(...args))
  } catch (error) {
    core.emit(fetchEvent(job, key, core.now() - createdAt, error))
    throw error
  }
  const fetchMs = core.now() - createdAt
  core.emit(fetchEvent(job, key, fetchMs))
  let extraTags: readonly string[] | undefined
  if (value instanceof Tagged) ({ value, tags: extraTags } = value) // run-time tags (a resolver's cacheTags)
  let write: EntryWrite
  try {
    write = { bytes: encodeForStore(core, call, value, { createdAt, fetchMs }), createdAt, indexes: entryIndexes({ namespace: core.namespace, job, args, value, extraTags }) }
  } catch (error) {
    if (!isCachebackError(error)) throw error
    core.emit(storeErrorEvent(error, job, key))
    return { value: job.unstorable(error, value), written: Promise.resolve() }
  }
  return { value, written: storeBytes(core, call, { ...write, release: releaseLock }), lockReleased: releaseLock !== undefined }
}

/** One entry to write: its bytes, its createdAt, the indexes it is filed under (`entryIndexes`), and a refresh lock to hand over in the same call. */
export interface EntryWrite {
  bytes: Buffer
  createdAt: number
  indexes: readonly string[]
  release?: LockHandOver
}

/**
 * The compare-and-set write of encoded bytes, with the job's ttl as the
 * store's safety net; with `release`, the lock hand-over too (one call when
 * the store has `setAndReleaseLock`), the hold's ttl counted from now. With
 * `l1`, once the write settles (either way: a timed out write may still land)
 * the key is dropped from this process's tier and announced to the others;
 * the promise resolves after the announcement.
 */
export function storeBytes(core: CacheCore, call: KeyedCall, write: EntryWrite): Promise<boolean> {
  const written = writeBytes(core, call, write)
  const l1 = core.l1
  if (l1 === undefined) return written
  const forget = () => l1.forget([call.key])
  return written.then(
    (stored) => forget().then(() => stored),
    (error: unknown) => forget().then(() => Promise.reject(error)),
  )
}

async function writeBytes(core: CacheCore, call: KeyedCall, { bytes, createdAt, indexes, release }: EntryWrite): Promise<boolean> {
  const { job, key, args } = call
  const options = { createdAt, ttlMs: Math.max(1, Math.ceil(job.ttl(...args) * 1000)), indexes }
  const { store } = core
  if (!release) return store.set(key, bytes, options)
  const hold = holdFromNow(release.holdUntil, core.now())
  if (store.setAndReleaseLock) return store.setAndReleaseLock(key, bytes, options, { lockKey: release.lockKey, token: release.token, hold })
  const written = await store.set(key, bytes, options)
  // The value is stored: a hand-over that fails is reported and the lock lapses on its own.
  await store.releaseLock(release.lockKey, release.token, hold).catch((error) => core.emit(storeErrorEvent(error, job, key)))
  return written
}

/** A lock hold until `until` (ms, cache clock) with its real-time ttl from `now`; none once `until` has passed. */
export function holdFromNow(until: number, now: number): { until: number; ttlMs: number } | undefined {
  return until > now ? { until, ttlMs: Math.max(1, Math.ceil(until - now)) } : undefined
}

/** When an entry was made: `createdAt` (ms epoch) and, when it was fetched, how long that took (`fetchMs`, δ of refresh ahead). */
export interface EntryTimes {
  createdAt: number
  /** @default 0 (unknown: such an entry never refreshes ahead) */
  fetchMs?: number
}

/** Encodes `value` as an entry made at `times`, or throws a coded error naming the job. */
export function encodeForStore(core: CacheCore, call: KeyedCall, value: unknown, times: EntryTimes): Buffer {
  const { job, key, args } = call
  const { createdAt } = times
  let payload: Buffer
  try {
    const bad = findUnstorable(value) // bounded depth; a stack overflow anyway is caught below
    if (bad) {
      throw new CachebackError('E_UNSERIALIZABLE_VALUE', `${job.name}: the value cannot be cached faithfully: ${bad} would not survive the store round-trip`, { job: job.name, key })
    }
    payload = pack(value)
  } catch (cause) {
    if (isCachebackError(cause)) throw cause
    throw new CachebackError('E_UNSERIALIZABLE_VALUE', `${job.name}: the value cannot be serialized: ${messageOf(cause)}`, { job: job.name, key, cause })
  }
  if (payload.length > core.maxValueBytes) {
    throw new CachebackError('E_VALUE_TOO_LARGE', `${job.name}: the value is ${payload.length} bytes serialized, over the limit of ${core.maxValueBytes} (maxValueBytes)`, { job: job.name, key })
  }
  // Hooks may compute times per argument: a bad one is a coded error naming the job, never a broken entry.
  const ttl = checkSeconds(job.ttl(...args), 'ttl', job.name)
  const freshUntil = job.expiry(createdAt, ...args)
  if (typeof freshUntil !== 'number' || !Number.isFinite(freshUntil)) {
    throw new CachebackError('E_INVALID_OPTION', `${job.name}: expiry() must return a finite ms epoch, got ${String(freshUntil)}`, { job: job.name, key })
  }
  return encodeEntry({ value, createdAt, freshUntil, expiresAt: createdAt + ttl * 1000, fetchMs: times.fetchMs }, payload)
}
