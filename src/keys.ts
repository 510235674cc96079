/**
 * Cache keys: `<namespace>:<job name>:<sha256 of a stable serialization>`.
 * The serialization is type-tagged and length-prefixed, so different
 * argument values never share a key (`{a: "1:2"}` and `{a: "1", b: "2"}`
 * differ), object key order does not matter, and keys stay bounded in length
 * whatever the arguments.
 */
import * as crypto from 'node:crypto'

/**
 * One-shot sha256 (`crypto.hash`, Node >= 20.12 / 21.7) costs about a fifth
 * of `createHash().update().digest()` for a short input; keys are hashed on
 * every read.
 */
const hashOnce = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash
const { createHash } = crypto

/** Stable, type-tagged, unambiguous serialization of key parts. */
export function stableSerialize(value: unknown, seen?: Set<object>): string {
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
  seen ??= new Set()
  if (seen.has(obj)) throw new TypeError('cannot use a circular structure as a cache key part')
  seen.add(obj)
  try {
    return serializeObject(obj, seen)
  } finally {
    seen.delete(obj)
  }
}

function serializeObject(value: object, seen: Set<object>): string {
  if (value instanceof Date) return `d${value.getTime()};`
  if (value instanceof RegExp) return `r${stableSerialize(value.source)}${stableSerialize(value.flags)}`
  if (Array.isArray(value)) {
    // An index loop, not map: holes read as undefined instead of vanishing.
    let out = `a${value.length}[`
    for (let i = 0; i < value.length; i++) out += stableSerialize(value[i], seen)
    return `${out}]`
  }
  if (value instanceof Map) {
    const parts = [...value].map(([k, v]) => stableSerialize(k, seen) + stableSerialize(v, seen)).sort()
    return `m${parts.length}{${parts.join('')}}`
  }
  if (value instanceof Set) {
    const parts = [...value].map((v) => stableSerialize(v, seen)).sort()
    return `e${parts.length}{${parts.join('')}}`
  }
  if (ArrayBuffer.isView(value)) return `x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')};`
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null && !Object.prototype.hasOwnProperty.call(proto, 'constructor')) {
    // A plain object as prototype (`o.__proto__ = {...}`, as a JSON scalar that
    // assigns literal fields one by one builds it): what it holds is inherited
    // by the value the resolver sees, so it is part of the key.
    return `p${stableSerialize(proto, seen)}${serializeKeys(value, seen)}`
  }
  if (proto !== Object.prototype && proto !== null) {
    // Class instances (URL, Decimal, ObjectId…) often keep their state out of
    // own enumerable keys: key them by toJSON() when they have one.
    const name = stableSerialize(String(proto?.constructor?.name ?? ''))
    const toJSON = (value as { toJSON?: unknown }).toJSON
    if (typeof toJSON === 'function') return `j${name}${stableSerialize(toJSON.call(value), seen)}`
    return `c${name}${serializeKeys(value, seen)}`
  }
  return serializeKeys(value, seen)
}

/** Own enumerable keys, sorted; keys holding undefined count as absent. */
function serializeKeys(obj: object, seen: Set<object>): string {
  const record = obj as Record<string, unknown>
  const keys = Object.keys(obj).filter((k) => record[k] !== undefined).sort()
  return `o${keys.length}{${keys.map((k) => `s${k.length}:${k}${stableSerialize(record[k], seen)}`).join('')}}`
}

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
