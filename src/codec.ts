/**
 * The value codec: how values become bytes and back (msgpack with the
 * structured-clone extension, so Date, Map, Set, bigint and typed arrays keep
 * their types), and which values would not survive that round trip.
 */
import { Packr } from 'msgpackr'
import { MAX_VALUE_DEPTH } from './defaults.js'

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

/**
 * Finds the first part of `value` that would not survive the store
 * round-trip with its type: functions, symbols (as values or keys), promises,
 * own `__proto__` keys (as `JSON.parse` makes them) and instances of classes
 * other than the built-ins the serializer keeps (Date, Map, Set, RegExp,
 * typed arrays), nesting deeper than {@link MAX_VALUE_DEPTH} levels (the
 * serializer would overflow the stack), and with `strings`, strings that are
 * not well-formed UTF-16. Returns a path like `value.items[2].load`, or
 * undefined when the whole value is storable.
 */
export function findUnstorable(value: unknown, path = 'value', options: { strings?: boolean } = {}): string | undefined {
  return findIn(value, path, { seen: new Set(), strings: options.strings === true }, 0)
}

/** What one search carries down: the objects already seen, and whether strings are checked. */
interface Search {
  seen: Set<object>
  strings: boolean
}

const isWellFormed = (text: string): boolean => (text as unknown as { isWellFormed(): boolean }).isWellFormed()

/** `strings`: also strings that are not well-formed UTF-16 (msgpack writes them as UTF-8, each lone surrogate as U+FFFD). */
function findIn(value: unknown, path: string, search: Search, depth: number): string | undefined {
  const { seen, strings } = search
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
  if (depth >= MAX_VALUE_DEPTH) return `${shorten(path)} (nested deeper than ${MAX_VALUE_DEPTH} levels)`
  seen.add(value)
  const inner = depth + 1
  if (value instanceof Date || value instanceof RegExp || ArrayBuffer.isView(value)) return undefined
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findIn(value[i], `${path}[${i}]`, search, inner)
      if (found) return found
    }
    return undefined
  }
  if (value instanceof Map) {
    for (const [k, v] of value) {
      const found = findIn(k, `${path}<key>`, search, inner) ?? findIn(v, `${path}.get(${String(k)})`, search, inner)
      if (found) return found
    }
    return undefined
  }
  if (value instanceof Set) {
    for (const v of value) {
      const found = findIn(v, `${path}<member>`, search, inner)
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
    const found = findIn((value as Record<string, unknown>)[k], `${path}.${k}`, search, inner)
    if (found) return found
  }
  return undefined
}

/** The start of a long path, for messages. */
function shorten(path: string): string {
  return path.length > 80 ? `${path.slice(0, 80)}…` : path
}
