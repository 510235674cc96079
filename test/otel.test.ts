/**
 * `cachebackMetrics` with the OpenTelemetry SDK's metric reader: after a known
 * sequence of misses, hits, stales, refreshes (a real bee-queue worker, and
 * in-process), failures, a store error and an invalidation, every instrument
 * holds exactly the expected values; durations follow the injected clock.
 */
import Queue from 'bee-queue'
import { Redis } from 'ioredis'
import { type DataPoint, type Histogram, MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics'
import { afterEach, beforeEach, expect, inject, it } from 'vitest'
import { Cacheback, cacheback } from '../src/index.js'
import { invalidatedEvent } from '../src/events.js'
import { RedisStore } from '../src/redis/index.js'
import { BeeQueueRefresher, type RefreshWorker, createRefreshWorker } from '../src/bee-queue/index.js'
import { cachebackMetrics } from '../src/otel/index.js'
import { createClock } from './helpers/clock.js'
import { EventLog } from './helpers/events.js'
import { uniqueNamespace } from './helpers/namespace.js'
import { createServer, createUpstream, run } from './helpers/graphql.js'

/** A reader whose collect() the test calls. */
class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

type Point = DataPoint<number | Histogram>

function pointsOf(collected: ResourceMetrics, name: string): Point[] {
  const metric = collected.scopeMetrics.flatMap((scope) => scope.metrics).find((m) => m.descriptor.name === name)
  return (metric?.dataPoints ?? []) as Point[]
}

/** Points of one instrument as `attributes -> value` (histograms: count and sum). */
function valuesOf(collected: ResourceMetrics, name: string): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const point of pointsOf(collected, name)) {
    const attributes = Object.entries(point.attributes).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${String(v)}`).join(',')
    out[attributes] = typeof point.value === 'number' ? point.value : { count: point.value.count, sum: Number((point.value.sum ?? 0).toFixed(6)) }
  }
  return out
}

const url = inject('redisUrl')
const clock = createClock()
let namespace: string
let log: EventLog
let reader: TestReader
let provider: MeterProvider
const closers: (() => Promise<unknown>)[] = []

beforeEach(() => {
  namespace = uniqueNamespace('otel')
  log = new EventLog()
  reader = new TestReader()
  provider = new MeterProvider({ readers: [reader] })
})
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
  await provider.shutdown()
})

function redisCache(refresher: 'bee-queue' | 'in-process'): Cacheback {
  const cache = new Cacheback({
    store: new RedisStore({ redis: url }),
    refresher: refresher === 'bee-queue' ? new BeeQueueRefresher({ redis: url, queue: namespace }) : undefined,
    namespace,
    now: clock.now,
    onEvent: log.listener,
  })
  closers.push(() => cache.close())
  return cache
}

/** The test's jobs on a cache: each fetch takes 250 ms on the injected clock; `flaky` fails while `state.failing`, and starts once `state.flakyAfter` has resolved. */
function jobs(cache: Cacheback, state: { version: number; failing: boolean; flakyAfter?: Promise<unknown> }) {
  const slow = <T>(value: () => T) => {
    clock.advance(0.25)
    if (state.failing) throw new Error('upstream is down')
    return value()
  }
  return {
    tweets: cacheback(async (user: string) => slow(() => `${user}@${state.version}`), { name: 'tweets', lifetime: 10, cache }),
    flaky: cacheback(
      async (user: string) => {
        await state.flakyAfter
        return slow(() => `${user}@${state.version}`)
      },
      { name: 'flaky', lifetime: 10, cache },
    ),
  }
}

it('records reads, fetches, refreshes, store errors, invalidations and queue jobs with bounded attributes', async () => {
  const meter = provider.getMeter('test')
  const state: { version: number; failing: boolean; flakyAfter?: Promise<unknown> } = { version: 1, failing: false }
  const server = redisCache('bee-queue')
  const serverMetrics = cachebackMetrics({ cache: server, meter })
  const { tweets, flaky } = jobs(server, state)

  await tweets('ann') // miss, fetch 0.25 s
  await tweets('ann') // hit
  await tweets('ann') // hit
  await flaky('ann') // miss, fetch 0.25 s
  clock.advance(11)

  // Two stale reads dispatched before any worker runs: the queue holds them.
  expect(await tweets.read('ann')).toMatchObject({ status: 'stale', refresh: 'dispatched' })
  expect(await flaky.read('ann')).toMatchObject({ status: 'stale', refresh: 'dispatched' })
  const health = new Queue(namespace, { redis: { url }, isWorker: false, getEvents: false, sendEvents: false })
  closers.push(() => health.close())
  const workerCache = redisCache('in-process')
  const workerMetrics = cachebackMetrics({ cache: workerCache, meter, queue: health })
  const waiting = await reader.collect()
  expect(valuesOf(waiting.resourceMetrics, 'cacheback.queue.jobs')).toEqual({ 'state=waiting': 2, 'state=active': 0, 'state=failed': 0 })

  // The worker refreshes tweets (succeeds) and flaky (fails): one after the other.
  const workerJobs = jobs(workerCache, state)
  state.version = 2
  const failFlaky = workerCache.addListener((event) => {
    if (event.type === 'refresh-succeeded') state.failing = true // the second refresh fails
  })
  // A worker slot is freed once its fetch returns: flaky's fetch waits for tweets' write, so each refresh takes its own 250 ms on the shared clock.
  state.flakyAfter = log.waitFor('refresh-succeeded')
  const worker: RefreshWorker = createRefreshWorker({ cache: workerCache, jobs: [workerJobs.tweets, workerJobs.flaky], redis: url, queue: namespace, concurrency: 1 })
  closers.push(() => worker.close(2000))
  await worker.ready()
  await log.waitFor('refresh-succeeded')
  await log.waitFor('refresh-failed')
  failFlaky()
  state.failing = false
  state.flakyAfter = undefined

  // A GraphQL field: name is its coordinate.
  const upstream = createUpstream()
  const { server: apollo } = await createServer(server, upstream)
  closers.push(() => apollo.stop())
  await run(apollo, '{ search(q: "otel") }') // miss of Query.search (its fetch does not move the clock)

  // A foreign value at a job's key: a store error (E_CORRUPT_ENTRY), read as a miss and refetched.
  const raw = new Redis(url)
  closers.push(() => raw.quit())
  await raw.hset(tweets.job.keyFor('bob'), 'foreign', '1')
  await tweets('bob')

  // In-process refresh in another cache.
  const local = redisCache('in-process')
  cachebackMetrics({ cache: local, meter })
  const localJobs = jobs(local, state)
  await localJobs.tweets('cat')
  clock.advance(11)
  expect(await localJobs.tweets.read('cat')).toMatchObject({ status: 'stale' })
  await local.drain()

  server.emit(invalidatedEvent({ kind: 'tag', mode: 'stale', count: 3, invalidateMs: 0 })) // what cache.invalidate({ tag }) reports
  server.emit(invalidatedEvent({ kind: 'entity', mode: 'purge', count: 0, invalidateMs: 0 }))

  const { resourceMetrics } = await reader.collect()
  expect(valuesOf(resourceMetrics, 'cacheback.reads')).toEqual({
    'name=tweets,outcome=miss': 3, // ann, bob (after the store error), cat
    'name=tweets,outcome=hit,tier=store': 2,
    'name=tweets,outcome=stale': 2, // ann (server), cat (local)
    'name=flaky,outcome=miss': 1,
    'name=flaky,outcome=stale': 1,
    'name=Query.search,outcome=miss': 1,
  })
  expect(valuesOf(resourceMetrics, 'cacheback.refreshes')).toEqual({
    'result=succeeded,via=bee-queue': 1,
    'result=failed,via=bee-queue': 1,
    'result=succeeded,via=in-process': 1,
  })
  expect(valuesOf(resourceMetrics, 'cacheback.fetch.duration')).toEqual({
    'name=tweets,result=succeeded': { count: 5, sum: 1.25 }, // ann, ann (refresh), bob, cat, cat (refresh)
    'name=flaky,result=succeeded': { count: 1, sum: 0.25 },
    'name=flaky,result=failed': { count: 1, sum: 0.25 },
    'name=Query.search,result=succeeded': { count: 1, sum: 0 },
  })
  expect(valuesOf(resourceMetrics, 'cacheback.refresh.duration')).toEqual({
    'name=tweets,result=succeeded': { count: 2, sum: 0.5 },
    'name=flaky,result=failed': { count: 1, sum: 0.25 },
  })
  expect(valuesOf(resourceMetrics, 'cacheback.store.errors')).toEqual({ 'code=E_CORRUPT_ENTRY': 1 })
  expect(valuesOf(resourceMetrics, 'cacheback.invalidations')).toEqual({ 'kind=tag': 1, 'kind=entity': 1 })
  expect(valuesOf(resourceMetrics, 'cacheback.queue.jobs')).toEqual({ 'state=waiting': 0, 'state=active': 0, 'state=failed': 0 })
  const keys = JSON.stringify(resourceMetrics.scopeMetrics.flatMap((s) => s.metrics.flatMap((m) => m.dataPoints.map((p) => p.attributes))))
  expect(keys).not.toContain(namespace) // no key in any attribute
  expect(keys).not.toContain('ann')

  // stop() removes the listener: later reads are not counted.
  serverMetrics.stop()
  workerMetrics.close()
  await tweets('ann')
  const after = await reader.collect()
  expect(valuesOf(after.resourceMetrics, 'cacheback.reads')['name=tweets,outcome=hit,tier=store']).toBe(2)
})

it('uses the global meter provider without a meter', async () => {
  const { metrics } = await import('@opentelemetry/api')
  expect(metrics.setGlobalMeterProvider(provider)).toBe(true)
  try {
    const cache = new Cacheback({ namespace, now: clock.now, l1: { maxEntries: 10 } })
    const recording = cachebackMetrics({ cache })
    const fn = cacheback(async (n: number) => n, { name: 'plain', cache })
    await fn(1)
    await fn(1) // from the store, admitted to the in-process tier
    await fn(1) // from the tier
    await cache.close()
    const { resourceMetrics } = await reader.collect()
    expect(valuesOf(resourceMetrics, 'cacheback.reads')).toEqual({ 'name=plain,outcome=miss': 1, 'name=plain,outcome=hit,tier=store': 1, 'name=plain,outcome=hit,tier=l1': 1 })
    recording.stop()
  } finally {
    metrics.disable()
  }
})
