/**
 * The stable serialization that cache keys hash. Every value is either
 * written with its full content and its type, or refused with
 * `E_INVALID_KEY`; two values share a serialization only when they are
 * equal under these normalizations, and no others:
 *
 * - object key order does not matter, and a key holding `undefined` counts
 *   as absent (as in JSON and GraphQL); a null-prototype object is a plain
 *   object;
 * - `-0` is `0` (also inside boxed numbers), and every `NaN` is one value;
 * - an array is its elements, a hole reading as `undefined` (non-index
 *   properties are not part of it, as JSON, msgpack and GraphQL drop them);
 * - Map and Set insertion order does not matter.
 *
 * Tags (one character each, every variable part length-prefixed or ended by
 * a character it cannot contain) keep the text unambiguous.
 */
import { types } from 'node:util'
import { CachebackError } from './errors.js'

const { hasOwnProperty, propertyIsEnumerable } = Object.prototype

/** A getter of a built-in's prototype, to read an instance's state without trusting its own properties. */
const getter = (proto: object, name: PropertyKey) => Object.getOwnPropertyDescriptor(proto, name)!.get as (this: unknown) => unknown

/** The internal name of a typed array (`Uint8Array`…), which a subclass cannot fake. */
const typedArrayName = getter(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag) as (this: unknown) => string
const regExpSource = getter(RegExp.prototype, 'source') as (this: unknown) => string
const regExpFlags = getter(RegExp.prototype, 'flags') as (this: unknown) => string
const urlHref = getter(URL.prototype, 'href') as (this: unknown) => string
const { getTime } = Date.prototype
const mapEntries = Map.prototype.entries as (this: unknown) => IterableIterator<[unknown, unknown]>
const setValues = Set.prototype.values as (this: unknown) => IterableIterator<unknown>
const paramsString = URLSearchParams.prototype.toString as (this: unknown) => string

const isWellFormed = (text: string): boolean => (text as unknown as { isWellFormed(): boolean }).isWellFormed()

function refuse(what: string, cause?: unknown): never {
  throw new CachebackError('E_INVALID_KEY', `cannot use ${what} as a cache key part`, { cause })
}

/**
 * A string. One that is not well-formed UTF-16 (a lone surrogate) is written
 * as its code units in hex under its own tag: as UTF-8, which the hash reads,
 * every lone surrogate would become U+FFFD and `"a\ud800"` meet `"a\udbff"`.
 */
function serializeString(text: string): string {
  if (isWellFormed(text)) return `s${text.length}:${text}`
  return `w${text.length}:${Buffer.from(text, 'utf16le').toString('hex')}`
}

/** Stable, type-tagged, unambiguous serialization of key parts; throws `E_INVALID_KEY` for what cannot be keyed. */
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
      return serializeString(value)
    case 'symbol':
    case 'function':
      return refuse(`a ${typeof value}`)
  }
  if (value === null) return 'z'
  const obj = value as object
  seen ??= new Set()
  if (seen.has(obj)) refuse('a circular structure')
  seen.add(obj)
  try {
    return serializeObject(obj, seen)
  } finally {
    seen.delete(obj)
  }
}

function serializeObject(value: object, seen: Set<object>): string {
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto === Object.prototype || proto === null) return serializeKeys(value, seen)
  if (proto === Array.prototype && Array.isArray(value)) {
    checkSymbolKeys(value)
    // An index loop, not map: holes read as undefined instead of vanishing.
    let out = `a${value.length}[`
    for (let i = 0; i < value.length; i++) out += stableSerialize(value[i], seen)
    return `${out}]`
  }
  return serializeBuiltIn(value, proto, seen) ?? serializeOther(value, proto as object, seen)
}

/** The built-ins keyed by their content (an exact prototype and the brand both); undefined for anything else. */
function serializeBuiltIn(value: object, proto: unknown, seen: Set<object>): string | undefined {
  if (types.isArrayBufferView(value)) return serializeView(value as ArrayBufferView, proto)
  if (proto === Date.prototype && types.isDate(value)) return `d${getTime.call(value)};`
  if (proto === RegExp.prototype && types.isRegExp(value)) return `r${serializeString(regExpSource.call(value))}${serializeString(regExpFlags.call(value))}`
  if (proto === Map.prototype && types.isMap(value)) {
    const parts = Array.from(mapEntries.call(value), ([k, v]) => stableSerialize(k, seen) + stableSerialize(v, seen)).sort()
    return `m${parts.length}{${parts.join('')}}`
  }
  if (proto === Set.prototype && types.isSet(value)) {
    const parts = Array.from(setValues.call(value), (v) => stableSerialize(v, seen)).sort()
    return `e${parts.length}{${parts.join('')}}`
  }
  if (types.isArrayBuffer(value) || types.isSharedArrayBuffer(value)) {
    const kind = types.isArrayBuffer(value) ? 'ArrayBuffer' : 'SharedArrayBuffer'
    return `y${serializeString(kind)}${Buffer.from(value as ArrayBuffer).toString('base64')};`
  }
  const unbox = BOX_VALUE_OF.get(proto)
  if (unbox && types.isBoxedPrimitive(value)) return serializeBoxed(value, unbox)
  if (proto === URL.prototype) return `U${serializeString(readBuiltIn(() => urlHref.call(value), 'URL'))}`
  if (proto === URLSearchParams.prototype) return `Q${serializeString(readBuiltIn(() => paramsString.call(value), 'URLSearchParams'))}`
  return undefined
}

/** Typed arrays and DataViews: their kind, their class when it is a subclass (Buffer), their bytes. */
function serializeView(view: ArrayBufferView, proto: unknown): string {
  const kind = types.isTypedArray(view) ? typedArrayName.call(view) : 'DataView'
  const intrinsic = (globalThis as unknown as Record<string, { prototype: unknown } | undefined>)[kind]?.prototype
  if (proto !== intrinsic && !(typeof proto === 'object' && proto !== null && isClassPrototype(proto))) refuse(`a ${kind} with a prototype that is not a class's`)
  const className = proto === intrinsic ? '' : `class ${constructorName(proto)}`
  const bytes = Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('base64')
  return `x${serializeString(kind)}${serializeString(className)}${bytes};`
}

/** The intrinsic `valueOf` of each boxed primitive's prototype (an own `valueOf` on the box cannot lie). */
const BOX_VALUE_OF = new Map<unknown, (this: unknown) => unknown>([
  [Number.prototype, Number.prototype.valueOf],
  [String.prototype, String.prototype.valueOf],
  [Boolean.prototype, Boolean.prototype.valueOf],
  [BigInt.prototype, BigInt.prototype.valueOf],
  [Symbol.prototype, Symbol.prototype.valueOf],
])

/** `new Number(1)`, `Object(1n)`…: their type and value; a boxed symbol is refused. */
function serializeBoxed(value: object, unbox: (this: unknown) => unknown): string {
  if (types.isSymbolObject(value)) refuse('a boxed symbol')
  return `B${stableSerialize(unbox.call(value))}`
}

/** Reads a built-in's state; an object that only borrows the prototype (`Object.create(URL.prototype)`) is refused. */
function readBuiltIn(read: () => string, name: string): string {
  try {
    return read()
  } catch (cause) {
    return refuse(`an object with the prototype of ${name} that is not one`, cause)
  }
}

/**
 * Anything else with a prototype. A class instance (its prototype's own
 * `constructor` is a function whose `prototype` is that prototype) is keyed
 * by class name and `toJSON()`, or refused without one: its state may live in
 * private fields. Errors, promises and weak collections are refused. An
 * object whose prototype is a plain data object (a JSON scalar that assigns a
 * literal `__proto__` builds one) inherits what that holds: the prototype
 * chain is part of the key.
 */
function serializeOther(value: object, proto: object, seen: Set<object>): string {
  if (value instanceof Error || types.isNativeError(value)) refuse('an Error')
  if (types.isPromise(value) || typeof (value as { then?: unknown }).then === 'function') refuse('a Promise (or thenable)')
  if (types.isWeakMap(value) || types.isWeakSet(value) || value instanceof WeakRef) refuse('a weak collection or reference')
  if (!isClassPrototype(proto)) return `p${stableSerialize(proto, seen)}${serializeKeys(value, seen)}`
  const name = constructorName(proto)
  const toJSON = (value as { toJSON?: unknown }).toJSON
  if (typeof toJSON !== 'function') refuse(`an instance of ${name || 'an anonymous class'} without toJSON() (its state may live outside its own fields)`)
  let json: unknown
  try {
    json = toJSON.call(value)
  } catch (cause) {
    refuse(`an instance of ${name || 'an anonymous class'} whose toJSON() throws`, cause)
  }
  return `j${serializeString(name)}${stableSerialize(json, seen)}`
}

function isClassPrototype(proto: object): boolean {
  const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value
  return typeof ctor === 'function' && ctor.prototype === proto
}

function constructorName(proto: unknown): string {
  const ctor = typeof proto === 'object' && proto !== null && hasOwnProperty.call(proto, 'constructor') ? Object.getOwnPropertyDescriptor(proto, 'constructor')?.value : undefined
  return typeof ctor === 'function' && typeof ctor.name === 'string' ? ctor.name : ''
}

/** An enumerable symbol key holds data the string keys do not show: refused. */
function checkSymbolKeys(obj: object): void {
  for (const symbol of Object.getOwnPropertySymbols(obj)) {
    if (propertyIsEnumerable.call(obj, symbol)) refuse(`an object with a symbol key (${String(symbol)})`)
  }
}

/** Own enumerable keys, sorted; keys holding undefined count as absent. */
function serializeKeys(obj: object, seen: Set<object>): string {
  checkSymbolKeys(obj)
  const record = obj as Record<string, unknown>
  const keys = Object.keys(obj).filter((k) => record[k] !== undefined).sort()
  let out = `o${keys.length}{`
  for (const k of keys) out += serializeString(k) + stableSerialize(record[k], seen)
  return `${out}}`
}
