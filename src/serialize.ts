/**
 * Turns a fetched value into stored bytes, refusing values that would not
 * come back as they went in, or that are larger than the cache allows.
 */
import { CachebackError, messageOf } from './errors.js'
import { encodeEntry, findUnstorable, pack } from './entry.js'
import type { AnyJob } from './job.js'
import { checkSeconds } from './policy.js'

/** Encodes `value` as an entry created at `createdAt`, or throws a coded error naming the job. */
export function encodeForStore(job: AnyJob, args: unknown[], value: unknown, createdAt: number, maxBytes: number, key: string): Buffer {
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
  if (payload.length > maxBytes) {
    throw new CachebackError('E_VALUE_TOO_LARGE', `${job.name}: the value is ${payload.length} bytes serialized, over the limit of ${maxBytes} (maxValueBytes)`, { job: job.name, key })
  }
  // Hooks may compute times per argument: a bad one is a coded error naming the job, never a broken entry.
  const ttl = checkSeconds(job.ttl(...args), 'ttl', job.name)
  const freshUntil = job.expiry(createdAt, ...args)
  if (typeof freshUntil !== 'number' || !Number.isFinite(freshUntil)) {
    throw new CachebackError('E_INVALID_OPTION', `${job.name}: expiry() must return a finite ms epoch, got ${String(freshUntil)}`, { job: job.name, key })
  }
  const expiresAt = createdAt + ttl * 1000
  return encodeEntry({ value, createdAt, freshUntil, expiresAt }, payload)
}
