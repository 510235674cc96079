/**
 * Private data: PRIVATE fields under interleaved concurrent load from 50
 * users, fresh, stale and refreshed by a real worker, never serve one user
 * another user's value. And argument values built to collide under naive
 * key concatenation get distinct, bounded keys at the GraphQL level.
 */
import { ApolloServer } from '@apollo/server'
import { makeExecutableSchema } from '@graphql-tools/schema'
import { GraphQLScalarType, Kind, type ValueNode } from 'graphql'
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest'
import { RedisStore } from '../src/redis/index.js'
import { BeeQueueRefresher } from '../src/bee-queue/index.js'
import { cachebackDirective } from '../src/graphql/index.js'
import { cachebackApolloPlugin } from '../src/apollo/index.js'
import { type EngineSetup, createEngineSetup } from './helpers/engine.js'
import { type Upstream, createServer, createUpstream, refreshContext, run } from './helpers/graphql.js'

let setup: EngineSetup
beforeEach(() => {
  setup = createEngineSetup('redis')
})
afterEach(async () => {
  await setup.cleanup()
})

/** A small deterministic PRNG (mulberry32), so the interleaving is the same on every run. */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function shuffle<T>(items: T[], next: () => number): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1))
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

/** 50 user ids, some built to look alike or to trip naive code. */
const USERS = [
  ...['ann', 'Ann', 'ann ', ' ann', '1', '01', '1.0', 'a:b', 'a', 'b', 'a:b:c', '__proto__', 'constructor', 'null', 'undefined', 'user:1', 'user:1:2', 'é', 'e\u0301', '0'],
  ...Array.from({ length: 30 }, (_, i) => `u${i}`),
]

const QUERY = '{ myNotes me { id email } }'
const REQUESTS_PER_USER_PER_WAVE = 4
const WAVES = 5

interface Served {
  user: string
  wave: number
  notes: string
  email: string
  status: { hit: number; stale: number; miss: number }
}

/** The user a served value belongs to, read back from the value (`notes of <user> v<n>`, `<user>@example.com v<n>`). */
function ownerOfNotes(notes: string): string | undefined {
  return /^notes of (.*) v\d+$/s.exec(notes)?.[1]
}
function ownerOfEmail(email: string): string | undefined {
  return /^(.*)@example\.com v\d+$/s.exec(email)?.[1]
}

describe('PRIVATE fields under concurrent load', () => {
  it(`serves ${USERS.length * REQUESTS_PER_USER_PER_WAVE * WAVES} interleaved requests of ${USERS.length} users, fresh, stale and refreshed by the worker, never another user's value`, async () => {
    expect(new Set(USERS).size).toBe(50)
    const upstream: Upstream = createUpstream()
    // This process drives 200 concurrent operations and also runs the worker: its event loop can stall
    // past the default 250 ms command and 1 s dispatch timeouts, and the cache would rightly fail open
    // (fetch or refresh in-process). This test is about whose value is served: give the calls room.
    const url = inject('redisUrl')
    const store = () => new RedisStore({ redis: url, commandTimeoutMs: 5_000 })
    const refresher = new BeeQueueRefresher({ redis: url, queue: setup.namespace, dispatchTimeoutMs: 5_000 })
    const { server, schema } = await createServer(setup.process({ store: store(), refresher }), upstream)
    await setup.startWorker([], { schema, context: refreshContext, cacheOptions: { store: store() } })
    const next = random(6)
    const served: Served[] = []

    const wave = async (index: number): Promise<Served[]> => {
      const order = shuffle(USERS.flatMap((user) => Array.from({ length: REQUESTS_PER_USER_PER_WAVE }, () => user)), next)
      const results = await Promise.all(
        order.map(async (user) => {
          const result = await run(server, QUERY, { userId: user })
          expect(result.errors).toBeUndefined()
          const { hit, stale, miss } = result.extensions!.cacheback
          return { user, wave: index, notes: result.data.myNotes[0], email: result.data.me.email, status: { hit, stale, miss } }
        }),
      )
      served.push(...results)
      return results
    }

    // 1: cold (misses, concurrent ones single-flighted); 2: fresh hits.
    await wave(1)
    const fresh = await wave(2)
    expect(fresh.every((s) => s.status.hit === 2)).toBe(true)

    // The upstream changes and time moves past the lifetime: 3 is served stale and dispatches the refreshes;
    // 4 runs once the worker has written half of them, so it gets refreshed values and stale ones side by side.
    upstream.version = 2
    setup.clock.advance(11)
    const keys = USERS.length * 2
    const staleWave = await wave(3)
    expect(staleWave.filter((s) => s.status.stale > 0).length).toBeGreaterThan(0)
    await setup.refreshed(keys / 2)
    const mixed = await wave(4)
    const refreshedKeys = () => new Set(setup.log.of('refresh-succeeded').map((e) => e.key)).size
    while (refreshedKeys() < keys) await setup.log.waitFor('refresh-succeeded', setup.log.count('refresh-succeeded') + 1)

    // 5: the refreshed values, each its own user's.
    const refreshed = await wave(5)
    expect(refreshed.every((s) => s.status.hit === 2 && s.notes.endsWith(' v2') && s.email.endsWith(' v2'))).toBe(true)

    expect(served).toHaveLength(1000)
    const leaks = served.filter((s) => ownerOfNotes(s.notes) !== s.user || ownerOfEmail(s.email) !== s.user)
    expect(leaks).toEqual([])

    const dispatched = setup.log.of('refresh-dispatched')
    expect(dispatched.length).toBeGreaterThanOrEqual(keys)
    expect(dispatched.every((e) => e.via === 'bee-queue')).toBe(true)
    expect(setup.log.count('refresh-failed')).toBe(0)
    expect(setup.log.count('store-error')).toBe(0)
    const totals = served.reduce((sum, s) => ({ hit: sum.hit + s.status.hit, stale: sum.stale + s.status.stale, miss: sum.miss + s.status.miss }), { hit: 0, stale: 0, miss: 0 })
    expect(totals.hit + totals.stale + totals.miss).toBe(2000)
    expect(totals.stale).toBeGreaterThan(0)
    const mixedV2 = mixed.filter((s) => s.notes.endsWith(' v2') || s.email.endsWith(' v2')).length
    console.info(
      `[private-data] ${served.length} requests, ${USERS.length} users, 2 PRIVATE fields each: field reads hit ${totals.hit}, stale ${totals.stale}, miss ${totals.miss}; ` +
        `wave 4 (during refresh): ${mixedV2} of ${mixed.length} responses carried a refreshed value; ` +
        `${dispatched.length} refreshes dispatched to the worker for ${keys} keys; upstream calls myNotes ${upstream.calls.myNotes}, email ${upstream.calls.email}; values of another user served: ${leaks.length}`,
    )
    await server.stop()
  })
})

// ---- keys of colliding arguments ---------------------------------------------

/** parseLiteral of a JSON scalar; `create` makes the objects (null-prototype, or `{}` as naive scalars do). */
function jsonLiteral(ast: ValueNode, variables: Record<string, unknown> | null | undefined, create: () => Record<string, unknown>): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value)
    case Kind.NULL:
      return null
    case Kind.LIST:
      return ast.values.map((value) => jsonLiteral(value, variables, create))
    case Kind.VARIABLE:
      return variables?.[ast.name.value]
    case Kind.OBJECT: {
      const out = create()
      for (const field of ast.fields) out[field.name.value] = jsonLiteral(field.value, variables, create) // `{}`: "__proto__" sets the prototype
      return out
    }
    default:
      return undefined
  }
}

const jsonScalar = (name: string, create: () => Record<string, unknown>) =>
  new GraphQLScalarType({ name, serialize: (v) => v, parseValue: (v) => v, parseLiteral: (ast, variables) => jsonLiteral(ast, variables, create) })

const COLLIDING_SDL = /* GraphQL */ `
  scalar JSON
  scalar NaiveJSON
  input Filter {
    a: String
    b: String
  }
  type Query {
    byFilter(f: Filter): String @cacheback(lifetime: 10)
    byPair(a: String, b: String): String @cacheback(lifetime: 10)
    byJson(v: JSON): String @cacheback(lifetime: 10)
    byNaiveJson(v: NaiveJSON): String @cacheback(lifetime: 10)
    byText(s: String): String @cacheback(lifetime: 10)
  }
`

/** Describes what a resolver saw, own and inherited fields included. */
function describeArgs(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value)
  const own = Object.keys(value).map((k) => `${k}=${describeArgs((value as Record<string, unknown>)[k])}`)
  const proto = Object.getPrototypeOf(value)
  const inherited = proto && proto !== Object.prototype ? ` inherits ${describeArgs(proto)}` : ''
  return `{${own.join(',')}}${inherited}`
}

async function collidingServer() {
  const calls: Record<string, number> = {}
  const resolver = (name: string) => (_: unknown, args: Record<string, unknown>) => {
    calls[name] = (calls[name] ?? 0) + 1
    return `${name} saw ${describeArgs(args)}`
  }
  const directive = cachebackDirective({ cache: setup.process() })
  const schema = directive.transformer(
    makeExecutableSchema({
      typeDefs: [directive.typeDefs, COLLIDING_SDL],
      resolvers: {
        JSON: jsonScalar('JSON', () => Object.create(null)),
        NaiveJSON: jsonScalar('NaiveJSON', () => ({})),
        Query: Object.fromEntries(['byFilter', 'byPair', 'byJson', 'byNaiveJson', 'byText'].map((name) => [name, resolver(name)])),
      },
    }),
  )
  const server = new ApolloServer({ schema, plugins: [cachebackApolloPlugin()] })
  await server.start()
  /** Runs one query; returns the field's value, whether it was a hit, and the key it used. */
  const read = async (query: string, variables?: Record<string, unknown>) => {
    const from = setup.log.events.length
    const result = await run(server as never, query, {}, variables)
    expect(result.errors).toBeUndefined()
    const [field] = Object.keys(result.data)
    const reads = setup.log.events.slice(from).filter((e) => e.type === 'hit' || e.type === 'miss')
    expect(reads).toHaveLength(1)
    return { value: result.data[field] as string, status: reads[0].type, key: reads[0].key! }
  }
  return { server, read, calls }
}

describe('keys of argument values built to collide', () => {
  it('tells {a: "1:2"} from {a: "1", b: "2"}, as input objects and as arguments', async () => {
    const { server, read } = await collidingServer()
    const reads = [
      await read('{ byFilter(f: { a: "1:2" }) }'),
      await read('{ byFilter(f: { a: "1", b: "2" }) }'),
      await read('{ byFilter(f: { a: "1:b:2" }) }'),
      await read('{ byFilter(f: { a: "1", b: null }) }'),
      await read('{ byPair(a: "1:2") }'),
      await read('{ byPair(a: "1", b: "2") }'),
      await read('{ byPair(a: "1:b=2") }'),
    ]
    expect(reads.map((r) => r.status)).toEqual(Array(reads.length).fill('miss'))
    expect(new Set(reads.map((r) => r.key)).size).toBe(reads.length)
    expect(reads.map((r) => r.value)).toEqual([
      'byFilter saw {f={a="1:2"}}',
      'byFilter saw {f={a="1",b="2"}}',
      'byFilter saw {f={a="1:b:2"}}',
      'byFilter saw {f={a="1",b=null}}',
      'byPair saw {a="1:2"}',
      'byPair saw {a="1",b="2"}',
      'byPair saw {a="1:b=2"}',
    ])
    // Read again: each is a hit on its own key, with its own value.
    for (const [i, query] of ['{ byFilter(f: { a: "1:2" }) }', '{ byFilter(f: { a: "1", b: "2" }) }'].entries()) {
      expect(await read(query)).toEqual({ ...reads[i], status: 'hit' })
    }
    await server.stop()
  })

  it('gives key-order swaps one key: literals, variables and JSON values', async () => {
    const { server, read, calls } = await collidingServer()
    const first = await read('{ byFilter(f: { a: "1", b: "2" }) }')
    expect(await read('{ byFilter(f: { b: "2", a: "1" }) }')).toEqual({ ...first, status: 'hit' })
    expect(await read('query($f: Filter) { byFilter(f: $f) }', { f: { b: '2', a: '1' } })).toEqual({ ...first, status: 'hit' })
    const pair = await read('{ byPair(a: "1", b: "2") }')
    expect(await read('{ byPair(b: "2", a: "1") }')).toEqual({ ...pair, status: 'hit' })
    const json = await read('query($v: JSON) { byJson(v: $v) }', { v: { x: 1, y: { p: true, q: [1, 2] } } })
    expect(await read('query($v: JSON) { byJson(v: $v) }', { v: { y: { q: [1, 2], p: true }, x: 1 } })).toEqual({ ...json, status: 'hit' })
    expect(await read('{ byJson(v: { y: { q: [1, 2], p: true }, x: 1 }) }')).toEqual({ ...json, status: 'hit' })
    expect(calls).toEqual({ byFilter: 1, byPair: 1, byJson: 1 })
    await server.stop()
  })

  it('keys "__proto__" in JSON values by what the resolver sees, never sharing a key', async () => {
    const { server, read, calls } = await collidingServer()
    const vars = (json: string) => ({ v: JSON.parse(json) as unknown })
    const own = [
      await read('query($v: JSON) { byJson(v: $v) }', vars('{"__proto__":{"admin":true}}')),
      await read('query($v: JSON) { byJson(v: $v) }', vars('{"__proto__":{"admin":false}}')),
      await read('query($v: JSON) { byJson(v: $v) }', vars('{}')),
      await read('query($v: JSON) { byJson(v: $v) }', vars('{"__proto_":{"admin":true}}')),
      await read('query($v: JSON) { byJson(v: $v) }', vars('{"admin":true}')),
    ]
    expect(own.map((r) => r.status)).toEqual(Array(own.length).fill('miss'))
    expect(new Set(own.map((r) => r.key)).size).toBe(own.length)
    expect(own.map((r) => r.value)).toEqual([
      'byJson saw {v={__proto__={admin=true}}}',
      'byJson saw {v={__proto__={admin=false}}}',
      'byJson saw {v={}}',
      'byJson saw {v={__proto_={admin=true}}}',
      'byJson saw {v={admin=true}}',
    ])
    // The same own "__proto__" key as a literal (null-prototype object) is the same value, so the same key.
    expect(await read('{ byJson(v: { __proto__: { admin: true } }) }')).toEqual({ ...own[0], status: 'hit' })

    // A naive scalar assigns literal fields to `{}`: "__proto__" becomes the prototype, which the resolver sees.
    const naive = [
      await read('{ byNaiveJson(v: { __proto__: { admin: true } }) }'),
      await read('{ byNaiveJson(v: { __proto__: { admin: false } }) }'),
      await read('{ byNaiveJson(v: {}) }'),
      await read('{ byNaiveJson(v: { admin: true }) }'),
    ]
    expect(naive.map((r) => r.status)).toEqual(Array(naive.length).fill('miss'))
    expect(new Set(naive.map((r) => r.key)).size).toBe(naive.length)
    expect(naive.map((r) => r.value)).toEqual([
      'byNaiveJson saw {v={} inherits {admin=true}}',
      'byNaiveJson saw {v={} inherits {admin=false}}',
      'byNaiveJson saw {v={}}',
      'byNaiveJson saw {v={admin=true}}',
    ])
    expect(await read('{ byNaiveJson(v: { __proto__: { admin: false } }) }')).toEqual({ ...naive[1], status: 'hit' })
    expect(calls).toEqual({ byJson: 5, byNaiveJson: 4 })
    expect(Object.prototype).not.toHaveProperty('admin')
    await server.stop()
  })

  it('gives 10 KB strings distinct keys of bounded length', async () => {
    const { server, read } = await collidingServer()
    const long = 'x'.repeat(10 * 1024)
    const texts = [long, `${long.slice(1)}y`, `y${long.slice(1)}`, `${long}x`, long.slice(1)]
    const reads = []
    for (const s of texts) reads.push(await read('query($s: String) { byText(s: $s) }', { s }))
    reads.push(await read('query($f: Filter) { byFilter(f: $f) }', { f: { a: long, b: long } }))
    reads.push(await read('query($f: Filter) { byFilter(f: $f) }', { f: { a: `${long}${long}` } }))
    expect(reads.map((r) => r.status)).toEqual(Array(reads.length).fill('miss'))
    expect(new Set(reads.map((r) => r.key)).size).toBe(reads.length)
    for (const { key } of reads) {
      expect(key).toMatch(new RegExp(`^${setup.namespace}:graphql:Query\\.by(Text|Filter):[0-9a-f]{64}$`))
      expect(key.length).toBeLessThanOrEqual(`${setup.namespace}:graphql:Query.byFilter:`.length + 64)
    }
    expect(reads[0].value).toBe(`byText saw {s=${JSON.stringify(long)}}`)
    expect(await read('query($s: String) { byText(s: $s) }', { s: long })).toEqual({ ...reads[0], status: 'hit' })
    await server.stop()
  })
})
