/**
 * Fetching and storing: single flight per key in this process, the
 * compare-and-set write, and the encoding that refuses values the store
 * would not give back as they went in.
 */
import { findUnstorable, pack } from './codec.js'
import type { CacheCore } from './core.js'
import { encodeEntry } from './entry.js'
import { CachebackError, isCachebackError, messageOf } from './errors.js'
import { fetchEvent, storeErrorEvent } from './events.js'
import type { AnyJob } from './job.js'
import { checkSeconds } from './policy.js'

/** How one fetch runs. */
export interface FetchOptions {
  /** The call that computes the value (a request's own resolver call, say). @default the job's `fetch` */
  fetch?: () => unknown
  /** A failed write rejects (refreshes) instead of being only reported. @default false */
  strictWrite?: boolean
  /** Join an in-flight fetch of the key only when it started less than this long ago, ms. @default Infinity */
  joinWithinMs?: number
}

/** One keyed call of a job: what a fetch and its write concern. */
export interface KeyedCall {
  job: AnyJob
  key: string
  /** Prepared arguments of the job. */
  args: unknown[]
}

/** What a flight settles with: the value, and its write's failure (already reported) if it failed. */
interface Fetched {
  value: unknown
  writeError?: unknown
}

/**
 * Single flight: concurrent fetches of one key in this process share one
 * call, which resolves once the value is stored (so the next read hits). A
 * failed write is reported once; only a caller with `strictWrite` rejects on
 * it, whoever started the flight.
 */
export async function fetchShared(core: CacheCore, call: KeyedCall, options: FetchOptions = {}): Promise<unknown> {
  const fetched = await joinOrFly(core, call, options)
  if (options.strictWrite && fetched.writeError !== undefined) throw fetched.writeError
  return fetched.value
}

function joinOrFly(core: CacheCore, call: KeyedCall, options: FetchOptions): Promise<Fetched> {
  const { key } = call
  const existing = core.flights.get(key)
  // A flight older than `joinWithinMs` is presumed stuck: start a new one beside it.
  if (existing && core.now() - existing.startedAt < (options.joinWithinMs ?? Infinity)) return existing.promise as Promise<Fetched>
  const flight = { promise: fetchAndWait(core, call, options.fetch), startedAt: core.now() }
  core.flights.set(key, flight)
  const done = () => void (core.flights.get(key) === flight && core.flights.delete(key))
  flight.promise.then(done, done)
  return flight.promise
}

async function fetchAndWait(core: CacheCore, call: KeyedCall, fetch?: () => unknown): Promise<Fetched> {
  const { value, written } = await fetchAndStore(core, call, fetch)
  try {
    await written
    return { value }
  } catch (error) {
    core.emit(storeErrorEvent(error, call.job, call.key))
    return { value, writeError: error }
  }
}

/** Fetches (reported as a `fetch` event), encodes and starts the compare-and-set write. */
export async function fetchAndStore(core: CacheCore, call: KeyedCall, fetch?: () => unknown): Promise<{ value: unknown; written: Promise<unknown> }> {
  const { job, key, args } = call
  const createdAt = core.now()
  let value: unknown
  try {
    value = await (fetch ? fetch() : job.fetch(...args))
  } catch (error) {
    core.emit(fetchEvent(job, key, core.now() - createdAt, error))
    throw error
  }
  core.emit(fetchEvent(job, key, core.now() - createdAt))
  let bytes: Buffer
  try {
    bytes = encodeForStore(core, call, value, createdAt)
  } catch (error) {
    if (!isCachebackError(error)) throw error
    core.emit(storeErrorEvent(error, job, key))
    return { value: job.unstorable(error, value), written: Promise.resolve() }
  }
  return { value, written: storeBytes(core, call, bytes, createdAt) }
}

/**
 * The compare-and-set write of encoded bytes, with the job's ttl as the
 * store's safety net. With `l1`, once the write settles (either way: a timed
 * out write may still land) the key is dropped from this process's tier and
 * announced to the others; the promise resolves after the announcement.
 */
export function storeBytes(core: CacheCore, call: KeyedCall, bytes: Buffer, createdAt: number): Promise<boolean> {
  const ttlMs = Math.max(1, Math.ceil(call.job.ttl(...call.args) * 1000))
  const written = core.store.set(call.key, bytes, { createdAt, ttlMs })
  const l1 = core.l1
  if (l1 === undefined) return written
  const forget = () => l1.forget([call.key])
  return written.then(
    (stored) => forget().then(() => stored),
    (error: unknown) => forget().then(() => Promise.reject(error)),
  )
}

/** Encodes `value` as an entry created at `createdAt`, or throws a coded error naming the job. */
export function encodeForStore(core: CacheCore, call: KeyedCall, value: unknown, createdAt: number): Buffer {
  const { job, key, args } = call
  const bad = findUnstorable(value)
  if (bad) {
    throw new CachebackError('E_UNSERIALIZABLE_VALUE', `${job.name}: the value cannot be cached faithfully: ${bad} would not survive the store round-trip`, { job: job.name, key })
  }
  let payload: Buffer
  try {
    payload = pack(value)
  } catch (cause) {
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
  return encodeEntry({ value, createdAt, freshUntil, expiresAt: createdAt + ttl * 1000 }, payload)
}
