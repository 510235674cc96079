/**
 * Redis Cluster: RedisStore on an ioredis `Cluster` of three masters started
 * on loopback (once for this file). The store conformance suite, the engine's
 * key behaviours, and GraphQL batched reads across hash slots. Refreshes go
 * through bee-queue on the suite's standalone Redis, as they must: bee-queue
 * has no Cluster support, so the queue is standalone while the store is a
 * Cluster.
 */
import { Cluster, Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest'
import { type AnyJob, Cacheback, type CachebackOptions, type CachedFunction, InProcessRefresher, cacheback } from '../src/index.js'
import { RedisStore } from '../src/redis/index.js'
import { BeeQueueRefresher, type RefreshWorker, createRefreshWorker } from '../src/bee-queue/index.js'
import { type RefreshContextFactory } from '../src/graphql/index.js'
import type { GraphQLSchema } from 'graphql'
import { createClock } from './helpers/clock.js'
import { EventLog, deferred } from './helpers/events.js'
import { createServer, createUpstream, refreshContext, run } from './helpers/graphql.js'
import { uniqueNamespace } from './helpers/namespace.js'
import { type RedisClusterHandle, commandStats, startRedisCluster } from './helpers/redis-server.js'
import { storeConformance } from '../src/testing/index.js'

let cluster: RedisClusterHandle
let client: Cluster
/** One plain client per master, for INFO and SCAN. */
let masters: Redis[]

beforeAll(async () => {
  cluster = await startRedisCluster()
  client = new Cluster(cluster.startupNodes)
  masters = cluster.nodes.map((node) => new Redis(node.url))
})
afterAll(async () => {
  await client?.quit()
  for (const master of masters ?? []) master.disconnect()
  await cluster?.stop()
})

it('runs three masters that split the 16384 slots', async () => {
  const slots = await client.cluster('SLOTS')
  const ports = new Set(slots.map(([, , [, port]]) => port))
  expect(ports).toEqual(new Set(cluster.nodes.map((n) => n.port)))
  expect(slots.reduce((sum, [from, to]) => sum + to - from + 1, 0)).toBe(16384)
})

storeConformance({
  name: 'RedisStore on a three-master Cluster',
  makeStore: () => {
    const store = new RedisStore({ redis: client })
    return {
      store,
      cleanup: async () => {
        await store.close()
        expect(client.status).toBe('ready') // a given client stays open
      },
    }
  },
  describe,
  it,
  beforeEach,
  afterEach,
})

// ---- the engine on a Cluster store, refreshes through a standalone queue ----

type JobFactory = (cache: Cacheback) => CachedFunction<any[], any>

/** Like test/helpers/engine.ts's redis setup, with the store on the Cluster and the queue on the standalone Redis. */
function clusterEngine() {
  const namespace = uniqueNamespace('cluster')
  const clock = createClock()
  const log = new EventLog()
  const caches: Cacheback[] = []
  const workers: RefreshWorker[] = []
  const url = inject('redisUrl')
  const base = { namespace, now: clock.now, onEvent: log.listener }
  return {
    namespace,
    clock,
    log,
    /** A "process": its own Cacheback on the Cluster store and the standalone queue. */
    process(options: Partial<CachebackOptions> = {}): Cacheback {
      const cache = new Cacheback({ ...base, store: new RedisStore({ redis: client }), refresher: new BeeQueueRefresher({ redis: url, queue: namespace }), ...options })
      caches.push(cache)
      return cache
    },
    /** A bee-queue worker consuming the standalone queue and writing to the Cluster. */
    async startWorker(factories: JobFactory[], extras: { schema?: GraphQLSchema; context?: RefreshContextFactory; stallInterval?: number } = {}): Promise<void> {
      const cache = new Cacheback({ ...base, store: new RedisStore({ redis: client }), refresher: new InProcessRefresher() })
      caches.push(cache)
      const worker = createRefreshWorker({ ...extras, cache, jobs: factories.map((make) => make(cache)), redis: url, queue: namespace })
      workers.push(worker)
      await worker.ready()
    },
    refreshed: (count = 1) => log.waitFor('refresh-succeeded', count),
    async cleanup(): Promise<void> {
      await Promise.all(workers.map((w) => w.close(2000)))
      await Promise.all(caches.map((c) => c.close()))
    },
  }
}

describe('engine on a Cluster store with a standalone queue', () => {
  let engine: ReturnType<typeof clusterEngine>
  beforeEach(() => {
    engine = clusterEngine()
  })
  afterEach(async () => {
    await engine.cleanup()
  })

  function counter(options: { fetchOnMiss?: boolean } = {}) {
    const state = { calls: 0, version: 1 }
    const fetchTweets = async (user: string) => {
      state.calls++
      return { user, version: state.version, at: new Date(1_000) }
    }
    const make = (cache: Cacheback) => cacheback(fetchTweets, { lifetime: 10, refreshTimeout: 30, ...options, cache })
    return { state, make }
  }

  it('serves a fresh hit without fetching, keeping the Date', async () => {
    const { state, make } = counter()
    const tweets = make(engine.process())
    await tweets('ann')
    engine.clock.advance(9)
    const read = await tweets.read('ann')
    expect(read).toMatchObject({ status: 'hit', value: { user: 'ann', version: 1 } })
    expect(read.value!.at).toEqual(new Date(1_000))
    expect(read.value!.at).toBeInstanceOf(Date)
    expect(state.calls).toBe(1)
  })

  it('serves stale at once and runs exactly one refresh, in the worker, for 200 reads from two processes', async () => {
    const { state, make } = counter()
    const a = make(engine.process())
    const b = make(engine.process())
    await engine.startWorker([make])
    await a('ann')
    state.version = 2
    engine.clock.advance(11)
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).read('ann')))
    expect(results.every((r) => r.status === 'stale' && r.value!.version === 1)).toBe(true)
    expect(results.filter((r) => r.refresh === 'dispatched')).toHaveLength(1)
    expect(results.filter((r) => r.refresh === 'in-flight')).toHaveLength(199)
    await engine.refreshed(1)
    expect(engine.log.of('refresh-dispatched').map((e) => e.via)).toEqual(['bee-queue'])
    expect(state.calls).toBe(2)
    expect(await b.read('ann')).toMatchObject({ status: 'hit', value: { version: 2 } })
  })

  it('holds the refresh lock for refreshTimeout on the logical clock', async () => {
    const hang = deferred<never>()
    let calls = 0
    const make = (cache: Cacheback) =>
      cacheback(
        async (user: string) => {
          calls++
          if (calls === 2) return hang.promise // a refresh that never ends (a dead worker)
          return { user, calls }
        },
        { name: 'slowTweets', lifetime: 10, refreshTimeout: 30, cache },
      )
    const tweets = make(engine.process())
    await engine.startWorker([make], { stallInterval: 60_000 })
    await tweets('ann')
    engine.clock.advance(11)
    expect((await tweets.read('ann')).refresh).toBe('dispatched')
    engine.clock.advance(29)
    expect((await tweets.read('ann')).refresh).toBe('in-flight')
    engine.clock.advance(2)
    expect(await tweets.read('ann')).toMatchObject({ status: 'stale', refresh: 'dispatched' })
    expect(engine.log.count('refresh-dispatched')).toBe(2)
    hang.resolve(undefined as never)
  })

  it('does not let an old refresh finishing late overwrite a newer value (compare-and-set)', async () => {
    const late = deferred<string>()
    let calls = 0
    const tweets = cacheback(
      async (_user: string) => {
        calls++
        return calls === 1 ? late.promise : `v${calls}`
      },
      { name: 'race', lifetime: 10, cache: engine.process() },
    )
    const old = tweets.refresh('ann')
    engine.clock.advance(1)
    expect(await tweets.refresh('ann')).toBe('v2')
    late.resolve('v1')
    expect(await old).toBe('v1')
    expect(await tweets.peek('ann')).toMatchObject({ status: 'hit', value: 'v2' })
  })

  it('fetchOnMiss: false returns empty() and the worker fills the entry', async () => {
    const { state, make } = counter({ fetchOnMiss: false })
    const tweets = make(engine.process())
    await engine.startWorker([make])
    expect(await tweets.read('ann')).toMatchObject({ status: 'miss', value: null, refresh: 'dispatched' })
    await engine.refreshed(1)
    expect(await tweets.read('ann')).toMatchObject({ status: 'hit', value: { user: 'ann', version: 1 } })
    expect(state.calls).toBe(1)
  })

  it('invalidate marks stale on the Cluster; the worker refreshes', async () => {
    const { state, make } = counter()
    const tweets = make(engine.process())
    await engine.startWorker([make])
    await tweets('ann')
    state.version = 2
    await tweets.invalidate('ann')
    expect(await tweets.read('ann')).toMatchObject({ status: 'stale', value: { version: 1 }, refresh: 'dispatched' })
    await engine.refreshed(1)
    expect(await tweets.read('ann')).toMatchObject({ status: 'hit', value: { version: 2 } })
  })

  it('refuses a Cluster client for the queue, which must be a standalone Redis', () => {
    expect(() => new BeeQueueRefresher({ redis: client as never })).toThrowError(expect.objectContaining({ code: 'E_INVALID_OPTION', message: expect.stringMatching(/not a client instance/) }))
  })
})

// ---- GraphQL: one execution level across many hash slots ---------------------

/** Calls per command on each master since the last reset. */
async function commandCalls(): Promise<Record<string, number>[]> {
  return Promise.all(
    masters.map((master) => commandStats(master)),
  )
}

/** Keys matching `pattern` on each master. */
async function keysPerMaster(pattern: string): Promise<number[]> {
  return Promise.all(
    masters.map(async (master) => {
      let cursor = '0'
      let count = 0
      do {
        const [next, batch] = await master.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
        cursor = next
        count += batch.length
      } while (cursor !== '0')
      return count
    }),
  )
}

describe('GraphQL on a Cluster store', () => {
  let engine: ReturnType<typeof clusterEngine>
  beforeEach(() => {
    engine = clusterEngine()
  })
  afterEach(async () => {
    await engine.cleanup()
  })

  it('reads the cached fields of 100 parents spread over every master, then serves them stale and refreshed', async () => {
    const upstream = createUpstream()
    const { server, schema } = await createServer(engine.process(), upstream)
    await engine.startWorker([], { schema, context: refreshContext })
    const query = '{ users(count: 100) { id tweets { text } } }'

    const cold = await run(server, query)
    expect(cold.errors).toBeUndefined()
    expect(cold.extensions?.cacheback).toMatchObject({ miss: 100 })
    expect(upstream.calls.tweets).toBe(100)
    const perMaster = await keysPerMaster(`${engine.namespace}:graphql:User.tweets:*`)
    expect(perMaster.reduce((a, b) => a + b, 0)).toBe(100)
    expect(perMaster.every((n) => n > 0)).toBe(true)

    await Promise.all(masters.map((m) => m.config('RESETSTAT')))
    const warm = await run(server, query)
    expect(warm.data).toEqual(cold.data)
    expect(warm.extensions?.cacheback).toEqual({ hit: 100, stale: 0, miss: 0, staleFields: [] })
    expect(upstream.calls.tweets).toBe(100)
    // getMany on a Cluster: one GET per key, sent at once, each to the master owning its slot; no MGET.
    const calls = await commandCalls()
    expect(calls.reduce((sum, c) => sum + (c.get ?? 0), 0)).toBe(100)
    expect(calls.map((c) => c.get ?? 0)).toEqual(perMaster)
    expect(calls.every((c) => c.mget === undefined)).toBe(true)

    upstream.version = 2
    engine.clock.advance(11)
    const stale = await run(server, query)
    expect(stale.data).toEqual(cold.data)
    expect(stale.extensions?.cacheback).toMatchObject({ hit: 0, stale: 100, miss: 0 })
    expect(stale.extensions?.cacheback.staleFields.every((f: { refresh: string }) => f.refresh === 'dispatched')).toBe(true)
    await engine.refreshed(100)
    const fresh = await run(server, query)
    expect(fresh.extensions?.cacheback).toMatchObject({ hit: 100, stale: 0, miss: 0 })
    expect(fresh.data.users.map((u: { id: string; tweets: { text: string }[] }) => u.tweets[0].text)).toEqual(Array.from({ length: 100 }, (_, i) => `tweet 0 of ${i} v2`))
    expect(engine.log.of('refresh-dispatched').every((e) => e.via === 'bee-queue')).toBe(true)
    expect(engine.log.count('store-error')).toBe(0)
    await server.stop()
  })

  it('reads a key holding another Redis type in a batch as a miss of that field only (as MGET does), and replaces it', async () => {
    const upstream = createUpstream()
    const cache = engine.process()
    const { server } = await createServer(cache, upstream)
    const query = '{ users(count: 20) { id tweets { text } } }'
    const cold = await run(server, query)
    const key = (cache.findJob('graphql:User.tweets') as AnyJob).keyFor({ id: '7' }, { limit: 2 }, null)
    await client.del(key)
    await client.hset(key, 'not', 'ours')

    const read = await run(server, query)
    expect(read.errors).toBeUndefined()
    expect(read.data).toEqual(cold.data)
    expect(read.extensions?.cacheback).toMatchObject({ hit: 19, miss: 1 })
    expect(upstream.calls.tweets).toBe(21)
    expect(await client.type(key)).toBe('string')
    expect((await run(server, query)).extensions?.cacheback).toMatchObject({ hit: 20, miss: 0 })
    await server.stop()
  })
})
