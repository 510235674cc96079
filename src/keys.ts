/**
 * Cache keys: `<namespace>:<job name>:<sha256 of a stable serialization>`.
 * The serialization ({@link stableSerialize}) is type-tagged and
 * length-prefixed, so different argument values never share a key
 * (`{a: "1:2"}` and `{a: "1", b: "2"}` differ, so do `"a\ud800"` and
 * `"a\udbff"`), object key order does not matter, and keys stay bounded in
 * length whatever the arguments. What cannot be keyed is refused with
 * `E_INVALID_KEY`.
 */
import * as crypto from 'node:crypto'
import { stableSerialize } from './key-serialization.js'

export { stableSerialize }

/**
 * One-shot sha256 (`crypto.hash`, Node >= 20.12 / 21.7) costs about a fifth
 * of `createHash().update().digest()` for a short input; keys are hashed on
 * every read.
 */
const hashOnce = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash
const { createHash } = crypto

/** sha256 (hex) of the stable serialization of `parts`. */
export function hashParts(parts: unknown): string {
  const text = stableSerialize(parts)
  return hashOnce ? hashOnce('sha256', text, 'hex') : createHash('sha256').update(text).digest('hex')
}

/**
 * Builds a full cache key. The hash also covers the namespace and job name,
 * so a colon in either (`graphql:User.tweets`) cannot make two keys meet.
 */
export function buildKey(namespace: string, jobName: string, parts: unknown): string {
  return `${namespace}:${jobName}:${hashParts([namespace, jobName, parts])}`
}

/** Key of the refresh lock that belongs to an entry key. */
export function lockKeyOf(entryKey: string): string {
  return `${entryKey}:refresh`
}

/** Short id for a queue job, derived from the entry key. */
export function jobIdOf(entryKey: string): string {
  return createHash('sha256').update(entryKey).digest('hex').slice(0, 40)
}
