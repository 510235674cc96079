/**
 * The two engine setups every engine test runs on:
 * - `memory`: MemoryStore + InProcessRefresher (the embedded default);
 *   "processes" are Cacheback instances sharing one MemoryStore.
 * - `redis`: RedisStore + BeeQueueRefresher on the suite's redis-server, and
 *   a real bee-queue worker running the refreshes.
 */
import type { GraphQLSchema } from 'graphql'
import { inject } from 'vitest'
import { Cacheback, type CachebackOptions, type CachedFunction, InProcessRefresher, MemoryStore } from '../../src/index.js'
import { RedisStore } from '../../src/redis/index.js'
import { BeeQueueRefresher, createRefreshWorker, type RefreshWorker } from '../../src/bee-queue/index.js'
import { type RefreshContextFactory } from '../../src/graphql/index.js'
import { createClock } from './clock.js'
import { EventLog } from './events.js'
import { uniqueNamespace } from './namespace.js'

export type EngineKind = 'memory' | 'redis'
export const ENGINE_KINDS: EngineKind[] = ['memory', 'redis']

/** Makes a job bound to a given cache (one per "process"). */
export type JobFactory = (cache: Cacheback) => CachedFunction<any[], any>

/** Extra worker options: stall detection, concurrency, payload limit, a schema whose cached fields it refreshes, options of the worker's cache. */
export interface WorkerExtras {
  stallInterval?: number
  concurrency?: number
  maxPayloadBytes?: number
  schema?: GraphQLSchema
  context?: RefreshContextFactory
  /** Overrides of the worker's Cacheback options (its `store`, say). */
  cacheOptions?: Partial<CachebackOptions>
}

export interface EngineSetup {
  kind: EngineKind
  namespace: string
  clock: ReturnType<typeof createClock>
  log: EventLog
  /** A new "process": its own Cacheback on the shared store and queue. */
  process(options?: Partial<CachebackOptions>): Cacheback
  /** Starts a refresh worker for the jobs (redis) and resolves with it; no-op for memory (refreshes run in-process). */
  startWorker(factories: JobFactory[], options?: WorkerExtras): Promise<RefreshWorker | undefined>
  /** Waits until `count` refreshes have succeeded anywhere. */
  refreshed(count?: number): Promise<void>
  /** Waits for background work of every process. */
  drain(): Promise<void>
  cleanup(): Promise<void>
}

export function createEngineSetup(kind: EngineKind): EngineSetup {
  const namespace = uniqueNamespace(kind)
  const clock = createClock()
  const log = new EventLog()
  const caches: Cacheback[] = []
  const workers: RefreshWorker[] = []
  const sharedMemory = new MemoryStore()
  const url = kind === 'redis' ? inject('redisUrl') : ''
  const base = { namespace, now: clock.now, onEvent: log.listener }

  const process = (options: Partial<CachebackOptions> = {}): Cacheback => {
    const cache =
      kind === 'memory'
        ? new Cacheback({ ...base, store: sharedMemory, refresher: new InProcessRefresher(), ...options })
        : new Cacheback({ ...base, store: new RedisStore({ redis: url }), refresher: new BeeQueueRefresher({ redis: url, queue: namespace }), ...options })
    caches.push(cache)
    return cache
  }

  return {
    kind,
    namespace,
    clock,
    log,
    process,
    async startWorker(factories, { cacheOptions, ...options } = {}) {
      if (kind === 'memory') return undefined
      const cache = new Cacheback({ ...base, store: new RedisStore({ redis: url }), refresher: new InProcessRefresher(), ...cacheOptions })
      caches.push(cache)
      const worker = createRefreshWorker({ ...options, cache, jobs: factories.map((make) => make(cache)), redis: url, queue: namespace })
      workers.push(worker)
      await worker.ready()
      return worker
    },
    refreshed: (count = 1) => log.waitFor('refresh-succeeded', count),
    async drain() {
      await Promise.all(caches.map((c) => c.drain()))
    },
    async cleanup() {
      await Promise.all(workers.map((w) => w.close(2000)))
      await Promise.all(caches.map((c) => (kind === 'memory' ? c.drain() : c.close())))
    },
  }
}
