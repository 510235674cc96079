import { Cluster, Redis } from 'ioredis'
import { Redis as Redis5 } from 'ioredis5'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest'
import { encodeEntry } from '../src/entry.js'
import { isCachebackError } from '../src/errors.js'
import { MemoryStore } from '../src/stores/memory-store.js'
import { RedisStore } from '../src/redis/redis-store.js'
import { uniqueNamespace } from './helpers/namespace.js'
import { type RedisServerHandle, commandStats, startRedisServer } from './helpers/redis-server.js'
import { type StoreUnderTest, storeConformance } from '../src/testing/index.js'

const redisUrl = inject('redisUrl')
const NOW = 1_700_000_000_000

const entryAt = (createdAt: number, value: unknown = 'v'): Buffer =>
  encodeEntry({ value, createdAt, freshUntil: createdAt + 1000, expiresAt: createdAt + 10_000 })

/** The conformance suite on vitest, for one driver setup. */
const describeStoreConformance = (name: string, makeStore: () => Promise<StoreUnderTest>): void =>
  storeConformance({ name, makeStore, describe, it, beforeEach, afterEach })

describeStoreConformance('MemoryStore', async () => ({ store: new MemoryStore(), cleanup: async () => {} }))

describeStoreConformance('RedisStore (own client)', async () => {
  const store = new RedisStore({ redis: redisUrl })
  return { store, cleanup: () => store.close() }
})

/** A store on a client the test made: closing the store leaves the client open. */
function givenClientSetup(client: Redis | Redis5) {
  const store = new RedisStore({ redis: client }) // both ioredis 6 and 5 clients are accepted by the types
  return {
    store,
    cleanup: async () => {
      await store.close()
      expect(client.status).toBe('ready')
      await client.quit()
    },
  }
}

describeStoreConformance('RedisStore (given client)', async () => givenClientSetup(new Redis(redisUrl)))

// An ioredis 5 client (installed as `ioredis5`): accepted by the types and the runtime alike.
describeStoreConformance('RedisStore (given ioredis 5 client)', async () => givenClientSetup(new Redis5(redisUrl)))

describe('RedisStore options', () => {
  it('refuses a missing redis option with E_INVALID_OPTION instead of connecting to localhost', () => {
    const missing = [undefined, null, '', 6379]
    for (const redis of missing) {
      expect(() => new RedisStore({ redis } as never), String(redis)).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION', message: expect.stringMatching(/^RedisStore: option "redis" is required/) }))
    }
    expect(() => new (RedisStore as new () => RedisStore)()).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION', message: expect.stringContaining('RedisStore') }))
  })

  it('refuses a non-positive commandTimeoutMs', () => {
    expect(() => new RedisStore({ redis: redisUrl, commandTimeoutMs: 0 })).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION', message: expect.stringContaining('commandTimeoutMs') }))
  })
})

let clusterServer: Promise<RedisServerHandle> | undefined
const clusterNode = (): Promise<RedisServerHandle> => (clusterServer ??= startRedisServer({ cluster: true }))
afterAll(async () => {
  if (clusterServer) await (await clusterServer).stop()
})

describeStoreConformance('RedisStore (Cluster client)', async () => {
  const node = await clusterNode()
  const cluster = new Cluster([{ host: node.host, port: node.port }])
  const store = new RedisStore({ redis: cluster })
  return {
    store,
    cleanup: async () => {
      await store.close()
      await cluster.quit()
    },
  }
})

describe('MemoryStore bounds', () => {
  const write = (store: MemoryStore, key: string, size = 10): Promise<boolean> =>
    store.set(key, entryAt(NOW, 'x'.repeat(size)), { createdAt: NOW, ttlMs: 60_000 })

  it('evicts the least recently used entry beyond maxEntries', async () => {
    const store = new MemoryStore({ maxEntries: 2 })
    await write(store, 'a')
    await write(store, 'b')
    await store.get('a')
    await write(store, 'c')
    expect(store.size).toBe(2)
    expect(await store.get('b')).toBeUndefined()
    expect(await store.get('a')).toBeDefined()
  })

  it('keeps the total under maxBytes and refuses a single entry above it', async () => {
    const store = new MemoryStore({ maxBytes: 500 })
    for (let i = 0; i < 10; i++) await write(store, `k${i}`, 100)
    expect(store.bytes).toBeLessThanOrEqual(500)
    expect(await store.get('k9')).toBeDefined()
    expect(await store.get('k0')).toBeUndefined()
    expect(await write(store, 'huge', 1000)).toBe(false)
    expect(await store.get('huge')).toBeUndefined()
  })

  it('rejects invalid bounds', () => {
    expect(() => new MemoryStore({ maxEntries: 0 })).toThrow(/maxEntries/)
    expect(() => new MemoryStore({ maxBytes: -1 })).toThrow(/maxBytes/)
  })
})

describe('RedisStore on a dedicated server', () => {
  let server: RedisServerHandle
  let admin: Redis
  let store: RedisStore

  beforeAll(async () => {
    server = await startRedisServer()
    admin = new Redis(server.url)
    store = new RedisStore({ redis: server.url })
  })
  afterAll(async () => {
    await store?.close()
    await admin?.quit()
    await server?.stop()
  })

  const commandCalls = () => commandStats(admin)

  it('reads 100 keys with one MGET command', async () => {
    const keys = Array.from({ length: 100 }, (_, i) => `${uniqueNamespace('many')}:${i}`)
    for (const key of keys.slice(0, 50)) await store.set(key, entryAt(NOW, key), { createdAt: NOW, ttlMs: 60_000 })
    await admin.config('RESETSTAT')
    const values = await store.getMany(keys)
    const calls = await commandCalls()
    expect(values.filter(Boolean)).toHaveLength(50)
    const byStore = Object.fromEntries(Object.entries(calls).filter(([name]) => !/^(info|config)\b/.test(name)))
    expect(byStore).toEqual({ mget: 1 })
  })

  it('sets PX on entries and locks, and keeps the PTTL when marking stale', async () => {
    const key = uniqueNamespace('px')
    await store.set(key, entryAt(NOW), { createdAt: NOW, ttlMs: 30_000.4 })
    const pttl = await admin.pttl(key)
    expect(pttl).toBeGreaterThan(25_000)
    expect(pttl).toBeLessThanOrEqual(30_001)
    expect(await store.expire(key, NOW)).toBe(true)
    expect(await admin.pttl(key)).toBeGreaterThan(25_000)
    await store.acquireLock(`${key}:refresh`, { now: NOW, until: NOW + 60_000, token: 't', ttlMs: 90_000 })
    expect(await admin.pttl(`${key}:refresh`)).toBeGreaterThan(85_000)
    expect(await admin.get(`${key}:refresh`)).toBe(`${NOW + 60_000}::t`) // "<until>:<covers>:<token>", covering no entry
  })

  it('closes the client it created, and only that one', async () => {
    const own = new RedisStore({ redis: { host: server.host, port: server.port } })
    await own.get(uniqueNamespace('close'))
    await own.close()
    expect(own.client.status).toBe('end')
    await expect(own.get('x')).rejects.toMatchObject({ code: 'E_STORE_UNAVAILABLE', key: 'x' })
  })

  it('rejects a non-positive ttl with E_INVALID_OPTION', async () => {
    await expect(store.set('k', entryAt(NOW), { createdAt: NOW, ttlMs: 0 })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' })
    await expect(new MemoryStore().set('k', entryAt(NOW), { createdAt: NOW, ttlMs: Number.NaN })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' })
  })

  it('reloads its scripts after SCRIPT FLUSH (NOSCRIPT fallback)', async () => {
    const key = uniqueNamespace('flush')
    expect(await store.set(key, entryAt(NOW), { createdAt: NOW, ttlMs: 60_000 })).toBe(true)
    await admin.script('FLUSH')
    expect(await store.set(key, entryAt(NOW - 1), { createdAt: NOW - 1, ttlMs: 60_000 })).toBe(false)
    expect(await store.set(key, entryAt(NOW + 1), { createdAt: NOW + 1, ttlMs: 60_000 })).toBe(true)
  })
})

describe('RedisStore while Redis is down', () => {
  let server: RedisServerHandle

  beforeAll(async () => {
    server = await startRedisServer()
  })
  afterAll(async () => {
    await server?.stop()
  })

  const expectStoreFailure = async (call: Promise<unknown>, key: string): Promise<void> => {
    const error = await call.then(() => undefined, (e: unknown) => e)
    expect(isCachebackError(error, 'E_STORE_UNAVAILABLE') || isCachebackError(error, 'E_STORE_TIMEOUT'), String(error)).toBe(true)
    expect(error).toMatchObject({ key })
  }

  it('rejects with a store error code, then works again after a restart', async () => {
    const store = new RedisStore({ redis: server.url, commandTimeoutMs: 200 })
    const key = uniqueNamespace('down')
    try {
      expect(await store.set(key, entryAt(NOW), { createdAt: NOW, ttlMs: 60_000 })).toBe(true)
      await server.stop()
      await expectStoreFailure(store.get(key), key)
      await expectStoreFailure(store.getMany([key, `${key}:2`]), key)
      await expectStoreFailure(store.set(key, entryAt(NOW), { createdAt: NOW, ttlMs: 60_000 }), key)
      await expectStoreFailure(store.expire(key, NOW), key)
      await expectStoreFailure(store.acquireLock(`${key}:refresh`, { now: NOW, until: NOW + 1, token: 't', ttlMs: 1000 }), `${key}:refresh`)
      await server.restart()
      await vi.waitFor(() => expect(store.get(key)).resolves.toBeUndefined(), { timeout: 10_000, interval: 50 })
      expect(await store.set(key, entryAt(NOW), { createdAt: NOW, ttlMs: 60_000 })).toBe(true)
    } finally {
      await store.close()
    }
  })

  it('bounds calls on a given client with an offline queue by commandTimeoutMs', async () => {
    const client = new Redis(server.url)
    client.on('error', () => {})
    const store = new RedisStore({ redis: client, commandTimeoutMs: 100 })
    const key = uniqueNamespace('queued')
    try {
      await store.delete(key)
      await server.kill()
      const error = await store.get(key).catch((e: unknown) => e)
      expect(isCachebackError(error, 'E_STORE_TIMEOUT'), String(error)).toBe(true)
      await server.restart()
    } finally {
      await store.close()
      client.disconnect()
    }
  })
})
