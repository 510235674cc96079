/**
 * Refresh ahead (SPEC section 8): probabilistic early expiration. The pure
 * decision on given δ, β and time left; then on both engines (MemoryStore +
 * in-process, RedisStore + a real bee-queue worker), on the injected clock
 * and injected randomness: one early refresh per key across two processes,
 * lifetime after lifetime, a read that never waits, and a failed early
 * refresh that leaves the entry fresh until its lifetime ends.
 */
import { ApolloServer } from '@apollo/server'
import { makeExecutableSchema } from '@graphql-tools/schema'
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest'
import { Cacheback, type CachebackEvent, cacheback, decide } from '../src/index.js'
import { cachebackApolloPlugin } from '../src/apollo/index.js'
import { cachebackDirective, cachebackTypeDefs } from '../src/graphql/index.js'
import { refreshAheadProbability, refreshesAhead } from '../src/policy.js'
import { ENGINE_KINDS, type EngineSetup, createEngineSetup } from './helpers/engine.js'
import { deferred } from './helpers/events.js'

const AHEAD_FIXTURE = fileURLToPath(new URL('./fixtures/ahead-process.ts', import.meta.url))
const children: ChildProcess[] = []
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => new Promise((resolve) => (child.once('exit', resolve), child.send({ op: 'close' })))))
})

/** The fixture process on the suite's Redis, namespace and queue `namespace`: `call` sends an op and resolves with its answer; `events` are its forwarded events. */
async function otherProcess(namespace: string) {
  const child = fork(AHEAD_FIXTURE, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, REDIS_URL: inject('redisUrl'), NAMESPACE: namespace }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  children.push(child)
  const events: CachebackEvent[] = []
  const pending = new Map<number, (result: any) => void>()
  const ready = new Promise<void>((resolve) =>
    child.on('message', (message: { id?: number; result?: unknown; event?: CachebackEvent; ready?: boolean }) => {
      if (message.ready) resolve()
      if (message.event) events.push(message.event)
      if (message.id !== undefined) pending.get(message.id)?.(message.result)
    }),
  )
  await ready
  let next = 0
  const call = (message: object): Promise<any> => new Promise((resolve) => (pending.set(++next, resolve), child.send({ id: next, ...message })))
  return { call, events }
}

const createdAt = 1_700_000_000_000
/** Fresh for 10 s; its fetch took δ = 200 ms. */
const entry = { value: 'v', createdAt, freshUntil: createdAt + 10_000, expiresAt: createdAt + 100_000, fetchMs: 200 }
const msLeft = (ms: number) => entry.freshUntil - ms

/** Share of `n` evenly spread draws (`random()` = 0, 1/n, …, (n−1)/n) that refresh ahead. */
function shareAhead(draws: number, now: number, beta: number, fetchMs = entry.fetchMs): number {
  let ahead = 0
  for (let i = 0; i < draws; i++) {
    const decision = decide({ ...entry, fetchMs }, now, { refreshAhead: () => beta, random: () => i / draws })
    if (decision.kind !== 'hit') throw new Error(`expected a hit, got ${decision.kind}`)
    if (decision.refreshAhead) ahead++
  }
  return ahead / draws
}

describe('decide() with refresh ahead (pure)', () => {
  const N = 10_000

  it.each([
    // [δ ms, β, ms left]
    [200, 1, 1],
    [200, 1, 100],
    [200, 1, 200],
    [200, 1, 600],
    [200, 2, 600],
    [200, 0.5, 100],
    [50, 1, 200],
    [1000, 1, 5000],
  ])('with δ = %d ms and β = %d, refreshes ahead %d ms before the end with probability exp(−t / (δ·β))', (fetchMs, beta, left) => {
    const expected = Math.exp(-left / (fetchMs * beta))
    expect(refreshAheadProbability(fetchMs, beta, left)).toBeCloseTo(expected, 12)
    // Evenly spread draws: the share that fires is the probability, up to one draw.
    expect(Math.abs(shareAhead(N, msLeft(left), beta, fetchMs) - expected)).toBeLessThanOrEqual(1 / N)
  })

  it('grows as the end approaches and with the cost of the fetch', () => {
    const shares = [2000, 1000, 400, 100, 10].map((left) => shareAhead(1000, msLeft(left), 1))
    expect(shares).toEqual([...shares].sort((a, b) => a - b))
    expect(shares[0]).toBeLessThan(0.001)
    expect(shares.at(-1)).toBeGreaterThan(0.9)
    expect(shareAhead(1000, msLeft(400), 1, 800)).toBeGreaterThan(shareAhead(1000, msLeft(400), 1, 100))
  })

  it('never fires when off (β = 0), for an entry of unknown cost (δ = 0), or for a draw of rand = 1', () => {
    expect(shareAhead(100, msLeft(1), 0)).toBe(0)
    expect(shareAhead(100, msLeft(1), 1, 0)).toBe(0)
    expect(decide(entry, msLeft(1), { refreshAhead: () => 1, random: () => 0 })).toEqual({ kind: 'hit', entry, age: 9.999 })
    expect(refreshesAhead({ freshUntil: entry.freshUntil }, msLeft(1), { refreshAhead: () => 1, random: () => 0.99 })).toBe(false)
  })

  it('makes no draw far from the end, and leaves stale and missing entries to their own decisions', () => {
    let draws = 0
    const policy = { refreshAhead: () => 1, random: () => (draws++, 0.999_999) }
    expect(decide(entry, msLeft(8000), policy)).toEqual({ kind: 'hit', entry, age: 2 }) // 8 s left > δ·β·37
    expect(draws).toBe(0)
    expect(decide(entry, msLeft(0), policy).kind).toBe('stale')
    expect(decide(undefined, msLeft(1), policy).kind).toBe('miss')
    expect(draws).toBe(0)
    expect(decide(entry, msLeft(1000), policy)).toEqual({ kind: 'hit', entry, age: 9, refreshAhead: true })
    expect(draws).toBe(1)
  })
})

describe('refreshAhead options', () => {
  it('rejects a β that is negative or not finite, naming the job', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '1' as unknown as number]) {
      expect(() => cacheback(async () => 1, { name: 'badAhead', refreshAhead: bad })).toThrowError(
        expect.objectContaining({ code: 'E_INVALID_OPTION', job: 'badAhead', message: expect.stringContaining('"refreshAhead" must be a finite number ≥ 0') }),
      )
    }
    expect(cacheback(async () => 1, { name: 'goodAhead', refreshAhead: 2.5 }).job.refreshAhead()).toBe(2.5)
  })

  it('rejects a `random` that is not a function', () => {
    expect(() => new Cacheback({ random: 0.5 as unknown as () => number })).toThrowError(expect.objectContaining({ code: 'E_INVALID_OPTION' }))
  })

  it.each([['-1'], ['-0.5']])('rejects @cacheback(refreshAhead: %s) at transform time, naming the coordinate', (beta) => {
    const directive = cachebackDirective({ cache: new Cacheback() })
    const schema = makeExecutableSchema({ typeDefs: [directive.typeDefs, `type Query { a: String @cacheback(refreshAhead: ${beta}) }`] })
    expect(() => directive.transformer(schema)).toThrowError(expect.objectContaining({ code: 'E_SCHEMA', coordinate: 'Query.a', message: expect.stringMatching(/^@cacheback on Query\.a: refreshAhead must be a finite number ≥ 0/) }))
  })
})

describe.each(ENGINE_KINDS)('refresh ahead on %s', (kind) => {
  let setup: EngineSetup
  beforeEach(() => {
    setup = createEngineSetup(kind)
  })
  afterEach(async () => {
    await setup.cleanup()
  })

  const LIFETIME_S = 10
  /** Seconds each fetch takes on the injected clock: δ of the entries it writes. */
  const FETCH_S = 1
  const T0 = 1_700_000_000_000
  const at = (seconds: number) => setup.clock.set(T0 + seconds * 1000)

  /** A job whose fetch takes FETCH_S on the clock; `gate` (when set) holds fetches until it resolves; `failing` makes them throw. */
  function upstream() {
    const state = { calls: 0, version: 1, failing: false, gate: undefined as Promise<void> | undefined }
    const fetchTweets = async (user: string) => {
      state.calls++
      setup.clock.advance(FETCH_S)
      if (state.gate) await state.gate
      if (state.failing) throw new Error('upstream down')
      return { user, version: state.version }
    }
    const make = (cache: Cacheback) => cacheback(fetchTweets, { lifetime: LIFETIME_S, refreshTimeout: 30, refreshAhead: 1, cache })
    return { state, make }
  }

  /** Resolves once `count` queue jobs finished in the worker (redis: bee-queue has removed them), else at once. */
  async function startWorker(make: ReturnType<typeof upstream>['make']) {
    const worker = await setup.startWorker([make])
    let finished = 0
    worker?.queue.on('succeeded', () => finished++).on('failed', () => finished++)
    return async (count: number) => {
      await setup.drain()
      while (worker && finished < count) await new Promise((resolve) => setImmediate(resolve))
    }
  }

  it('serves the hit at once and refreshes it ahead in the background; the event and the result say so', async () => {
    const { state, make } = upstream()
    const draw = { value: 0.5 }
    const tweets = make(setup.process({ random: () => draw.value }))
    const jobsDone = await startWorker(make)
    at(0)
    await tweets('ann') // createdAt T0, δ = 1 s, fresh until T0 + 10 s
    at(9) // 1 s left: refreshes ahead when −ln(rand) ≥ 1, rand = 1 − random()
    expect(await tweets.read('ann')).toMatchObject({ status: 'hit', value: { version: 1 } }) // rand 0.5: −ln 0.5 = 0.69 < 1
    expect(setup.log.count('refresh-dispatched')).toBe(0)

    const gate = deferred()
    state.gate = gate.promise
    state.version = 2
    draw.value = 0.9 // rand 0.1: −ln 0.1 = 2.3 ≥ 1
    const read = await tweets.read('ann') // resolves while the refresh's fetch is held at the gate
    expect(read).toEqual({ status: 'hit', tier: 'store', value: { user: 'ann', version: 1 }, age: 9, lifetime: LIFETIME_S, refreshAhead: true })
    await setup.log.waitFor('refresh-dispatched')
    expect(setup.log.of('refresh-dispatched')[0]).toMatchObject({ ahead: true, via: kind === 'redis' ? 'bee-queue' : 'in-process' })
    expect(setup.log.count('refresh-succeeded')).toBe(0)
    gate.resolve()
    state.gate = undefined
    await setup.refreshed(1)
    await jobsDone(1)
    expect(setup.log.of('refresh-succeeded')[0]).toMatchObject({ ahead: true })
    expect(await tweets.read('ann')).toMatchObject({ status: 'hit', value: { version: 2 } })
    expect(state.calls).toBe(2)
    expect(setup.log.count('stale')).toBe(0)
  })

  it('refreshes ahead from an in-process tier hit too (hot keys are the ones the tier answers)', async () => {
    const { state, make } = upstream()
    const draw = { value: 0.5 }
    const tweets = make(setup.process({ random: () => draw.value, l1: { maxEntries: 100 } }))
    const jobsDone = await startWorker(make)
    at(0)
    await tweets('ann') // the miss's write leaves the tier empty; the next read admits the entry
    expect(await tweets.read('ann')).toMatchObject({ status: 'hit', tier: 'store' })
    at(9)
    expect(await tweets.read('ann')).toMatchObject({ status: 'hit', tier: 'l1', value: { version: 1 } }) // −ln 0.5 < 1: not ahead
    expect(setup.log.count('refresh-dispatched')).toBe(0)
    state.version = 2
    draw.value = 0.9
    expect(await tweets.read('ann')).toEqual({ status: 'hit', tier: 'l1', value: { user: 'ann', version: 1 }, age: 9, lifetime: LIFETIME_S, refreshAhead: true })
    await setup.refreshed(1)
    await jobsDone(1)
    expect(setup.log.of('refresh-dispatched')).toMatchObject([{ ahead: true }])
    expect(await tweets.read('ann')).toMatchObject({ status: 'hit', value: { version: 2 } })
    expect(setup.log.count('stale')).toBe(0)
  })

  it('dispatches one early refresh per key across two processes, lifetime after lifetime', async () => {
    const { state, make } = upstream()
    const always = () => 0.999 // rand 0.001: fires within δ·β·6.9 = 6.9 s of the end
    const a = make(setup.process({ random: always }))
    const b = make(setup.process({ random: always }))
    const jobsDone = await startWorker(make)
    at(0)
    await a('ann')
    for (const [lifetime, start] of [[1, 5], [2, 11], [3, 17]]) {
      // Entry `lifetime` was fetched at T0 + start − 6 s (the first at T0), fresh for 10 s: 4 s left (the first 5 s).
      at(start)
      state.version = lifetime + 1
      const reads = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).read('ann')))
      expect(reads.every((r) => r.status === 'hit' && r.value!.version === lifetime)).toBe(true)
      await setup.refreshed(lifetime)
      await jobsDone(lifetime)
      expect(setup.log.of('refresh-dispatched').filter((e) => e.ahead)).toHaveLength(lifetime)
      expect(state.calls).toBe(lifetime + 1)
      expect((await b.read('ann')).value!.version).toBe(lifetime + 1)
    }
    expect(setup.log.count('refresh-dispatched')).toBe(3)
    expect(setup.log.count('stale')).toBe(0)
  })

  // Two OS processes share a Redis and a queue (the memory engine is one process).
  if (kind === 'redis') {
    it('dispatches one early refresh per key across two OS processes', async () => {
      const { state, make } = upstream()
      const here = make(setup.process({ random: () => 0.999 }))
      const jobsDone = await startWorker(make)
      const other = await otherProcess(setup.namespace)
      at(0)
      await here('ann') // fetched at T0, δ = 1 s, fresh until T0 + 10 s
      at(5) // 4 s left: −ln 0.001 = 6.9 ≥ 4, so every read picks it
      await other.call({ op: 'clock', at: T0 + 5000 })
      state.version = 2
      const gate = deferred()
      state.gate = gate.promise // the early refresh's fetch waits until both processes have read
      const [mine, theirs] = await Promise.all([Promise.all(Array.from({ length: 100 }, () => here.read('ann'))), other.call({ op: 'reads', arg: 'ann', count: 100 })])
      expect(mine.every((r) => r.status === 'hit' && r.value!.version === 1)).toBe(true)
      expect(theirs).toMatchObject({ hits: 100, versions: [1] })
      gate.resolve()
      state.gate = undefined
      await setup.refreshed(1)
      await jobsDone(1)
      const dispatched = [...setup.log.of('refresh-dispatched'), ...other.events.filter((e) => e.type === 'refresh-dispatched')]
      expect(dispatched).toHaveLength(1) // one of the 200 reads in two processes took the lock; the others found it held
      expect(dispatched[0]).toMatchObject({ ahead: true, via: 'bee-queue' })
      expect(state.calls).toBe(2) // the fill and the one early refresh
      expect((await here.read('ann')).value!.version).toBe(2)
      expect(setup.log.count('stale')).toBe(0)
    })
  }

  it('leaves the entry fresh until its lifetime ends when the early refresh fails, and reports it', async () => {
    const { state, make } = upstream()
    const tweets = make(setup.process({ random: () => 0.999 }))
    const jobsDone = await startWorker(make)
    at(0)
    await tweets('ann')
    state.failing = true
    at(8)
    expect(await tweets.read('ann')).toMatchObject({ status: 'hit', value: { version: 1 }, refreshAhead: true })
    await setup.log.waitFor('refresh-failed')
    await jobsDone(1)
    expect(setup.log.of('refresh-failed')[0]).toMatchObject({ ahead: true, key: tweets.key('ann'), error: expect.objectContaining({ message: 'upstream down' }) })

    for (const seconds of [8.5, 9.9]) {
      at(seconds)
      expect(await tweets.read('ann')).toMatchObject({ status: 'hit', value: { version: 1 } })
      expect(await tweets.peek('ann')).toMatchObject({ status: 'hit' })
    }
    await setup.drain()
    expect(state.calls).toBe(2) // no retry before refreshTimeout: the failed lock and this process's memo
    expect(setup.log.count('refresh-dispatched')).toBe(1)

    at(10) // the lifetime ends: stale, and still no retry before refreshTimeout (stale-if-error)
    expect(await tweets.read('ann')).toMatchObject({ status: 'stale', value: { version: 1 }, refresh: 'failed' })
    state.failing = false
    state.version = 2
    at(8 + 30) // refreshTimeout after the early dispatch
    expect(await tweets.read('ann')).toMatchObject({ status: 'stale', refresh: 'dispatched' })
    await setup.refreshed(1)
    await jobsDone(2)
    expect(await tweets.read('ann')).toMatchObject({ status: 'hit', value: { version: 2 } })
  })
})

describe('refresh ahead of a GraphQL field', () => {
  let setup: EngineSetup
  beforeEach(() => {
    setup = createEngineSetup('memory')
  })
  afterEach(async () => {
    await setup.cleanup()
  })

  it('reports the early refresh in extensions.cacheback and the event names the coordinate', async () => {
    const draw = { value: 0.999 }
    const cache = setup.process({ random: () => draw.value })
    let calls = 0
    const typeDefs = 'type Query { item(id: ID!): String @cacheback(lifetime: 10, refreshAhead: 2) }'
    const resolvers = { Query: { item: (_: unknown, { id }: { id: string }) => (calls++, setup.clock.advance(1), `item ${id} v${calls}`) } }
    const directive = cachebackDirective({ cache })
    const server = new ApolloServer({ schema: directive.transformer(makeExecutableSchema({ typeDefs: [cachebackTypeDefs, typeDefs], resolvers })), plugins: [cachebackApolloPlugin()] })
    await server.start()
    const query = async () => {
      const response = await server.executeOperation({ query: '{ item(id: "1") }' }, { contextValue: {} })
      if (response.body.kind !== 'single') throw new Error('expected a single result')
      return response.body.singleResult
    }
    const start = setup.clock.now()
    expect((await query()).extensions?.cacheback).toEqual({ hit: 0, stale: 0, miss: 1, staleFields: [] })
    setup.clock.set(start + 2_000) // 8 s left of 10: δ·β·−ln(0.001) = 13.8 s, so it fires
    const ahead = await query()
    expect(ahead.data).toEqual({ item: 'item 1 v1' })
    expect(ahead.extensions?.cacheback).toEqual({ hit: 1, stale: 0, miss: 0, refreshAhead: 1, staleFields: [] })
    await setup.drain()
    expect(setup.log.of('refresh-dispatched')).toEqual([expect.objectContaining({ coordinate: 'Query.item', ahead: true })])
    draw.value = 0
    expect((await query()).data).toEqual({ item: 'item 1 v2' })
    await server.stop()
  })
})
