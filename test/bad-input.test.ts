/**
 * Bad input, one row per case: the @cacheback directive, the JS API, data in
 * the store that is not ours or is corrupt, and refresh payloads on the queue.
 * Every row asserts the error code, that the message names what it concerns
 * (coordinate, job, key, argument), and that the data already in the store is
 * unchanged: a snapshot of every key of the namespace is taken before the row
 * and compared after it, except the keys the row itself plants or is expected
 * to rewrite (listed in `changed`, and checked by the row).
 *
 * Runs on RedisStore + BeeQueueRefresher with one real bee-queue worker that
 * must keep refreshing after every bad payload.
 */
import { makeExecutableSchema } from '@graphql-tools/schema'
import Queue from 'bee-queue'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { type AnyJob, type Cacheback, CachebackError, type CachebackErrorCode, type CachedFunction, Job, cacheback } from '../src/index.js'
import { BeeQueueRefresher } from '../src/bee-queue/index.js'
import { cachebackDirective } from '../src/graphql/index.js'
import { pack } from '../src/codec.js'
import { ENTRY_LAYOUT, ENTRY_MAGIC, ENTRY_VERSION, decodeEntry, encodeEntry } from '../src/entry.js'
import { lockKeyOf } from '../src/keys.js'
import { type EngineSetup, createEngineSetup } from './helpers/engine.js'
import { type Upstream, createServer, createUpstream, refreshContext, run } from './helpers/graphql.js'

/** What a row did: the error it provoked, and the keys it was allowed to change. */
interface Outcome {
  error: unknown
  changed?: string[]
}

interface Row {
  area: 'directive' | 'schema build' | 'JS API' | 'stored data' | 'queue payload'
  name: string
  /** Expected code; null: rejected by GraphQL's own SDL validation in makeExecutableSchema (GraphQL errors carry no code). */
  code: CachebackErrorCode | null
  message: RegExp
  /** Strings the message must contain: the coordinate, job, key or argument concerned. */
  names: (string | ((ctx: Ctx) => string))[]
  act: (ctx: Ctx) => Promise<Outcome>
}

// ---- the fixture -------------------------------------------------------------

/** The value of `values(id)`; `override` makes the next fetches return something else. */
const valueState: { override?: () => unknown } = {}
async function values(id: string): Promise<unknown> {
  return valueState.override ? valueState.override() : { id, version: 1, at: new Date(1_000) }
}
const valuesJob = (cache: Cacheback) => cacheback(values, { lifetime: 10, refreshTimeout: 30, cache })

/** A job whose value depends on its argument: `fn`, `symbol`, `big` give values the store cannot take. */
async function badValues(kind: string): Promise<unknown> {
  if (kind === 'fn') return () => 1
  if (kind === 'symbol') return { s: Symbol('s') }
  return 'x'.repeat(10)
}
const badValuesJob = (cache: Cacheback) => cacheback(badValues, { lifetime: 10, cache })

interface Ctx {
  setup: EngineSetup
  cache: Cacheback
  admin: Redis
  upstream: Upstream
  server: Awaited<ReturnType<typeof createServer>>['server']
  values: CachedFunction<[string], any>
  seededKey: string
  producer: Queue
  rogue: BeeQueueRefresher
}

let ctx: Ctx
let probes = 0

beforeAll(async () => {
  const setup = createEngineSetup('redis')
  const cache = setup.process()
  const upstream = createUpstream()
  const { server, schema } = await createServer(cache, upstream)
  await setup.startWorker([valuesJob, badValuesJob], { schema, context: refreshContext })
  const url = inject('redisUrl')
  const queueRedis = { url } as Queue.QueueSettings['redis']
  ctx = {
    setup,
    cache,
    admin: new Redis(url),
    upstream,
    server,
    values: valuesJob(cache),
    seededKey: '',
    producer: new Queue(setup.namespace, { redis: queueRedis, isWorker: false, getEvents: false, sendEvents: false }),
    rogue: new BeeQueueRefresher({ redis: url, queue: setup.namespace }),
  }
  badValuesJob(cache)
  await ctx.values('seeded')
  ctx.seededKey = ctx.values.job.keyFor('seeded')
})

afterAll(async () => {
  await ctx.server.stop()
  await ctx.producer.close()
  await ctx.rogue.close()
  await ctx.setup.cleanup()
  ctx.admin.disconnect()
})

// ---- helpers -----------------------------------------------------------------

/** Every key of the namespace with its bytes (hex), or its type when it is not a string. */
async function snapshot(): Promise<Map<string, string>> {
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await ctx.admin.scan(cursor, 'MATCH', `${ctx.setup.namespace}:*`, 'COUNT', 1000)
    cursor = next
    keys.push(...batch)
  } while (cursor !== '0')
  const out = new Map<string, string>()
  for (const key of keys.sort()) {
    if (key.endsWith(':refresh:claim')) continue // a worker's claim of a refresh it ran: bookkeeping, not stored data
    const type = await ctx.admin.type(key)
    out.set(key, type === 'string' ? ((await ctx.admin.getBuffer(key)) ?? Buffer.alloc(0)).toString('hex') : `<${type}>`)
  }
  return out
}

/** The error `run` throws or rejects with; fails when it does not. */
async function caught(run: () => unknown): Promise<unknown> {
  try {
    await run()
  } catch (error) {
    return error
  }
  throw new Error('expected an error, but none was thrown')
}

/** Builds a schema from `sdl` with the directive and transforms it. */
function transform(sdl: string, options: { scope?: boolean; assumeValidSDL?: boolean } = {}): Promise<Outcome> {
  const directive = cachebackDirective({ cache: ctx.cache, scope: options.scope ? () => 'u' : undefined })
  return caught(() => directive.transformer(makeExecutableSchema({ typeDefs: [directive.typeDefs, sdl], assumeValidSDL: options.assumeValidSDL }))).then((error) => ({ error }))
}

/** The store-error events reported since `from` about `key`. */
function storeErrorsOf(key: string, from: number): unknown[] {
  return ctx.setup.log.events.slice(from).filter((e) => e.type === 'store-error' && e.key === key).map((e) => ('error' in e ? e.error : undefined))
}

/**
 * Plants `data` at the key of `values(arg)` and reads it: the read is a miss
 * that fetches, the bad data is reported, and the fetched entry replaces it.
 */
async function readOver(arg: string, plant: (key: string) => Promise<unknown>): Promise<Outcome> {
  const key = ctx.values.job.keyFor(arg)
  await plant(key)
  const from = ctx.setup.log.events.length
  const read = await ctx.values.read(arg)
  expect(read).toMatchObject({ status: 'miss', value: { id: arg, version: 1 } })
  const stored = await ctx.admin.getBuffer(key)
  expect(decodeEntry(stored!, key).value).toEqual({ id: arg, version: 1, at: new Date(1_000) })
  const errors = storeErrorsOf(key, from)
  expect(errors).toHaveLength(1)
  return { error: errors[0], changed: [key] }
}

/** A real entry's bytes, for corrupting. */
function entryBytes(value: unknown = { id: 'x' }): Buffer {
  const now = ctx.setup.clock.now()
  return encodeEntry({ value, createdAt: now, freshUntil: now + 10_000, expiresAt: now + 60_000 })
}

/** Checks that the worker still refreshes: a well-formed refresh of a fresh probe key succeeds. */
async function workerStillRefreshes(): Promise<string> {
  const probe = `probe-${++probes}`
  const key = ctx.values.job.keyFor(probe)
  const before = ctx.setup.log.count('refresh-succeeded')
  await ctx.rogue.dispatch({ job: 'values', key, args: [probe], token: `probe-token-${probes}` })
  await ctx.setup.log.waitFor('refresh-succeeded', before + 1)
  expect(decodeEntry((await ctx.admin.getBuffer(key))!, key).value).toMatchObject({ id: probe })
  return key
}

/** Sends `send()` to the worker, returns the refresh-failed error it reports, and checks it keeps working. */
async function workerRejects(send: () => Promise<unknown>): Promise<Outcome> {
  const before = ctx.setup.log.count('refresh-failed')
  await send()
  await ctx.setup.log.waitFor('refresh-failed', before + 1)
  const error = ctx.setup.log.of('refresh-failed')[before].error
  const probeKey = await workerStillRefreshes()
  return { error, changed: [probeKey] }
}

/** Enqueues raw job data, as something other than this library could. */
function enqueueRaw(data: unknown): Promise<Outcome> {
  return workerRejects(() => ctx.producer.createJob(data).save())
}

const payload = (extra: Record<string, unknown>) => ({ v: 1, job: 'values', key: ctx.seededKey, token: 'raw-token', args: pack(['seeded']).toString('base64'), ...extra })

/**
 * Stores `value` for `fn(arg)`, marks it stale, and reads it: the value is
 * served stale and the refresh is refused at dispatch.
 */
async function staleReadRefused(job: AnyJob, arg: unknown, value: unknown): Promise<Outcome> {
  const key = job.keyFor(arg)
  await job.set([arg], value)
  await job.invalidate(arg)
  const stored = await ctx.admin.getBuffer(key)
  const before = ctx.setup.log.count('refresh-failed')
  expect(await job.read(arg)).toMatchObject({ status: 'stale', value, refresh: 'failed' })
  expect(await ctx.admin.getBuffer(key)).toEqual(stored)
  return { error: ctx.setup.log.of('refresh-failed')[before]?.error, changed: [key, lockKeyOf(key)] }
}

// ---- the table ---------------------------------------------------------------

const QUERY = 'type Query { ok: String }'

const rows: Row[] = [
  // The directive: every schema error of SPEC section 3, at transform time, naming the coordinate.
  { area: 'directive', name: 'on a Mutation field', code: 'E_SCHEMA', message: /Mutation fields are never cached/, names: ['@cacheback on Mutation.save'], act: () => transform(`${QUERY} type Mutation { save: String @cacheback }`) },
  { area: 'directive', name: 'on a Subscription field', code: 'E_SCHEMA', message: /Subscription fields are never cached/, names: ['@cacheback on Subscription.tick'], act: () => transform(`${QUERY} type Subscription { tick: String @cacheback }`) },
  { area: 'directive', name: 'on the Mutation type', code: 'E_SCHEMA', message: /Mutation fields are never cached/, names: ['Mutation.save'], act: () => transform(`${QUERY} type Mutation @cacheback { save: String }`) },
  { area: 'directive', name: 'ttl < lifetime', code: 'E_SCHEMA', message: /ttl \(50\) must not be shorter than lifetime \(100\)/, names: ['Query.a'], act: () => transform('type Query { a: String @cacheback(lifetime: 100, ttl: 50) }') },
  { area: 'directive', name: 'lifetime: 0', code: 'E_SCHEMA', message: /lifetime must be a positive number of seconds, got 0/, names: ['Query.a'], act: () => transform('type Query { a: String @cacheback(lifetime: 0) }') },
  { area: 'directive', name: 'lifetime: -5', code: 'E_SCHEMA', message: /lifetime must be a positive number of seconds, got -5/, names: ['Query.a'], act: () => transform('type Query { a: String @cacheback(lifetime: -5) }') },
  { area: 'directive', name: 'ttl: -1', code: 'E_SCHEMA', message: /ttl must be a positive number of seconds, got -1/, names: ['Query.a'], act: () => transform('type Query { a: String @cacheback(lifetime: 5, ttl: -1) }') },
  { area: 'directive', name: 'refreshTimeout: 0', code: 'E_SCHEMA', message: /refreshTimeout must be a positive number of seconds, got 0/, names: ['Query.a'], act: () => transform('type Query { a: String @cacheback(refreshTimeout: 0) }') },
  { area: 'directive', name: 'unknown keyArgs', code: 'E_SCHEMA', message: /keyArgs names "y", which is not an argument of the field \(arguments: x\)/, names: ['Query.a', '"y"'], act: () => transform('type Query { a(x: Int): String @cacheback(keyArgs: ["y"]) }') },
  { area: 'directive', name: 'unknown keyFields', code: 'E_SCHEMA', message: /keyFields names "uuid", which is not a field of User/, names: ['User.bio', '"uuid"'], act: () => transform('type Query { u: User } type User { id: ID bio: String @cacheback(keyFields: ["uuid"]) }') },
  { area: 'directive', name: 'fetchOnMiss: false on String!', code: 'E_SCHEMA', message: /fetchOnMiss: false needs a nullable field .* the type is String!/, names: ['Query.a'], act: () => transform('type Query { a: String! @cacheback(fetchOnMiss: false) }') },
  { area: 'directive', name: 'fetchOnMiss: false on [String]!', code: 'E_SCHEMA', message: /fetchOnMiss: false needs a nullable field .* the type is \[String\]!/, names: ['Query.list'], act: () => transform('type Query { list: [String]! @cacheback(fetchOnMiss: false) }') },
  { area: 'directive', name: 'PRIVATE without a scope function', code: 'E_SCHEMA', message: /scope: PRIVATE needs a `scope` function/, names: ['Query.a'], act: () => transform('type Query { a: String @cacheback(scope: PRIVATE) }') },
  { area: 'directive', name: 'PRIVATE on a type without a scope function', code: 'E_SCHEMA', message: /scope: PRIVATE needs a `scope` function/, names: ['Me.name'], act: () => transform('type Query { me: Me } type Me @cacheback(scope: PRIVATE) { name: String }') },
  // Wrong argument types pass GraphQL's SDL validation; the transformer rejects them, naming the coordinate and the argument.
  { area: 'directive', name: 'lifetime: "ten" (String for Int)', code: 'E_SCHEMA', message: /Argument "lifetime" has invalid value "ten"/, names: ['@cacheback on Query.a', 'lifetime'], act: () => transform('type Query { a: String @cacheback(lifetime: "ten") }') },
  { area: 'directive', name: 'lifetime: 1.5 (Float for Int)', code: 'E_SCHEMA', message: /Argument "lifetime" has invalid value 1.5/, names: ['@cacheback on Query.a', 'lifetime'], act: () => transform('type Query { a: String @cacheback(lifetime: 1.5) }') },
  { area: 'directive', name: 'lifetime: 99999999999 (over Int)', code: 'E_SCHEMA', message: /Argument "lifetime" has invalid value 99999999999/, names: ['@cacheback on Query.a', 'lifetime'], act: () => transform('type Query { a: String @cacheback(lifetime: 99999999999) }') },
  { area: 'directive', name: 'scope: SECRET (not a CachebackScope)', code: 'E_SCHEMA', message: /Argument "scope" has invalid value SECRET/, names: ['@cacheback on Query.a', 'scope'], act: () => transform('type Query { a: String @cacheback(scope: SECRET) }') },
  { area: 'directive', name: 'fetchOnMiss: 1 (Int for Boolean)', code: 'E_SCHEMA', message: /Argument "fetchOnMiss" has invalid value 1/, names: ['@cacheback on Query.a', 'fetchOnMiss'], act: () => transform('type Query { a: String @cacheback(fetchOnMiss: 1) }') },
  { area: 'directive', name: 'keyArgs: [null]', code: 'E_SCHEMA', message: /Argument "keyArgs" has invalid value \[null\]/, names: ['@cacheback on Query.a', 'keyArgs'], act: () => transform('type Query { a(x: Int): String @cacheback(keyArgs: [null]) }') },
  { area: 'directive', name: 'wrong type on the type-level directive', code: 'E_SCHEMA', message: /Argument "ttl" has invalid value "long"/, names: ['@cacheback on Me', 'ttl'], act: () => transform('type Query { me: Me } type Me @cacheback(ttl: "long") { name: String }') },
  // Unknown arguments and a repeated directive: GraphQL's SDL validation rejects them when the schema is built, naming them.
  { area: 'schema build', name: 'unknown argument maxAge', code: null, message: /Unknown argument "maxAge" on directive "@cacheback"/, names: ['maxAge'], act: () => transform('type Query { a: String @cacheback(maxAge: 5) }') },
  { area: 'schema build', name: 'the directive twice on one field', code: null, message: /The directive "@cacheback" can only be used once at this location/, names: ['@cacheback'], act: () => transform('type Query { a: String @cacheback @cacheback(lifetime: 5) }') },
  // A schema built without SDL validation reaches the transformer, which rejects unknown arguments itself.
  { area: 'directive', name: 'unknown argument, SDL not validated', code: 'E_SCHEMA', message: /unknown argument "maxAge"/, names: ['@cacheback on Query.a', 'maxAge'], act: () => transform('type Query { a: String @cacheback(maxAge: 5) }', { assumeValidSDL: true }) },

  // The JS API: options, names, values.
  { area: 'JS API', name: 'lifetime: -1', code: 'E_INVALID_OPTION', message: /option "lifetime" must be a positive number of seconds, got -1/, names: ['timed'], act: async () => ({ error: await caught(() => cacheback(async () => 1, { name: 'timed', lifetime: -1, cache: ctx.cache })) }) },
  { area: 'JS API', name: 'lifetime: NaN', code: 'E_INVALID_OPTION', message: /option "lifetime" must be a positive number of seconds, got NaN/, names: ['timed'], act: async () => ({ error: await caught(() => cacheback(async () => 1, { name: 'timed', lifetime: Number.NaN, cache: ctx.cache })) }) },
  { area: 'JS API', name: 'ttl: NaN', code: 'E_INVALID_OPTION', message: /option "ttl" must be a positive number of seconds, got NaN/, names: ['timed'], act: async () => ({ error: await caught(() => cacheback(async () => 1, { name: 'timed', ttl: Number.NaN, cache: ctx.cache })) }) },
  { area: 'JS API', name: 'ttl: Infinity', code: 'E_INVALID_OPTION', message: /option "ttl" must be a positive number of seconds, got Infinity/, names: ['timed'], act: async () => ({ error: await caught(() => cacheback(async () => 1, { name: 'timed', ttl: Number.POSITIVE_INFINITY, cache: ctx.cache })) }) },
  { area: 'JS API', name: 'refreshTimeout: -30', code: 'E_INVALID_OPTION', message: /option "refreshTimeout" must be a positive number of seconds, got -30/, names: ['timed'], act: async () => ({ error: await caught(() => cacheback(async () => 1, { name: 'timed', refreshTimeout: -30, cache: ctx.cache })) }) },
  { area: 'JS API', name: 'fetchOnStaleThreshold: NaN', code: 'E_INVALID_OPTION', message: /option "fetchOnStaleThreshold" must be a positive number of seconds, got NaN/, names: ['timed'], act: async () => ({ error: await caught(() => cacheback(async () => 1, { name: 'timed', fetchOnStaleThreshold: Number.NaN, cache: ctx.cache })) }) },
  { area: 'JS API', name: 'ttl < lifetime', code: 'E_INVALID_OPTION', message: /ttl \(10 s\) must not be shorter than lifetime \(20 s\)/, names: ['timed'], act: async () => ({ error: await caught(() => cacheback(async () => 1, { name: 'timed', lifetime: 20, ttl: 10, cache: ctx.cache })) }) },
  { area: 'JS API', name: 'fetchOnMiss: "yes"', code: 'E_INVALID_OPTION', message: /option "fetchOnMiss" must be a boolean, got yes/, names: ['timed'], act: async () => ({ error: await caught(() => cacheback(async () => 1, { name: 'timed', fetchOnMiss: 'yes' as never, cache: ctx.cache })) }) },
  { area: 'JS API', name: 'a job name with a space', code: 'E_INVALID_OPTION', message: /Job name must be a non-empty string without spaces/, names: ['"fetch tweets"'], act: async () => ({ error: await caught(() => cacheback(async () => 1, { name: 'fetch tweets', cache: ctx.cache })) }) },
  { area: 'JS API', name: 'maxValueBytes: -1', code: 'E_INVALID_OPTION', message: /option "maxValueBytes" must be a positive whole number of bytes, got -1/, names: ['maxValueBytes'], act: async () => ({ error: await caught(() => ctx.setup.process({ maxValueBytes: -1 })) }) },
  { area: 'JS API', name: 'maxValueBytes: NaN', code: 'E_INVALID_OPTION', message: /option "maxValueBytes" must be a positive whole number of bytes, got NaN/, names: ['maxValueBytes'], act: async () => ({ error: await caught(() => ctx.setup.process({ maxValueBytes: Number.NaN })) }) },
  { area: 'JS API', name: 'a second function under a taken name', code: 'E_DUPLICATE_JOB', message: /Two different jobs are named "values"/, names: ['"values"'], act: async () => ({ error: await caught(() => cacheback(async (id: string) => id, { name: 'values', cache: ctx.cache })) }) },
  {
    area: 'JS API',
    name: 'a Job subclass under a taken name (at first use)',
    code: 'E_DUPLICATE_JOB',
    message: /Two different jobs are named "values"/,
    names: ['"values"'],
    act: async () => {
      class Impostor extends Job<[string], string> {
        fetch(id: string) {
          return `impostor ${id}`
        }
      }
      return { error: await caught(() => new Impostor({ name: 'values', cache: ctx.cache }).get('seeded')) }
    },
  },
  { area: 'JS API', name: 'arguments that cannot form a key (a function)', code: 'E_INVALID_KEY', message: /arguments cannot form a cache key: cannot use a function/, names: ['values'], act: async () => ({ error: await caught(() => ctx.values((() => 1) as never)) }) },
  {
    area: 'JS API',
    name: 'arguments that cannot form a key (a cycle)',
    code: 'E_INVALID_KEY',
    message: /arguments cannot form a cache key: cannot use a circular structure/,
    names: ['values'],
    act: async () => {
      const cyclic: Record<string, unknown> = {}
      cyclic.self = cyclic
      return { error: await caught(() => ctx.values(cyclic as never)) }
    },
  },
  { area: 'JS API', name: 'set: a function', code: 'E_UNSERIALIZABLE_VALUE', message: /value \(function\) would not survive the store round-trip/, names: ['values'], act: async () => ({ error: await caught(() => ctx.values.set(['seeded'], () => 1)) }) },
  {
    area: 'JS API',
    name: 'set: a class instance',
    code: 'E_UNSERIALIZABLE_VALUE',
    message: /value\.total \(an instance of Money\) would not survive/,
    names: ['values'],
    act: async () => {
      class Money {
        constructor(readonly cents: number) {}
      }
      return { error: await caught(() => ctx.values.set(['seeded'], { total: new Money(250) })) }
    },
  },
  { area: 'JS API', name: 'set: a promise', code: 'E_UNSERIALIZABLE_VALUE', message: /value \(a promise\) would not survive/, names: ['values'], act: async () => ({ error: await caught(() => ctx.values.set(['seeded'], Promise.resolve(1))) }) },
  { area: 'JS API', name: 'set: a symbol', code: 'E_UNSERIALIZABLE_VALUE', message: /value\.s \(symbol\) would not survive/, names: ['values'], act: async () => ({ error: await caught(() => ctx.values.set(['seeded'], { s: Symbol('s') })) }) },
  { area: 'JS API', name: 'set: a symbol-keyed property', code: 'E_UNSERIALIZABLE_VALUE', message: /value\[Symbol\(tag\)\] \(a symbol key\) would not survive/, names: ['values'], act: async () => ({ error: await caught(() => ctx.values.set(['seeded'], { a: 1, [Symbol('tag')]: 2 })) }) },
  { area: 'JS API', name: 'set: an own "__proto__" key', code: 'E_UNSERIALIZABLE_VALUE', message: /value\.__proto__ \(an own "__proto__" key\) would not survive/, names: ['values'], act: async () => ({ error: await caught(() => ctx.values.set(['seeded'], JSON.parse('{"a":1,"__proto__":{"admin":true}}'))) }) },
  {
    area: 'JS API',
    name: 'refresh: fetch returns a function',
    code: 'E_UNSERIALIZABLE_VALUE',
    message: /value \(function\) would not survive/,
    names: ['values'],
    act: async () => {
      valueState.override = () => () => 1
      try {
        return { error: await caught(() => ctx.values.refresh('seeded')) }
      } finally {
        valueState.override = undefined
      }
    },
  },
  {
    area: 'JS API',
    name: 'get on a miss: fetch returns a symbol',
    code: 'E_UNSERIALIZABLE_VALUE',
    message: /value\.s \(symbol\) would not survive/,
    names: ['badValues'],
    act: async () => ({ error: await caught(() => (ctx.cache.findJob('badValues') as Job<[string], unknown>).get('symbol')) }),
  },
  {
    area: 'JS API',
    name: 'set: over maxValueBytes',
    code: 'E_VALUE_TOO_LARGE',
    message: /the value is \d+ bytes serialized, over the limit of 1024 \(maxValueBytes\)/,
    names: ['sized'],
    act: async () => {
      const sized = cacheback(async (n: number) => 'x'.repeat(n), { name: 'sized', cache: ctx.setup.process({ maxValueBytes: 1024 }) })
      await sized(10)
      const key = sized.job.keyFor(10)
      const seeded = await ctx.admin.getBuffer(key)
      const error = await caught(() => sized.set([10], 'x'.repeat(5000)))
      expect(await ctx.admin.getBuffer(key)).toEqual(seeded)
      return { error, changed: [key] }
    },
  },
  {
    area: 'JS API',
    name: 'get on a miss: fetched value over maxValueBytes',
    code: 'E_VALUE_TOO_LARGE',
    message: /over the limit of 1024 \(maxValueBytes\)/,
    names: ['sized2'],
    act: async () => {
      const sized = cacheback(async (n: number) => 'x'.repeat(n), { name: 'sized2', cache: ctx.setup.process({ maxValueBytes: 1024 }) })
      return { error: await caught(() => sized(5000)) }
    },
  },
  {
    area: 'JS API',
    name: 'a lifetime() hook returning NaN',
    code: 'E_INVALID_OPTION',
    message: /"lifetime" must be a positive number of seconds, got NaN/,
    names: ['NaNLifetime'],
    act: async () => {
      class NaNLifetime extends Job<[string], string> {
        fetch(id: string) {
          return id
        }
        override lifetime() {
          return Number.NaN
        }
      }
      return { error: await caught(() => new NaNLifetime({ cache: ctx.cache }).get('a')) }
    },
  },
  {
    area: 'JS API',
    name: 'a ttl() hook returning a negative number',
    code: 'E_INVALID_OPTION',
    message: /"ttl" must be a positive number of seconds, got -1/,
    names: ['NegativeTtl'],
    act: async () => {
      class NegativeTtl extends Job<[string], string> {
        fetch(id: string) {
          return id
        }
        override ttl() {
          return -1
        }
      }
      return { error: await caught(() => new NegativeTtl({ cache: ctx.cache }).set(['a'], 'v')) }
    },
  },
  {
    area: 'JS API',
    name: 'a refreshTimeout() hook returning NaN (stale read: served, refresh refused)',
    code: 'E_INVALID_OPTION',
    message: /"refreshTimeout" must be a positive number of seconds, got NaN/,
    names: ['NaNRefreshTimeout'],
    act: async () => {
      class NaNRefreshTimeout extends Job<[string], string> {
        fetch(id: string) {
          return id
        }
        override refreshTimeout() {
          return Number.NaN
        }
      }
      return staleReadRefused(new NaNRefreshTimeout({ cache: ctx.cache }), 'a', 'a')
    },
  },

  // Stored data that is not ours or is corrupt: a miss, reported as E_CORRUPT_ENTRY, overwritten by the fetched value.
  { area: 'stored data', name: 'plain text at the key', code: 'E_CORRUPT_ENTRY', message: /is not a cacheback entry/, names: [(c) => c.values.job.keyFor('text')], act: () => readOver('text', (key) => ctx.admin.set(key, 'hello, not ours')) },
  { area: 'stored data', name: 'an empty string at the key', code: 'E_CORRUPT_ENTRY', message: /is not a cacheback entry/, names: [(c) => c.values.job.keyFor('empty')], act: () => readOver('empty', (key) => ctx.admin.set(key, '')) },
  { area: 'stored data', name: 'wrong magic byte', code: 'E_CORRUPT_ENTRY', message: /is not a cacheback entry \(format v\d+\)/, names: [(c) => c.values.job.keyFor('magic')], act: () => readOver('magic', (key) => ctx.admin.set(key, Buffer.concat([Buffer.from([ENTRY_MAGIC - 1]), entryBytes().subarray(1)]))) },
  { area: 'stored data', name: 'another format version', code: 'E_CORRUPT_ENTRY', message: /is not a cacheback entry \(format v\d+\)/, names: [(c) => c.values.job.keyFor('version')], act: () => readOver('version', (key) => ctx.admin.set(key, Buffer.concat([Buffer.from([ENTRY_MAGIC, ENTRY_VERSION + 1]), entryBytes().subarray(2)]))) },
  { area: 'stored data', name: 'truncated header', code: 'E_CORRUPT_ENTRY', message: /is not a cacheback entry/, names: [(c) => c.values.job.keyFor('short')], act: () => readOver('short', (key) => ctx.admin.set(key, entryBytes().subarray(0, 12))) },
  {
    area: 'stored data',
    name: 'valid header, NaN createdAt',
    code: 'E_CORRUPT_ENTRY',
    message: /is not a cacheback entry/,
    names: [(c) => c.values.job.keyFor('nan')],
    act: () =>
      readOver('nan', (key) => {
        const bytes = entryBytes()
        bytes.writeDoubleBE(Number.NaN, 2)
        return ctx.admin.set(key, bytes)
      }),
  },
  { area: 'stored data', name: 'valid header, garbage payload', code: 'E_CORRUPT_ENTRY', message: /cannot be decoded: Data read, but end of buffer not reached/, names: [(c) => c.values.job.keyFor('garbage')], act: () => readOver('garbage', (key) => ctx.admin.set(key, Buffer.concat([entryBytes().subarray(0, ENTRY_LAYOUT.headerBytes), Buffer.from('garbage payload!')]))) },
  { area: 'stored data', name: 'valid header, truncated payload', code: 'E_CORRUPT_ENTRY', message: /cannot be decoded/, names: [(c) => c.values.job.keyFor('cut')], act: () => readOver('cut', (key) => ctx.admin.set(key, entryBytes({ id: 'x', list: [1, 2, 3, 'four'] }).subarray(0, ENTRY_LAYOUT.headerBytes + 3))) },
  { area: 'stored data', name: 'a Redis hash at the key (WRONGTYPE)', code: 'E_CORRUPT_ENTRY', message: /is not a cacheback entry: the key holds another Redis type than a string \(WRONGTYPE\)/, names: [(c) => c.values.job.keyFor('hash')], act: () => readOver('hash', (key) => ctx.admin.hset(key, 'field', 'not ours')) },
  {
    area: 'stored data',
    name: 'peek of corrupt data: a miss, reported, left as it is',
    code: 'E_CORRUPT_ENTRY',
    message: /is not a cacheback entry/,
    names: [(c) => c.values.job.keyFor('peeked')],
    act: async () => {
      const key = ctx.values.job.keyFor('peeked')
      await ctx.admin.set(key, 'not ours')
      const from = ctx.setup.log.events.length
      expect(await ctx.values.peek('peeked')).toEqual({ status: 'miss' })
      expect(await ctx.admin.get(key)).toBe('not ours')
      return { error: storeErrorsOf(key, from)[0], changed: [key] }
    },
  },
  {
    area: 'stored data',
    name: 'corrupt field entry in a batched GraphQL read',
    code: 'E_CORRUPT_ENTRY',
    message: /is not a cacheback entry/,
    names: [(c) => tweetsKey(c, 'c1')],
    act: async () => {
      const key = tweetsKey(ctx, 'c1')
      await ctx.admin.set(key, Buffer.from([0xcb, ENTRY_VERSION, 0x02]))
      const from = ctx.setup.log.events.length
      const result = await run(ctx.server, '{ user(id: "c1") { tweets { text } } }')
      expect(result.errors).toBeUndefined()
      expect(result.data.user.tweets[0].text).toBe('tweet 0 of c1 v1')
      expect(result.extensions?.cacheback).toMatchObject({ miss: 1 })
      expect(decodeEntry((await ctx.admin.getBuffer(key))!, key).value).toEqual(result.data.user.tweets.map((t: { text: string }, i: number) => ({ id: `c1-${i}`, text: t.text })))
      return { error: storeErrorsOf(key, from)[0], changed: [key] }
    },
  },

  // Refresh payloads: coded errors, reported as refresh-failed; nothing stored changes; the worker keeps refreshing.
  { area: 'queue payload', name: 'unknown job', code: 'E_UNKNOWN_JOB', message: /No job named "ghostJob" is registered with this cache/, names: ['ghostJob', 'ghost-key'], act: () => workerRejects(() => ctx.rogue.dispatch({ job: 'ghostJob', key: 'ghost-key', args: ['x'], token: 't' })) },
  { area: 'queue payload', name: 'unknown coordinate', code: 'E_UNKNOWN_COORDINATE', message: /No cached field Query\.nope in this worker's schema/, names: ['Query.nope'], act: () => workerRejects(() => ctx.rogue.dispatch({ job: 'graphql:Query.nope', key: 'nope-key', args: [null, {}, null], token: 't' })) },
  { area: 'queue payload', name: 'data is a string', code: 'E_INVALID_PAYLOAD', message: /Malformed refresh payload \(queue job \d+\): not an object/, names: ['queue job'], act: () => enqueueRaw('refresh everything') },
  { area: 'queue payload', name: 'data is a number', code: 'E_INVALID_PAYLOAD', message: /Malformed refresh payload \(queue job \d+\): not an object/, names: ['queue job'], act: () => enqueueRaw(42) },
  { area: 'queue payload', name: 'data is an empty object', code: 'E_INVALID_PAYLOAD', message: /Malformed refresh payload \(queue job \d+\): unknown format version undefined/, names: ['queue job'], act: () => enqueueRaw({}) },
  { area: 'queue payload', name: 'unknown format version', code: 'E_INVALID_PAYLOAD', message: /unknown format version 99/, names: ['"values"', (c) => c.seededKey], act: () => enqueueRaw(payload({ v: 99 })) },
  { area: 'queue payload', name: 'no job name', code: 'E_INVALID_PAYLOAD', message: /missing job name/, names: [(c) => c.seededKey], act: () => enqueueRaw(payload({ job: undefined })) },
  { area: 'queue payload', name: 'key is not a string', code: 'E_INVALID_PAYLOAD', message: /key, token and args must be strings/, names: ['"values"'], act: () => enqueueRaw(payload({ key: 42 })) },
  { area: 'queue payload', name: 'args is not base64 msgpack', code: 'E_INVALID_PAYLOAD', message: /args cannot be decoded/, names: ['"values"', (c) => c.seededKey], act: () => enqueueRaw(payload({ args: Buffer.from('not msgpack at all').toString('base64') })) },
  { area: 'queue payload', name: 'args is not an array', code: 'E_INVALID_PAYLOAD', message: /args is not an array/, names: ['"values"', (c) => c.seededKey], act: () => enqueueRaw(payload({ args: pack({ id: 'seeded' }).toString('base64') })) },
  { area: 'queue payload', name: 'args that give another key (the seeded one)', code: 'E_INVALID_PAYLOAD', message: /its arguments give key .* not the requested/, names: ['"values"', (c) => c.seededKey], act: () => enqueueRaw(payload({ args: pack(['someone else']).toString('base64') })) },
  { area: 'queue payload', name: 'a refresh whose fetch returns a function', code: 'E_UNSERIALIZABLE_VALUE', message: /value \(function\) would not survive/, names: ['badValues'], act: () => workerRejects(() => ctx.rogue.dispatch({ job: 'badValues', key: (ctx.cache.findJob('badValues') as Job<[string]>).keyFor('fn'), args: ['fn'], token: 't' })) },
  {
    area: 'queue payload',
    name: 'payload over maxPayloadBytes (refused at dispatch; stale served)',
    code: 'E_PAYLOAD_TOO_LARGE',
    message: /payload is \d+ bytes, over the limit of 1024 \(maxPayloadBytes\)/,
    names: ['"bigArgs"'],
    act: () => {
      const small = ctx.setup.process({ refresher: new BeeQueueRefresher({ redis: inject('redisUrl'), queue: ctx.setup.namespace, maxPayloadBytes: 1024 }) })
      const bigArgs = cacheback(async (query: string) => query.length, { name: 'bigArgs', lifetime: 10, cache: small })
      return staleReadRefused(bigArgs.job, 'q'.repeat(2000), 2000)
    },
  },
  {
    area: 'queue payload',
    name: 'arguments a worker cannot rebuild (refused at dispatch; stale served)',
    code: 'E_INVALID_PAYLOAD',
    message: /args\[0\] \(an instance of URL\) cannot be sent to a worker/,
    names: ['"byUrl"'],
    act: () => staleReadRefused(cacheback(async (url: URL) => url.host, { name: 'byUrl', lifetime: 10, cache: ctx.cache }).job, new URL('https://a.example/'), 'a.example'),
  },
  {
    area: 'queue payload',
    name: 'arguments with an own "__proto__" key (refused at dispatch; stale served)',
    code: 'E_INVALID_PAYLOAD',
    message: /args\[0\]\.__proto__ \(an own "__proto__" key\) cannot be sent to a worker/,
    names: ['"byFilter"'],
    act: () => staleReadRefused(cacheback(async (filter: object) => Object.keys(filter).length, { name: 'byFilter', lifetime: 10, cache: ctx.cache }).job, JSON.parse('{"__proto__":{"admin":true}}'), 1),
  },
]

/** Key of `User.tweets` (default args) for the user with this id. */
function tweetsKey(c: Ctx, id: string): string {
  return (c.cache.findJob('graphql:User.tweets') as Job<any[]>).keyFor({ id }, { limit: 2 }, null)
}

it('has at least 25 cases, in every area', () => {
  expect(rows.length).toBeGreaterThanOrEqual(25)
  expect(new Set(rows.map((r) => r.area))).toEqual(new Set(['directive', 'schema build', 'JS API', 'stored data', 'queue payload']))
})

it.each(rows)('$area: $name', async (row) => {
  const before = await snapshot()
  expect(before.get(ctx.seededKey)).toBeDefined()
  const { error, changed = [] } = await row.act(ctx)

  expect(error).toBeInstanceOf(Error)
  if (row.code === null) {
    expect(error).not.toBeInstanceOf(CachebackError) // GraphQL's own validation, before the transformer runs
  } else {
    expect(error).toBeInstanceOf(CachebackError)
    expect((error as CachebackError).code).toBe(row.code)
  }
  const message = (error as Error).message
  expect(message).toMatch(row.message)
  for (const name of row.names) expect(message).toContain(typeof name === 'function' ? name(ctx) : name)

  const after = await snapshot()
  // The index a planted entry is filed in is new with it (`<namespace>:index:…`), not a change to data already there.
  for (const key of after.keys()) if (!before.has(key) && key.includes(':index:')) after.delete(key)
  for (const key of changed) {
    before.delete(key)
    after.delete(key)
  }
  expect(after).toEqual(before)
})

it('left the seeded entry as it was and the worker running', async () => {
  expect(await ctx.values.peek('seeded')).toMatchObject({ status: 'hit', value: { id: 'seeded', version: 1 } })
  await workerStillRefreshes()
})
