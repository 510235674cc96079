/**
 * Cache keys: `<namespace>:<job name>:<sha256 of a stable serialization>`.
 * Different argument values never share a key; object key order does not
 * matter; keys stay bounded whatever the arguments.
 */
import { describe, expect, it } from 'vitest'
import { Cacheback, CachebackError, buildKey, cacheback, stableSerialize } from '../src/index.js'

const key = (...parts: unknown[]) => buildKey('ns', 'job', parts)

/** Asserts that every list of key parts gives a different key. */
function expectDistinct(...partLists: unknown[][]) {
  const keys = partLists.map((parts) => key(...parts))
  expect(new Set(keys).size).toBe(keys.length)
}

describe('buildKey', () => {
  it('has the form <namespace>:<job name>:<sha256 hex>', () => {
    expect(buildKey('cacheback', 'fetchTweets', ['ann'])).toMatch(/^cacheback:fetchTweets:[0-9a-f]{64}$/)
  })

  it('is deterministic', () => {
    expect(key('ann', { page: 2 })).toBe(key('ann', { page: 2 }))
  })

  it('puts the job name and namespace in the key: same parts, another job or namespace, another key', () => {
    const parts = ['ann']
    const keys = [buildKey('ns', 'a', parts), buildKey('ns', 'b', parts), buildKey('other', 'a', parts)]
    expect(new Set(keys).size).toBe(3)
  })

  it('does not let a colon move between namespace and job name', () => {
    // `graphql:User.tweets`-style job names contain colons.
    expect(buildKey('a:b', 'c', ['x'])).not.toBe(buildKey('a', 'b:c', ['x']))
  })

  it('tells {a: "1:2"} from {a: "1", b: "2"}', () => {
    expectDistinct([{ a: '1:2' }], [{ a: '1', b: '2' }], [{ 'a:1': '2' }])
  })

  it('tells argument lists apart however strings could be joined', () => {
    expectDistinct(['ab'], ['a', 'b'], ['a,b'], ['s1:a'], ['', 'ab'], ['ab', ''])
  })

  it('ignores object key order, nested too', () => {
    expect(key({ a: 1, b: { c: 2, d: 3 } })).toBe(key({ b: { d: 3, c: 2 }, a: 1 }))
  })

  it('ignores the insertion order of Maps and Sets', () => {
    expect(key(new Map([['a', 1], ['b', 2]]))).toBe(key(new Map([['b', 2], ['a', 1]])))
    expect(key(new Set([1, 2]))).toBe(key(new Set([2, 1])))
  })

  it('keeps argument order', () => {
    expectDistinct(['a', 'b'], ['b', 'a'])
  })

  it('tells numbers from strings, booleans and bigints', () => {
    expectDistinct([1], ['1'], [1n], [true], ['true'], ['t'])
  })

  it('tells undefined from null and from a missing argument', () => {
    expectDistinct([undefined], [null], [], ['null'], ['undefined'])
  })

  it('treats an object key holding undefined as absent (as JSON and GraphQL do)', () => {
    expect(key({ a: undefined, b: 1 })).toBe(key({ b: 1 }))
    expectDistinct([{ a: null }], [{}])
  })

  it('tells nested arrays from strings and from flat arrays', () => {
    expectDistinct([['a', 'b']], ['a,b'], ['ab'], [['ab']], [['a'], ['b']], ['a', 'b'], [[]], [''], [[[]]])
  })

  it('tells arrays from array-like objects', () => {
    expectDistinct([['a']], [{ 0: 'a' }], [{ 0: 'a', length: 1 }])
  })

  it('tells holes in sparse arrays apart by position', () => {
    // eslint-disable-next-line no-sparse-arrays
    expectDistinct([[, 1]], [[1, ,]], [[1]])
  })

  it('keys Dates by instant, apart from numbers and strings', () => {
    const date = new Date('2024-01-02T03:04:05.678Z')
    expect(key(date)).toBe(key(new Date(date.getTime())))
    expectDistinct([date], [new Date(date.getTime() + 1)], [date.getTime()], [date.toISOString()], [{}])
  })

  it('tells Maps, Sets, arrays and objects with the same contents apart', () => {
    expectDistinct([new Map([['a', 1]])], [{ a: 1 }], [new Set(['a'])], [['a']])
  })

  it('keys own "__proto__" properties like any other key', () => {
    const own = JSON.parse('{"__proto__":1}') as object
    expect(Object.keys(own)).toEqual(['__proto__'])
    expect(key(own)).toBe(key(JSON.parse('{"__proto__":1}')))
    expectDistinct([own], [{}], [JSON.parse('{"__proto__":2}')], [JSON.parse('{"__proto__":{"a":1}}')], [{ a: 1 }])
  })

  it('refuses class instances without toJSON(): their state may live outside their own fields', () => {
    class Point {
      #secret: number
      constructor(
        readonly x: number,
        secret: number,
      ) {
        this.#secret = secret
      }
      get secret() {
        return this.#secret
      }
    }
    // Keyed by own fields, these two would share a key though they differ.
    expect(() => key(new Point(1, 2))).toThrowError(expect.objectContaining({ code: 'E_INVALID_KEY', message: expect.stringMatching(/an instance of Point without toJSON\(\)/) }))
  })

  it('keys class instances by their toJSON(), apart from the JSON string itself', () => {
    expectDistinct([new URL('https://a.example/x')], [new URL('https://b.example/x')], ['https://a.example/x'])
    expect(key(new URL('https://a.example/x'))).toBe(key(new URL('https://a.example/x')))
  })

  it('tells strings with different lone surrogates apart (UTF-8 would make each U+FFFD)', () => {
    expectDistinct(['eve\ud800'], ['eve\udbff'], ['eve\udc00'], ['eve\ufffd'], ['eve'], [{ 'eve\ud800': 1 }], [{ 'eve\udbff': 1 }])
    expect(key('eve\ud800')).toBe(key('eve\ud800'))
    expect(key('😀')).not.toBe(key('\ud83d'))
  })

  it('keys typed arrays, DataViews and buffers by their type and bytes', () => {
    const bytes = [1, 2, 3, 4]
    expectDistinct(
      [new Uint8Array(bytes)],
      [new Int8Array(bytes)],
      [new Uint8ClampedArray(bytes)],
      [Buffer.from(bytes)],
      [new Uint16Array(new Uint8Array(bytes).buffer)],
      [new DataView(new Uint8Array(bytes).buffer)],
      [new Uint8Array(bytes).buffer],
      [new Uint8Array([9]).buffer],
      [new ArrayBuffer(0)],
      [new SharedArrayBuffer(4)],
      [bytes],
    )
    expect(key(new Uint8Array(bytes).buffer)).toBe(key(new Uint8Array(bytes).buffer))
  })

  it('reads built-ins by their internal state, not by own properties that could lie', () => {
    const lying = Object.assign(new Date(5), { getTime: () => 6 })
    expect(key(lying)).toBe(key(new Date(5)))
    const map = new Map([['a', 1]])
    Object.defineProperty(map, Symbol.iterator, { value: function* () {} })
    expect(key(map)).not.toBe(key(new Map()))
    const foreign = Object.setPrototypeOf(new Uint8Array([1]), {}) as Uint8Array
    expect(() => key(foreign)).toThrowError(expect.objectContaining({ code: 'E_INVALID_KEY' }))
  })

  it('keys URLSearchParams by their content and refuses Errors', () => {
    expectDistinct([new URLSearchParams('a=1')], [new URLSearchParams('a=2')], [new URLSearchParams('')], ['a=1'])
    expect(key(new URLSearchParams('a=1&b=2'))).toBe(key(new URLSearchParams([['a', '1'], ['b', '2']])))
    expect(() => key(new Error('a'))).toThrowError(expect.objectContaining({ code: 'E_INVALID_KEY' }))
  })

  it('keys an object whose data prototype has its own "constructor" key by that prototype\'s content', () => {
    // What a naive JSON scalar makes of {"__proto__": {"constructor": "x", "role": ...}}: not a class instance.
    const naive = (role: string) => Object.assign(Object.create({ constructor: 'x', role }) as object, { id: 1 })
    expectDistinct([naive('admin')], [naive('guest')], [{ id: 1 }])
    expect(key(naive('admin'))).toBe(key(naive('admin')))
  })

  it('keys regular expressions by source and flags', () => {
    expectDistinct([/a/], [/b/], [/a/i], ['/a/'])
  })

  it('keeps keys bounded however long the arguments are', () => {
    const long = key('x'.repeat(1_000_000), { list: Array.from({ length: 10_000 }, (_, i) => i) })
    expect(long).toHaveLength('ns:job:'.length + 64)
    expect(long).not.toBe(key('x'.repeat(1_000_001)))
  })

  it('keys -0 as 0, and NaN consistently', () => {
    expect(key(-0)).toBe(key(0))
    expect(key(Number.NaN)).toBe(key(Number.NaN))
    expectDistinct([Number.NaN], [Number.POSITIVE_INFINITY], [Number.NEGATIVE_INFINITY], ['NaN'])
  })

  it('accepts an object reached twice (not a cycle)', () => {
    const shared = { a: 1 }
    expect(key([shared, shared])).toBe(key([{ a: 1 }, { a: 1 }]))
  })
})

describe('stableSerialize', () => {
  it('refuses functions, symbols and cycles with E_INVALID_KEY', () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    const invalidKey = (message: RegExp) => expect.objectContaining({ name: 'CachebackError', code: 'E_INVALID_KEY', message: expect.stringMatching(message) })
    expect(() => stableSerialize(() => 1)).toThrowError(invalidKey(/cannot use a function/))
    expect(() => stableSerialize(Symbol('s'))).toThrowError(invalidKey(/cannot use a symbol/))
    expect(() => stableSerialize([cyclic])).toThrowError(invalidKey(/circular/))
  })

  it('surfaces as a coded error naming the job when a job is called with such arguments', async () => {
    const cache = new Cacheback({ namespace: 'keys' })
    const byKey = cacheback(async (_arg: unknown) => 1, { name: 'keyed', cache })
    const error = await byKey(() => 1).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CachebackError)
    expect(error).toMatchObject({ code: 'E_INVALID_KEY', job: 'keyed' })
    expect((error as Error).message).toContain('keyed')
  })
})
