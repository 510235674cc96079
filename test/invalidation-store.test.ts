/**
 * Stores and invalidation beyond the conformance suite (whose invalidation
 * cases every driver runs in test/stores.test.ts and test/cluster.test.ts):
 * one tag of 10,000 entries on the memory store, a standalone Redis and a
 * three-master Cluster; bounded indexes (Redis: PX at least the entries';
 * memory: entries that leave the store leave their indexes); compact
 * members; no KEYS or SCAN; one script call per chunk of keys.
 */
import { Cluster, Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { encodeEntry, readHeader } from '../src/entry.js'
import type { Store } from '../src/stores/store.js'
import { MemoryStore } from '../src/stores/memory-store.js'
import { RedisStore } from '../src/redis/index.js'
import { slotOf } from '../src/redis/slots.js'
import { stampKeyOf, tagIndex } from '../src/invalidation/index-keys.js'
import { Cacheback, cacheback } from '../src/index.js'
import { uniqueNamespace } from './helpers/namespace.js'
import { type RedisClusterHandle, type RedisServerHandle, commandStats, startRedisCluster, startRedisServer } from './helpers/redis-server.js'

const redisUrl = inject('redisUrl')
const NOW = 1_700_000_000_000
/** Command timeout of these stores: the 10,000-entry cases write in bursts that a shared machine may take seconds for. */
const SLOW_MACHINE_MS = 10_000

let cluster: RedisClusterHandle | undefined
let clusterClient: Cluster | undefined
beforeAll(async () => {
  cluster = await startRedisCluster()
  clusterClient = new Cluster(cluster.startupNodes)
}, 60_000)
afterAll(async () => {
  await clusterClient?.quit()
  await cluster?.stop()
})

const setups: [string, () => Store][] = [
  ['MemoryStore', () => new MemoryStore({ maxEntries: 20_000 })],
  ['RedisStore', () => new RedisStore({ redis: redisUrl, commandTimeoutMs: SLOW_MACHINE_MS })],
  ['RedisStore on a three-master Cluster', () => new RedisStore({ redis: clusterClient!, commandTimeoutMs: SLOW_MACHINE_MS })],
]

it.each(setups)('%s: invalidates 10,000 entries of one tag, each once', async (_name, makeStore) => {
  const store = makeStore()
  const ns = uniqueNamespace('inv-10k')
  const index = (name: string) => `${ns}:index:tag:{${name}}`
  const keys = Array.from({ length: 10_000 }, (_, i) => `${ns}:job:many-${i}`)
  for (let i = 0; i < keys.length; i += 200) {
    await Promise.all(keys.slice(i, i + 200).map((key) => store.set(key, entryAt(NOW, 60_000), { createdAt: NOW, ttlMs: 60_000, indexes: [index('big'), index(`own-${key}`)] })))
  }
  const request = (mode: 'stale' | 'purge') => ({ now: NOW + 1000, mode, rememberMs: 60_000 })
  expect(await store.invalidate({ index: index('big') }, request('purge'))).toBe(10_000)
  const sample = await store.getMany([keys[0], keys[4321], keys[9999]])
  expect(sample.map((bytes) => bytes && readHeader(bytes)?.expiresAt)).toEqual([0, 0, 0])
  expect(await store.invalidate({ index: index('big') }, request('stale'))).toBe(0)
  await store.close()
}, 60_000)

const entryAt = (createdAt: number, ttlMs = 60_000): Buffer => encodeEntry({ value: 'v', createdAt, freshUntil: createdAt + 1000, expiresAt: createdAt + ttlMs })

describe('Redis indexes', () => {
  // A Redis of its own: the command counts below are server-wide, and other test files share the suite's Redis.
  let server: RedisServerHandle
  let admin: Redis
  let store: RedisStore
  beforeAll(async () => {
    server = await startRedisServer()
    admin = new Redis(server.url)
    store = new RedisStore({ redis: server.url, commandTimeoutMs: SLOW_MACHINE_MS })
  })
  afterAll(async () => {
    await store.close()
    admin.disconnect()
    await server.stop()
  })

  it('live at least as long as their longest-lived entry, and stamps as long as remembered', async () => {
    const ns = uniqueNamespace('idx-ttl')
    const index = `${ns}:index:tag:{t}`
    await store.set(`${ns}:a`, entryAt(NOW, 90_000), { createdAt: NOW, ttlMs: 90_000, indexes: [index] })
    await store.set(`${ns}:b`, entryAt(NOW, 30_000), { createdAt: NOW, ttlMs: 30_000, indexes: [index] })
    expect(await admin.pttl(index)).toBeGreaterThan(85_000)
    expect(await admin.zcard(index)).toBe(2)
    expect(await admin.exists(stampKeyOf(index))).toBe(0)
    await store.invalidate({ index }, { now: NOW, mode: 'stale', rememberMs: 20_000 })
    const stampTtl = await admin.pttl(stampKeyOf(index))
    expect(stampTtl).toBeGreaterThan(15_000)
    expect(stampTtl).toBeLessThanOrEqual(20_000)
    expect(await admin.hget(stampKeyOf(index), 's')).toBe(String(NOW))
  })

  it('hold compact members, so a small index stays a listpack (about 110 bytes, not 1 KB)', async () => {
    const cache = new Cacheback({ namespace: uniqueNamespace('idx-compact'), store: new RedisStore({ redis: server.url }) })
    const job = cacheback(async (id: number) => id, { name: 'graphql:SomeType.someField', cache, tags: (id) => [`thing:${id}`] })
    await job(7)
    const index = tagIndex(cache.namespace, 'thing:7')
    expect(await admin.object('ENCODING', index)).toBe('listpack')
    const [member] = await admin.zrangeBuffer(index, '0', '-1')
    expect(member.length).toBeLessThanOrEqual(64)
    expect(await cache.invalidate({ tag: 'thing:7' })).toBe(1)
    expect((await job.peek(7)).status).toBe('stale')
    await cache.close()
  })

  it('keep an index and its stamp key in one Cluster slot', () => {
    const index = 'app:index:entity:{3fa2b1}'
    expect(slotOf(stampKeyOf(index))).toBe(slotOf(index))
    expect(slotOf('{app}:index:tag:{x}')).toBe(slotOf('{app}:index:tag:{x}:at'))
    expect(slotOf('123456789')).toBe(12739) // the CRC16 check value of the Redis Cluster spec
  })

  it('invalidate 1,000 entries with one script call per 200 keys and no KEYS or SCAN', async () => {
    const ns = uniqueNamespace('idx-calls')
    const index = `${ns}:index:tag:{t}`
    const keys = Array.from({ length: 1000 }, (_, i) => `${ns}:k${i}`)
    await Promise.all(keys.map((key) => store.set(key, entryAt(NOW), { createdAt: NOW, ttlMs: 60_000, indexes: [index] })))
    await admin.config('RESETSTAT')
    expect(await store.invalidate({ index }, { now: NOW + 1, mode: 'purge', rememberMs: 60_000 })).toBe(1000)
    const calls = await commandStats(admin)
    expect(calls.keys ?? 0).toBe(0)
    expect(calls.scan ?? 0).toBe(0)
    expect(calls.evalsha).toBe(1 + 1000 / 200)
  })
})

describe('MemoryStore indexes', () => {
  it('hold only the entries the store holds (evicted and deleted ones leave)', async () => {
    const store = new MemoryStore({ maxEntries: 100 })
    const write = (key: string) => store.set(key, entryAt(NOW), { createdAt: NOW, ttlMs: 60_000, indexes: ['job', `tag:${key}`] })
    for (let i = 0; i < 500; i++) await write(`k${i}`)
    expect(store.size).toBe(100)
    expect(store.indexSize).toBe(200)
    for (let i = 400; i < 450; i++) await store.delete(`k${i}`)
    expect(store.indexSize).toBe(100)
    expect(await store.invalidate({ index: 'job' }, { now: NOW, mode: 'stale', rememberMs: 1000 })).toBe(50)
  })
})
