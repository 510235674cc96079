/**
 * Keys, property-based (fast-check): over values of every kind a key is built
 * from (strings with lone surrogates and full unicode, every number, bigints,
 * arrays with holes, nested and null-prototype objects, objects with data
 * prototypes, Date, RegExp, Map, Set, every typed array, DataView, Buffer,
 * ArrayBuffer, SharedArrayBuffer, URL, URLSearchParams, boxed primitives,
 * classes with toJSON), two values get one key exactly when they are
 * equivalent under the documented normalizations; reordering keys and the
 * other normalizations never change a key; and what cannot be keyed is
 * refused with E_INVALID_KEY naming the job.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Cacheback, CachebackError, buildKey, cacheback, stableSerialize } from '../src/index.js'
import { equivalent, keyable, kindOf, nearPairs, record } from './helpers/key-values.js'

const RUNS = 2000
const key = (value: unknown) => buildKey('ns', 'job', [value])

/** A deterministic shuffle driven by fast-check's generated `order`. */
function shuffled<T>(items: T[], order: number[]): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = (order[i % order.length] ?? 0) % (i + 1)
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

/**
 * A copy of `value` that differs only by the documented normalizations: object
 * keys (own and in prototypes) and Map/Set members in another order, extra
 * keys holding undefined, -0 for 0, holes for undefined array elements, and a
 * null prototype for Object.prototype.
 */
function normalizedCopy(value: unknown, order: number[], depth = 0): unknown {
  const flip = (order[depth % order.length] ?? 0) % 2 === 1
  const copy = (v: unknown) => normalizedCopy(v, order, depth + 1)
  switch (kindOf(value)) {
    case 'number':
      return value === 0 ? (flip ? -0 : 0) : value
    case 'array': {
      // An undefined element (hole or not) becomes a hole when `flip`, an explicit undefined otherwise.
      const items = value as unknown[]
      const out: unknown[] = new Array(items.length)
      for (let i = 0; i < items.length; i++) {
        if (items[i] !== undefined) out[i] = copy(items[i])
        else if (!flip) out[i] = undefined
      }
      return out
    }
    case 'plain':
    case 'data-proto': {
      const proto = Object.getPrototypeOf(value)
      const newProto = kindOf(value) === 'plain' ? (flip ? null : Object.prototype) : copy(proto)
      const entries = Object.keys(value as object).map((k): [string, unknown] => [k, copy((value as Record<string, unknown>)[k])])
      if (flip) entries.push([`undefined-${depth}`, undefined])
      return record(shuffled(entries, order), false, newProto as object | null)
    }
    case 'map':
      return new Map(shuffled([...(value as Map<unknown, unknown>)].map(([k, v]) => [copy(k), copy(v)] as [unknown, unknown]), order))
    case 'set':
      return new Set(shuffled([...(value as Set<unknown>)].map(copy), order))
    default:
      return value
  }
}

describe('keys, property-based', () => {
  it('gives two values one key exactly when they are equivalent', () => {
    let sameKey = 0
    fc.assert(
      fc.property(fc.oneof({ arbitrary: nearPairs, weight: 3 }, { arbitrary: fc.tuple(keyable, keyable), weight: 1 }), ([a, b]) => {
        const same = key(a) === key(b)
        if (same) sameKey++
        if (same !== equivalent(a, b)) expect.fail(`same key: ${same}, equivalent: ${!same}: ${stableSerialize(a)} vs ${stableSerialize(b)}`)
      }),
      { numRuns: RUNS },
    )
    // Near pairs meet often enough (about 5% of them) that the "same key" side is exercised too.
    expect(sameKey).toBeGreaterThan(RUNS / 100)
  })

  it('gives one key to a value and its copy under the normalizations (key order, undefined keys, -0, holes, Map/Set order)', () => {
    fc.assert(
      fc.property(keyable, fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), (value, order) => {
        const copy = normalizedCopy(value, order)
        expect(equivalent(value, copy)).toBe(true)
        expect(key(copy)).toBe(key(value))
      }),
      { numRuns: RUNS },
    )
  })

  it('never meets a key of a value of another kind', () => {
    fc.assert(
      fc.property(keyable, keyable, (a, b) => {
        fc.pre(kindOf(a) !== kindOf(b))
        expect(key(a)).not.toBe(key(b))
      }),
      { numRuns: RUNS },
    )
  })
})

// ---- refused kinds -----------------------------------------------------------

class Point {
  #secret = Math.random()
  constructor(readonly x: number) {}
  get secret() {
    return this.#secret
  }
}
class Exploding {
  toJSON(): never {
    throw new Error('no JSON today')
  }
}
class List extends Array<number> {}

/** What a key can never be built from: no content and type to key it by, or content that cannot be read. */
const refusedItems = fc.constantFrom<[string, () => unknown]>(
  ['a function', () => () => 1],
  ['a symbol', () => Symbol('s')],
  ['a promise', () => Promise.resolve(1)],
  ['a thenable', () => ({ then: (resolve: (v: number) => void) => resolve(1) })],
  ['an Error', () => new Error('boom')],
  ['a TypeError', () => new TypeError('boom')],
  ['a WeakMap', () => new WeakMap()],
  ['a WeakSet', () => new WeakSet()],
  ['a WeakRef', () => new WeakRef({})],
  ['a class instance without toJSON', () => new Point(1)],
  ['an Array subclass', () => List.from([1])],
  ['a class whose toJSON throws', () => new Exploding()],
  ['an object with a symbol key', () => ({ a: 1, [Symbol('tag')]: 2 })],
  ['a boxed symbol', () => Object(Symbol('s'))],
  ['an object posing as a URL', () => Object.create(URL.prototype)],
  ['an object posing as a Map', () => Object.create(Map.prototype)],
  ['a cycle', () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = [cyclic]
    return cyclic
  }],
)

/** Puts `item` somewhere inside a keyable value: array element, object value, Map key or value, Set member, prototype field. */
const wrappers = fc.constantFrom<(item: unknown, sibling: unknown) => unknown>(
  (item, sibling) => [sibling, item],
  (item, sibling) => ({ a: sibling, b: item }),
  (item, sibling) => new Map([[item, sibling]]),
  (item, sibling) => new Map([[sibling, item]]),
  (item, sibling) => new Set([sibling, item]),
  (item, sibling) => Object.create({ inherited: item, other: sibling }),
)

describe('keys, refused kinds', () => {
  it('refuses every value holding something without a content and type, with E_INVALID_KEY naming the job', () => {
    const cache = new Cacheback({ namespace: 'key-properties' })
    const refusing = cacheback(async (_arg: unknown) => 1, { name: 'refusingJob', cache })
    fc.assert(
      fc.property(refusedItems, fc.array(fc.tuple(wrappers, keyable), { maxLength: 3 }), ([, make], path) => {
        const value = path.reduce((inner, [wrap, sibling]) => wrap(inner, sibling), make())
        expect(() => stableSerialize(value)).toThrowError(expect.objectContaining({ code: 'E_INVALID_KEY' }))
        let error: unknown
        try {
          refusing.key(value)
        } catch (thrown) {
          error = thrown
        }
        expect(error).toBeInstanceOf(CachebackError)
        expect(error).toMatchObject({ code: 'E_INVALID_KEY', job: 'refusingJob', message: expect.stringContaining('refusingJob: arguments cannot form a cache key: cannot use') })
      }),
      { numRuns: 500 },
    )
  })

  it('rejects a function job called with such an argument, with the coded error, and never calls the function', async () => {
    const cache = new Cacheback({ namespace: 'key-properties' })
    let calls = 0
    const byArg = cacheback(async (_arg: unknown) => ++calls, { name: 'byArg', cache })
    await fc.assert(
      fc.asyncProperty(refusedItems, async ([, make]) => {
        await expect(byArg(make())).rejects.toMatchObject({ code: 'E_INVALID_KEY', job: 'byArg' })
      }),
      { numRuns: 50 },
    )
    expect(calls).toBe(0)
  })
})
