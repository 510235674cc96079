/**
 * The contenders of `function-hit`, each set up through its documented API
 * with matching settings: its own ioredis client (auto-pipelining), values
 * fresh for an hour with an hour of stale serving after that, the same
 * profiles stored under the same ids before any timed loop.
 */
import { createCache } from 'async-cache-dedupe'
import { BentoCache, bentostore } from 'bentocache'
import { redisDriver } from 'bentocache/drivers/redis'
import { Cacheback, InProcessRefresher, type L1Options, cacheback } from 'graphql-cacheback'
import { RedisStore } from 'graphql-cacheback/redis'
import { unpack } from '../../src/codec.js'
import { HEADER_BYTES } from '../../src/entry.js'
import type { Profile } from './payload.js'
import { benchClient } from './redis.js'
import { inBatches } from './util.js'

/** One contender: reads the value of id `ids[i]` through its cache. */
export interface HitContender {
  name: string
  /** Reads one value (by its index in the key space). */
  read(index: number): Promise<unknown>
  /** How many times the contender fell through to the source (0 when every read hit). */
  sourceCalls(): number
  close(): Promise<void>
}

/** What every contender is given. */
export interface HitSetup {
  redisUrl: string
  prefix: string
  profiles: readonly Profile[]
}

const LIFETIME_S = 3600
const STALE_S = 3600

/** How a cacheback contender is set up. */
export interface CachebackVariant {
  /** The contender's name in the tables. */
  name: string
  /** `RedisStore({ redis: url })` (the client the store makes) instead of a client like every contender's. */
  storeMadeClient?: boolean
  /** An in-process tier (its bus: the store's). */
  l1?: L1Options
}

/**
 * `cacheback(fn)` on a `RedisStore`, with a client like every contender's
 * or with the client the store makes from a URL (its defaults), optionally
 * with an in-process tier (ready once its bus listens). Also returns the keys
 * it wrote, for the floor.
 */
export async function cachebackContender(setup: HitSetup, variant: CachebackVariant = { name: 'cacheback' }): Promise<HitContender & { keys: string[] }> {
  const client = variant.storeMadeClient ? undefined : benchClient(setup.redisUrl)
  // A 5 s command timeout (not 250 ms): prefilling 10,000 values on a loaded 2-core machine may be slow; a hit costs the same timer either way.
  const store = new RedisStore({ redis: client ?? setup.redisUrl, commandTimeoutMs: 5000 })
  const cache = new Cacheback({ store, refresher: new InProcessRefresher(), namespace: `${setup.prefix}cb-${variant.name.replace(/\W+/g, '-')}`, l1: variant.l1 })
  if (variant.l1) await new Promise<void>((resolve) => (cache.l1!.serving ? resolve() : cache.addListener((event) => event.type === 'bus-up' && resolve())))
  let calls = 0
  const getProfile = cacheback(
    async (id: number) => {
      calls++
      return setup.profiles[id]
    },
    { name: 'getProfile', cache, lifetime: LIFETIME_S, ttl: LIFETIME_S + STALE_S },
  )
  await inBatches(setup.profiles.length, (id) => getProfile.set([id], setup.profiles[id]))
  const keys = setup.profiles.map((_, id) => getProfile.job.keyFor(id))
  const n = setup.profiles.length
  return {
    name: variant.name,
    keys,
    read: (i) => getProfile(i % n),
    sourceCalls: () => calls,
    close: async () => {
      await cache.close()
      client?.disconnect()
    },
  }
}

/** bentocache `getOrSet` with a grace period, Redis as its only layer (L2, no L1, no bus). */
export async function bentocacheContender(setup: HitSetup): Promise<HitContender & { keys: string[] }> {
  const client = benchClient(setup.redisUrl)
  const bento = new BentoCache({
    default: 'redis',
    prefix: `${setup.prefix}bento`,
    stores: { redis: bentostore().useL2Layer(redisDriver({ connection: client })) },
  })
  let calls = 0
  const n = setup.profiles.length
  const ttl = LIFETIME_S * 1000
  const grace = STALE_S * 1000
  await inBatches(n, (id) => bento.set({ key: `profile:${id}`, value: setup.profiles[id], ttl, grace }))
  const keys = Array.from({ length: n }, (_, id) => `${setup.prefix}bento:profile:${id}`)
  return {
    name: 'bentocache',
    keys,
    read: (i) => {
      const id = i % n
      return bento.getOrSet({
        key: `profile:${id}`,
        ttl,
        grace,
        factory: () => {
          calls++
          return setup.profiles[id]
        },
      })
    },
    sourceCalls: () => calls,
    close: async () => {
      await bento.disconnectAll()
      client.disconnect()
    },
  }
}

/** async-cache-dedupe with its Redis storage and `stale`. */
export async function asyncCacheDedupeContender(setup: HitSetup): Promise<HitContender> {
  const client = benchClient(setup.redisUrl)
  let calls = 0
  const name = `${setup.prefix.replace(/\W/g, '_')}acdProfile`
  const cache = createCache({ ttl: LIFETIME_S, stale: STALE_S, storage: { type: 'redis', options: { client } } }).define(name, async (id: number) => {
    calls++
    return setup.profiles[id]
  })
  const getProfile = (cache as unknown as Record<string, (id: number) => Promise<Profile>>)[name]
  const n = setup.profiles.length
  await inBatches(n, (id) => getProfile(id))
  calls = 0
  return {
    name: 'async-cache-dedupe',
    read: (i) => getProfile(i % n),
    sourceCalls: () => calls,
    close: async () => client.disconnect(),
  }
}

/** The floor: `GET` of the bytes cacheback stored, and msgpackr `unpack` of the value in them. */
export function msgpackFloor(setup: HitSetup, keys: readonly string[]): HitContender {
  const client = benchClient(setup.redisUrl)
  const n = keys.length
  return {
    name: 'floor: GET + msgpackr',
    read: async (i) => {
      const bytes = await client.getBuffer(keys[i % n])
      return unpack(bytes!.subarray(HEADER_BYTES))
    },
    sourceCalls: () => 0,
    close: async () => client.disconnect(),
  }
}

/** Reference for the JSON peers: `GET` of the string bentocache stored, and `JSON.parse`. */
export function jsonFloor(setup: HitSetup, keys: readonly string[]): HitContender {
  const client = benchClient(setup.redisUrl)
  const n = keys.length
  return {
    name: 'floor: GET + JSON.parse',
    read: async (i) => (JSON.parse((await client.get(keys[i % n]))!) as { value: unknown }).value,
    sourceCalls: () => 0,
    close: async () => client.disconnect(),
  }
}
