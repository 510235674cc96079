/**
 * Values of every kind a cache key may be built from, for property-based
 * tests of keys (fast-check arbitraries), and the equivalence that two such
 * values share a key under: the documented normalizations and nothing more.
 */
import fc from 'fast-check'

/** Two classes keyed by their toJSON(); another class named Money must key like this one. */
export class Money {
  constructor(readonly cents: number) {}
  toJSON() {
    return { cents: this.cents }
  }
}
export class Price {
  constructor(readonly cents: number) {}
  toJSON() {
    return { cents: this.cents }
  }
}

// ---- the equivalence -----------------------------------------------------------

type Kind = 'undefined' | 'null' | 'boolean' | 'number' | 'bigint' | 'string' | 'array' | 'plain' | 'data-proto' | 'date' | 'regexp' | 'map' | 'set' | 'view' | 'buffer' | 'url' | 'params' | 'boxed' | 'class'

const BOXES = new Set<unknown>([Number.prototype, String.prototype, Boolean.prototype, BigInt.prototype])

/** The kind of a generated value, read from the value itself (never from the key). */
export function kindOf(value: unknown): Kind {
  if (value === null) return 'null'
  const type = typeof value
  if (type !== 'object') return type as Kind
  const proto = Object.getPrototypeOf(value)
  if (proto === Object.prototype || proto === null) return 'plain'
  if (Array.isArray(value)) return 'array'
  if (value instanceof Date) return 'date'
  if (value instanceof RegExp) return 'regexp'
  if (value instanceof Map) return 'map'
  if (value instanceof Set) return 'set'
  if (ArrayBuffer.isView(value)) return 'view'
  if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return 'buffer'
  if (value instanceof URL) return 'url'
  if (value instanceof URLSearchParams) return 'params'
  if (BOXES.has(proto)) return 'boxed'
  if (value instanceof Money || value instanceof Price) return 'class'
  return 'data-proto'
}

const definedKeys = (obj: object) => Object.keys(obj).filter((k) => (obj as Record<string, unknown>)[k] !== undefined).sort()

function sameRecords(a: object, b: object): boolean {
  const keys = definedKeys(a)
  const other = definedKeys(b)
  return keys.length === other.length && keys.every((k, i) => k === other[i] && equivalent((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
}

/** Whether two lists hold equivalent members, each matched once (order ignored). */
function sameMultiset<T>(a: T[], b: T[], same: (x: T, y: T) => boolean): boolean {
  if (a.length !== b.length) return false
  const left = [...b]
  return a.every((x) => {
    const i = left.findIndex((y) => same(x, y))
    return i >= 0 && left.splice(i, 1).length === 1
  })
}

const bytesOf = (view: ArrayBufferView | ArrayBufferLike) =>
  ArrayBuffer.isView(view) ? Buffer.from(view.buffer, view.byteOffset, view.byteLength) : Buffer.from(view as ArrayBuffer)

/**
 * Two values are equivalent when they are the same kind with the same
 * content, where: -0 is 0 and NaN is NaN; object key order does not count,
 * nor do keys holding undefined, nor a null prototype vs Object.prototype;
 * array holes are undefined; Map and Set order does not count; typed arrays
 * and buffers are their kind, class and bytes; a class instance is its class
 * name and toJSON(); an object with a data prototype is its prototype chain
 * and its own keys.
 */
export function equivalent(a: unknown, b: unknown): boolean {
  const kind = kindOf(a)
  if (kind !== kindOf(b)) return false
  const x = a as any
  const y = b as any
  switch (kind) {
    case 'number':
      return Object.is(x, y) || (x === 0 && y === 0)
    case 'array':
      return x.length === y.length && Array.from({ length: x.length }, (_, i) => i).every((i) => equivalent(x[i], y[i]))
    case 'plain':
      return sameRecords(x, y)
    case 'data-proto':
      return equivalent(Object.getPrototypeOf(x), Object.getPrototypeOf(y)) && sameRecords(x, y)
    case 'date':
      return Object.is(x.getTime(), y.getTime())
    case 'regexp':
      return x.source === y.source && x.flags === y.flags
    case 'map':
      return sameMultiset([...x], [...y], ([k1, v1]: [unknown, unknown], [k2, v2]: [unknown, unknown]) => equivalent(k1, k2) && equivalent(v1, v2))
    case 'set':
      return sameMultiset([...x], [...y], equivalent)
    case 'view':
      return Object.prototype.toString.call(x) === Object.prototype.toString.call(y) && Object.getPrototypeOf(x) === Object.getPrototypeOf(y) && bytesOf(x).equals(bytesOf(y))
    case 'buffer':
      return Object.getPrototypeOf(x) === Object.getPrototypeOf(y) && bytesOf(x).equals(bytesOf(y))
    case 'url':
      return x.href === y.href
    case 'params':
      return JSON.stringify([...x]) === JSON.stringify([...y])
    case 'boxed':
      return equivalent(x.valueOf(), y.valueOf())
    case 'class':
      return x.constructor.name === y.constructor.name && equivalent(x.toJSON(), y.toJSON())
    default:
      return x === y
  }
}

// ---- the arbitraries -----------------------------------------------------------

/** Code units that trip UTF-8 (lone surrogates, U+FFFD itself), among any others. */
const codeUnit = fc.oneof(fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff', '\ufffd', 'a', 'e'), fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)))

/** Builds an object from entries, own "__proto__" keys included (defineProperty, never assignment). */
export function record(entries: [string, unknown][], nullPrototype = false, proto: object | null = nullPrototype ? null : Object.prototype): object {
  const out = Object.create(proto) as object
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true })
  return out
}

/**
 * Any keyable value, nested a few levels. `tiny`: drawn from so few leaves
 * (lone surrogates, 0 and -0, one-byte typed arrays of every kind…) that two
 * draws often are, or nearly are, the same value.
 */
function keyableValues(tiny: boolean): { value: fc.Arbitrary<unknown>; leafGroups: fc.Arbitrary<unknown>[] } {
  const interesting = fc.constantFrom('', 'eve\ud800', 'eve\udbff', 'eve\ufffd', '__proto__', 'constructor')
  const strings = tiny ? interesting : fc.oneof(interesting, fc.constantFrom('a', '1'), fc.string({ unit: codeUnit, maxLength: 4 }), fc.string({ unit: 'binary', maxLength: 4 }))
  const someNumbers = fc.constantFrom(0, -0, Number.NaN, 1)
  const numbers = tiny ? someNumbers : fc.oneof(someNumbers, fc.constantFrom(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1.5, -1), fc.integer({ min: -3, max: 3 }), fc.double())
  const bigints = tiny ? fc.constantFrom(0n, 1n) : fc.oneof(fc.bigInt({ min: -3n, max: 3n }), fc.bigInt())
  const primitives = fc.oneof(strings, numbers, bigints, fc.boolean(), fc.constant(null), fc.constant(undefined))
  const small = { maxLength: tiny ? 2 : 3 }
  const ints = { min: 0, max: tiny ? 1 : 2, ...small }
  const uint8 = fc.uint8Array(ints)
  const typedArrays = fc.oneof(
    fc.int8Array(ints),
    uint8,
    uint8.map((bytes) => Buffer.from(bytes)),
    fc.uint8ClampedArray(ints),
    fc.int16Array(ints),
    fc.uint16Array(ints),
    fc.int32Array(ints),
    fc.uint32Array(ints),
    tiny ? fc.constantFrom(new Float32Array([0]), new Float32Array([-0])) : fc.float32Array(small),
    tiny ? fc.constantFrom(new Float64Array([0]), new Float64Array([Number.NaN])) : fc.float64Array(small),
    fc.bigInt64Array({ min: 0n, max: 1n, ...small }),
    fc.bigUint64Array({ min: 0n, max: 1n, ...small }),
    fc.tuple(uint8, fc.nat(2)).map(([bytes, offset]) => new DataView(bytes.buffer, Math.min(offset, bytes.length))),
  )
  const buffers = fc.oneof(
    uint8.map((bytes) => bytes.slice().buffer),
    uint8.map((bytes) => {
      const shared = new SharedArrayBuffer(bytes.length)
      new Uint8Array(shared).set(bytes)
      return shared
    }),
  )
  const otherBuiltIns = fc.oneof(
    tiny ? fc.constantFrom(0, 1, Number.NaN).map((ms) => new Date(ms)) : fc.oneof(fc.date({ noInvalidDate: false }), fc.integer({ min: -1, max: 1 }).map((ms) => new Date(ms))),
    fc.tuple(fc.constantFrom('a', 'a|b', '\\d'), fc.subarray(tiny ? ['g'] : ['g', 'i', 'm', 's', 'y'])).map(([source, flags]) => new RegExp(source, flags.join(''))),
    fc.tuple(fc.nat(1), strings).map(([host, path]) => new URL(`https://h${host}.example/${path}`)),
  )
  const params = fc.array(fc.tuple(strings, strings), small).map((entries) => new URLSearchParams(entries))
  const boxed = fc.oneof(numbers, strings, fc.boolean(), bigints).map((primitive) => Object(primitive) as object)
  const classes = fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 1 })).map(([money, cents]) => (money ? new Money(cents) : new Price(cents)))
  const leafGroups = [primitives, fc.oneof(typedArrays, buffers), otherBuiltIns, params, fc.oneof(boxed, primitives), classes]
  const builtIns = fc.oneof(typedArrays, buffers, otherBuiltIns, params, boxed, classes)
  const value = fc.letrec<{ value: unknown; container: unknown; dataProto: object }>((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, primitives, builtIns, tie('container')),
    container: fc.oneof(
      fc.array(tie('value'), small),
      fc.sparseArray(tie('value'), { maxLength: small.maxLength + 1 }),
      fc.tuple(fc.array(fc.tuple(strings, tie('value')), small), fc.boolean()).map(([entries, nullProto]) => record(entries, nullProto)),
      tie('dataProto'),
      fc.array(fc.tuple(tie('value'), tie('value')), small).map((entries) => new Map(entries)),
      fc.array(tie('value'), small).map((members) => new Set(members)),
    ),
    // An object whose prototype is a plain data object, its own `constructor` key included (as a naive JSON scalar builds it).
    dataProto: fc
      .tuple(fc.array(fc.tuple(fc.oneof(fc.constant('constructor'), strings), tie('value')), small), fc.oneof(fc.constant(undefined), tie('dataProto')), fc.array(fc.tuple(strings, tie('value')), small))
      .map(([protoEntries, deeper, own]) => record(own, false, record(protoEntries, false, deeper ?? Object.prototype))),
  })).value
  return { value, leafGroups }
}

/** Any keyable value, of every kind. */
export const keyable = keyableValues(false).value

const tiny = keyableValues(true)

/** Wraps a value in a container: array, object value, Map key or value, Set member, own or inherited field, a prototype's `constructor`. */
const wrappers: ((v: unknown) => unknown)[] = [
  (v) => [v],
  (v) => record([['k', v]]),
  (v) => record([['k', v]], true),
  (v) => new Map([[v, 1]]),
  (v) => new Map([[1, v]]),
  (v) => new Set([v]),
  (v) => record([], false, record([['k', v]])),
  (v) => record([['own', 1]], false, record([['constructor', v]])),
]

/**
 * Pairs that are, or nearly are, one value: two draws from one small group of
 * leaves (the typed arrays of every kind over one or two bytes, the strings
 * with lone surrogates, 0 and -0…), wrapped alike in up to three containers
 * (or, one time in four at each level, in two different ones), or two
 * values of any kind from those leaves.
 */
export const nearPairs: fc.Arbitrary<[unknown, unknown]> = fc.oneof(
  fc.tuple(
    fc.oneof(...tiny.leafGroups.map((group) => fc.tuple(group, group))),
    fc.array(fc.tuple(fc.constantFrom(...wrappers), fc.constantFrom(...wrappers), fc.nat(3)), { maxLength: 3 }),
  ).map(([pair, wraps]) => wraps.reduce<[unknown, unknown]>(([a, b], [wrap, other, same]) => [wrap(a), (same === 0 ? other : wrap)(b)], pair)),
  fc.tuple(tiny.value, tiny.value),
)
