/**
 * Cache keys: `<namespace>:<job name>:<sha256 of a stable serialization>`.
 * The serialization is type-tagged and length-prefixed, so different
 * argument values never share a key (`{a: "1:2"}` and `{a: "1", b: "2"}`
 * differ), object key order does not matter, and keys stay bounded in length
 * whatever the arguments.
 */
import { createHash } from 'node:crypto'

/** Stable, type-tagged, unambiguous serialization of key parts. */
export function stableSerialize(value: unknown, seen: Set<object> = new Set()): string {
  switch (typeof value) {
    case 'undefined':
      return 'u'
    case 'boolean':
      return value ? 't' : 'f'
    case 'number':
      return `n${Object.is(value, -0) ? '0' : String(value)};`
    case 'bigint':
      return `b${value};`
    case 'string':
      return `s${value.length}:${value}`
    case 'symbol':
    case 'function':
      throw new TypeError(`cannot use a ${typeof value} as a cache key part`)
  }
  if (value === null) return 'z'
  const obj = value as object
  if (seen.has(obj)) throw new TypeError('cannot use a circular structure as a cache key part')
  if (value instanceof Date) return `d${value.getTime()};`
  seen.add(obj)
  try {
    if (Array.isArray(value)) return `a${value.length}[${value.map((v) => stableSerialize(v, seen)).join('')}]`
    if (value instanceof Map) {
      const parts = [...value].map(([k, v]) => stableSerialize(k, seen) + stableSerialize(v, seen)).sort()
      return `m${parts.length}{${parts.join('')}}`
    }
    if (value instanceof Set) {
      const parts = [...value].map((v) => stableSerialize(v, seen)).sort()
      return `e${parts.length}{${parts.join('')}}`
    }
    if (ArrayBuffer.isView(value)) return `x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')};`
    const keys = Object.keys(obj).filter((k) => (obj as Record<string, unknown>)[k] !== undefined).sort()
    const body = keys.map((k) => `s${k.length}:${k}${stableSerialize((obj as Record<string, unknown>)[k], seen)}`).join('')
    return `o${keys.length}{${body}}`
  } finally {
    seen.delete(obj)
  }
}

/** sha256 (hex) of the stable serialization of `parts`. */
export function hashParts(parts: readonly unknown[]): string {
  return createHash('sha256').update(stableSerialize(parts)).digest('hex')
}

/** Builds a full cache key. */
export function buildKey(namespace: string, jobName: string, parts: readonly unknown[]): string {
  return `${namespace}:${jobName}:${hashParts(parts)}`
}

/** Key of the refresh lock that belongs to an entry key. */
export function lockKeyOf(entryKey: string): string {
  return `${entryKey}:refresh`
}

/** Short id for a queue job, derived from the entry key. */
export function jobIdOf(entryKey: string): string {
  return createHash('sha256').update(entryKey).digest('hex').slice(0, 40)
}
