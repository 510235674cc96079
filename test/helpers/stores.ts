/**
 * The three store setups invalidation tests run on: the memory store (the
 * embedded default), a standalone Redis (the suite's) and a three-master
 * Redis Cluster (started once per test file, on first use). "Processes" are
 * Cacheback instances sharing the store; refreshes run in-process.
 */
import { Cluster } from 'ioredis'
import { afterAll, inject } from 'vitest'
import { Cacheback, type CachebackOptions, InProcessRefresher, MemoryStore } from '../../src/index.js'
import { RedisStore } from '../../src/redis/index.js'
import { createClock } from './clock.js'
import { EventLog } from './events.js'
import { uniqueNamespace } from './namespace.js'
import { type RedisClusterHandle, startRedisCluster } from './redis-server.js'

export type StoreKind = 'memory' | 'redis' | 'cluster'
export const STORE_KINDS: StoreKind[] = ['memory', 'redis', 'cluster']

/** Command timeout of the Redis stores: bursts of thousands of writes may take seconds on a shared machine. */
const COMMAND_TIMEOUT_MS = 10_000

let cluster: Promise<{ handle: RedisClusterHandle; client: Cluster }> | undefined
afterAll(async () => {
  if (!cluster) return
  const { handle, client } = await cluster
  await client.quit()
  await handle.stop()
})

function clusterClient(): Promise<Cluster> {
  cluster ??= startRedisCluster().then((handle) => ({ handle, client: new Cluster(handle.startupNodes) }))
  return cluster.then(({ client }) => client)
}

/** One store setup: its clock, events, and "processes" sharing one store. */
export interface StoreSetup {
  kind: StoreKind
  namespace: string
  clock: ReturnType<typeof createClock>
  log: EventLog
  /** A new "process": its own Cacheback on the shared store. */
  process(options?: Partial<CachebackOptions>): Cacheback
  drain(): Promise<void>
  cleanup(): Promise<void>
}

export async function createStoreSetup(kind: StoreKind): Promise<StoreSetup> {
  const namespace = uniqueNamespace(`inv-${kind}`)
  const clock = createClock()
  const log = new EventLog()
  const caches: Cacheback[] = []
  const memory = new MemoryStore({ maxEntries: 50_000 })
  const client = kind === 'cluster' ? await clusterClient() : undefined
  const storeOf = () =>
    kind === 'memory' ? memory : new RedisStore({ redis: client ?? inject('redisUrl'), commandTimeoutMs: COMMAND_TIMEOUT_MS })
  return {
    kind,
    namespace,
    clock,
    log,
    process(options = {}) {
      const cache = new Cacheback({ namespace, now: clock.now, onEvent: log.listener, store: storeOf(), refresher: new InProcessRefresher(), ...options })
      caches.push(cache)
      return cache
    },
    async drain() {
      await Promise.all(caches.map((c) => c.drain()))
    },
    async cleanup() {
      await Promise.all(caches.map((c) => c.close()))
    },
  }
}
