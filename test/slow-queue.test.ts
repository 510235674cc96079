/**
 * A slow queue does not double a refresh. When enqueueing takes longer than
 * `dispatchTimeoutMs`, the dispatching read stops waiting and the refresh
 * runs in-process; the enqueue still lands afterwards, and the real
 * bee-queue worker that takes it finds the refresh claimed by the fallback
 * and skips it: one stale key, one upstream call. The queue runs on its own
 * redis-server, paused (`CLIENT PAUSE`) for longer than the dispatch
 * timeout; the store is the suite's Redis. Latencies printed, not asserted.
 */
import { performance } from 'node:perf_hooks'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, expect, inject, it } from 'vitest'
import { Cacheback, InProcessRefresher, cacheback } from '../src/index.js'
import { RedisStore } from '../src/redis/index.js'
import { BeeQueueRefresher, type RefreshWorker, createRefreshWorker } from '../src/bee-queue/index.js'
import { createClock } from './helpers/clock.js'
import { EventLog, deferred } from './helpers/events.js'
import { uniqueNamespace } from './helpers/namespace.js'
import { type RedisServerHandle, startRedisServer } from './helpers/redis-server.js'

const DISPATCH_TIMEOUT_MS = 200
const PAUSE_MS = 2000
const READERS = 2
const READS_PER_READER = 20

let queueServer: RedisServerHandle
let queueAdmin: Redis
beforeAll(async () => {
  queueServer = await startRedisServer()
  queueAdmin = new Redis(queueServer.url)
})
afterAll(async () => {
  queueAdmin.disconnect()
  await queueServer.stop()
})

const closing: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close()
})

it('one stale key, one upstream call, when the enqueue lands after the dispatch timeout', async () => {
  const namespace = uniqueNamespace('slow-queue')
  const clock = createClock()
  const log = new EventLog()
  const calls = new Map<string, number>()
  const refreshGate = deferred() // holds ann's refresh until every stale read has answered
  const make = (cache: Cacheback) =>
    cacheback(
      async (user: string) => {
        const n = (calls.get(user) ?? 0) + 1
        calls.set(user, n)
        if (user === 'ann' && n === 2) await refreshGate.promise
        return `${user}@${n}`
      },
      { name: 'tweets', lifetime: 10, cache },
    )
  const storeUrl = inject('redisUrl')
  const caches = Array.from({ length: READERS }, () => {
    const refresher = new BeeQueueRefresher({ redis: queueServer.url, queue: namespace, dispatchTimeoutMs: DISPATCH_TIMEOUT_MS })
    const cache = new Cacheback({ namespace, now: clock.now, onEvent: log.listener, store: new RedisStore({ redis: storeUrl }), refresher })
    closing.push(() => cache.close())
    return cache
  })
  const readers = caches.map(make)
  const workerCache = new Cacheback({ namespace, now: clock.now, onEvent: log.listener, store: new RedisStore({ redis: storeUrl }), refresher: new InProcessRefresher() })
  closing.push(() => workerCache.close())
  const worker: RefreshWorker = createRefreshWorker({ cache: workerCache, jobs: [make(workerCache)], redis: queueServer.url, queue: namespace })
  closing.push(() => worker.close(2000))
  await worker.ready()

  // Warm up: both readers' queues connected, one refresh through the worker.
  for (const [i, read] of readers.entries()) await read(`warm${i}`)
  clock.advance(11)
  for (const [i, read] of readers.entries()) expect(await read.read(`warm${i}`)).toMatchObject({ refresh: 'dispatched' })
  await log.waitFor('refresh-succeeded', READERS)

  await readers[0]('ann')
  clock.advance(11)
  const annKey = readers[0].job.keyFor('ann')
  let lateJobSeen = false
  const lateJobDone = new Promise<void>((resolve) => {
    worker.queue.on('succeeded', (job: { data?: { key?: string } }) => {
      if (job.data?.key !== annKey) return
      lateJobSeen = true
      resolve()
    })
  })
  await queueAdmin.call('CLIENT', 'PAUSE', String(PAUSE_MS), 'ALL')
  const timed = Array.from({ length: READERS * READS_PER_READER }, async (_, i) => {
    const started = performance.now()
    const read = await readers[i % READERS].read('ann')
    return { read, ms: performance.now() - started }
  })
  const results = await Promise.all(timed)
  expect(lateJobSeen).toBe(false) // every stale read answered before the queue took the job
  expect(results.every(({ read }) => read.status === 'stale' && read.value === 'ann@1')).toBe(true)
  expect(results.filter(({ read }) => read.refresh === 'dispatched')).toHaveLength(1)
  expect(log.of('refresh-dispatched').filter((e) => e.key === annKey).map((e) => e.via)).toEqual(['in-process'])
  refreshGate.resolve()

  await lateJobDone // the enqueue landed once the pause ended, and the worker took the job
  await Promise.all([workerCache, ...caches].map((cache) => cache.drain())) // the in-process refresh has ended
  expect(calls.get('ann')).toBe(2) // the first fetch and one refresh, not two
  expect(log.of('refresh-succeeded').filter((e) => e.key === annKey)).toHaveLength(1)
  expect(log.of('refresh-dispatched').filter((e) => e.via === 'bee-queue')).toHaveLength(READERS) // the warm-ups went through the queue
  expect(await readers[1].read('ann')).toMatchObject({ status: 'hit', value: 'ann@2' })
  const slowest = Math.max(...results.map(({ ms }) => ms))
  console.log(`[reliability] queue paused ${PAUSE_MS} ms, dispatchTimeoutMs ${DISPATCH_TIMEOUT_MS}: ${results.length} stale reads from ${READERS} processes, slowest ${slowest.toFixed(0)} ms; upstream calls for the key: ${calls.get('ann')! - 1} refresh`)
})
