/**
 * The stored envelope. One store read gives the value and its own freshness,
 * so fresh, stale and gone are told apart with no second round-trip.
 *
 * Layout (26-byte header, then the msgpack payload):
 *
 * | bytes  | content                                      |
 * |--------|----------------------------------------------|
 * | 0      | magic `0xCB`                                 |
 * | 1      | format version (`1`)                         |
 * | 2–9    | `createdAt`, ms epoch, float64 big-endian    |
 * | 10–17  | `freshUntil`, ms epoch, float64 big-endian   |
 * | 18–25  | `expiresAt`, ms epoch, float64 big-endian    |
 * | 26–    | value, msgpack (structured clone extension)  |
 *
 * The Lua scripts of `RedisStore` read `createdAt` and rewrite `freshUntil`
 * at these offsets; keep them in step with `src/stores/lua/`.
 */
import { Packr } from 'msgpackr'
import { CachebackError, messageOf } from './errors.js'

export const ENTRY_MAGIC = 0xcb
export const ENTRY_VERSION = 1
export const HEADER_BYTES = 26

/** A decoded cache entry. Times are ms epoch on the cache's clock. */
export interface Entry<T = unknown> {
  value: T
  createdAt: number
  freshUntil: number
  expiresAt: number
}

// Records (no shared structures: every message is self-contained) for plain objects; msgpack maps stay Maps.
const packr = new Packr({ structuredClone: true, moreTypes: true, mapsAsObjects: false })

/** Serializes a value (Date, Map, Set, bigint, typed arrays keep their types). */
export function pack(value: unknown): Buffer {
  return packr.pack(value)
}

/** Reverses {@link pack}. */
export function unpack(bytes: Uint8Array): unknown {
  return packr.unpack(bytes)
}

/** Encodes an entry into its stored form. */
export function encodeEntry(entry: Entry, payload: Buffer = pack(entry.value)): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length)
  out[0] = ENTRY_MAGIC
  out[1] = ENTRY_VERSION
  out.writeDoubleBE(entry.createdAt, 2)
  out.writeDoubleBE(entry.freshUntil, 10)
  out.writeDoubleBE(entry.expiresAt, 18)
  payload.copy(out, HEADER_BYTES)
  return out
}

/** Reads only the header (no payload decoding); undefined when not ours. */
export function readHeader(bytes: Uint8Array): Omit<Entry, 'value'> | undefined {
  if (bytes.length < HEADER_BYTES || bytes[0] !== ENTRY_MAGIC || bytes[1] !== ENTRY_VERSION) return undefined
  const view = asBuffer(bytes)
  return {
    createdAt: view.readDoubleBE(2),
    freshUntil: view.readDoubleBE(10),
    expiresAt: view.readDoubleBE(18),
  }
}

/**
 * Decodes a stored entry. Throws `E_CORRUPT_ENTRY` (naming the key) when the
 * bytes are not an entry of this format; callers treat that as a miss.
 */
export function decodeEntry<T>(bytes: Uint8Array, key: string): Entry<T> {
  // Fields read straight into the result (no intermediate header object): this runs on every hit.
  const view = bytes.length >= HEADER_BYTES && bytes[0] === ENTRY_MAGIC && bytes[1] === ENTRY_VERSION ? asBuffer(bytes) : undefined
  const createdAt = view ? view.readDoubleBE(2) : Number.NaN
  const freshUntil = view ? view.readDoubleBE(10) : Number.NaN
  const expiresAt = view ? view.readDoubleBE(18) : Number.NaN
  if (!Number.isFinite(createdAt) || !Number.isFinite(expiresAt)) {
    throw new CachebackError('E_CORRUPT_ENTRY', `Stored data at "${key}" is not a cacheback entry (format v${ENTRY_VERSION}); treating it as a miss`, { key })
  }
  let value: T
  try {
    value = unpack(bytes.subarray(HEADER_BYTES)) as T
  } catch (cause) {
    throw new CachebackError('E_CORRUPT_ENTRY', `Stored entry at "${key}" cannot be decoded: ${messageOf(cause)}`, { key, cause })
  }
  return { value, createdAt, freshUntil, expiresAt }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
}

/**
 * Finds the first part of `value` that would not survive the store
 * round-trip with its type: functions, symbols (as values or keys), promises,
 * own `__proto__` keys (as `JSON.parse` makes them) and instances of classes
 * other than the built-ins the serializer keeps (Date, Map, Set, RegExp,
 * typed arrays), and with `strings`, strings that are not well-formed UTF-16.
 * Returns a path like `value.items[2].load`, or undefined when the whole
 * value is storable.
 */
export function findUnstorable(value: unknown, path = 'value', options: { strings?: boolean } = {}): string | undefined {
  return findIn(value, path, new Set(), options.strings === true)
}

const isWellFormed = (text: string): boolean => (text as unknown as { isWellFormed(): boolean }).isWellFormed()

/** `strings`: also strings that are not well-formed UTF-16 (msgpack writes them as UTF-8, each lone surrogate as U+FFFD). */
function findIn(value: unknown, path: string, seen: Set<object>, strings: boolean): string | undefined {
  switch (typeof value) {
    case 'function':
    case 'symbol':
      return `${path} (${typeof value})`
    case 'string':
      return strings && !isWellFormed(value) ? `${path} (a string with a lone surrogate)` : undefined
    case 'object':
      break
    default:
      return undefined
  }
  if (value === null || seen.has(value)) return undefined
  seen.add(value)
  if (value instanceof Date || value instanceof RegExp || ArrayBuffer.isView(value)) return undefined
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findIn(value[i], `${path}[${i}]`, seen, strings)
      if (found) return found
    }
    return undefined
  }
  if (value instanceof Map) {
    for (const [k, v] of value) {
      const found = findIn(k, `${path}<key>`, seen, strings) ?? findIn(v, `${path}.get(${String(k)})`, seen, strings)
      if (found) return found
    }
    return undefined
  }
  if (value instanceof Set) {
    for (const v of value) {
      const found = findIn(v, `${path}<member>`, seen, strings)
      if (found) return found
    }
    return undefined
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) {
    const kind = typeof (value as { then?: unknown }).then === 'function' ? 'a promise' : `an instance of ${proto?.constructor?.name ?? 'a class'}`
    return `${path} (${kind})`
  }
  // msgpack drops symbol keys, and msgpackr renames an own "__proto__" key to "__proto_" when decoding.
  const symbol = Object.getOwnPropertySymbols(value).find((s) => Object.prototype.propertyIsEnumerable.call(value, s))
  if (symbol) return `${path}[${String(symbol)}] (a symbol key)`
  for (const k of Object.keys(value)) {
    if (k === '__proto__') return `${path}.__proto__ (an own "__proto__" key)`
    if (strings && !isWellFormed(k)) return `${path}[${JSON.stringify(k)}] (a key with a lone surrogate)`
    const found = findIn((value as Record<string, unknown>)[k], `${path}.${k}`, seen, strings)
    if (found) return found
  }
  return undefined
}
