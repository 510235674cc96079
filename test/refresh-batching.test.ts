/**
 * Batching on the refresh path, on a redis-server of this file's own (so
 * `INFO commandstats` counts only these calls): the refresh locks, claims and
 * end-of-refresh writes a standalone `RedisStore` is asked for in one tick go
 * out as one script call each, every call keeping its own answer; the
 * `BeeQueueRefresher` adds the jobs of one tick with one script call, in
 * bee-queue's job format; and a real worker takes jobs ahead, claims them as
 * it takes them, and gives those it has not started back to the queue when it
 * closes.
 */
import Queue from 'bee-queue'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Cacheback, cacheback } from '../src/index.js'
import { RedisStore } from '../src/redis/index.js'
import { BeeQueueRefresher, createRefreshWorker } from '../src/bee-queue/index.js'
import { encodePayload } from '../src/bee-queue/payload.js'
import { decodeEntry, encodeEntry } from '../src/entry.js'
import { jobIdOf, lockKeyOf } from '../src/keys.js'
import { deferred } from './helpers/events.js'
import { uniqueNamespace } from './helpers/namespace.js'
import { type RedisServerHandle, commandStats, startRedisServer } from './helpers/redis-server.js'

let server: RedisServerHandle
let admin: Redis

beforeAll(async () => {
  server = await startRedisServer()
  admin = new Redis(server.url)
})
afterAll(async () => {
  admin.disconnect()
  await server.stop()
})

async function countCalls(run: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = await commandStats(admin)
  await run()
  const after = await commandStats(admin)
  const delta: Record<string, number> = {}
  for (const [name, n] of Object.entries(after)) if (name !== 'info' && n !== (before[name] ?? 0)) delta[name] = n - (before[name] ?? 0)
  return delta
}

const entry = (value: string, createdAt: number) => encodeEntry({ value, createdAt, freshUntil: createdAt + 10_000, expiresAt: createdAt + 60_000 })

describe('RedisStore batches the refresh calls of one tick (standalone)', () => {
  it('takes the refresh locks of one tick with one script call, each with its own answer', async () => {
    const store = new RedisStore({ redis: server.url })
    const ns = uniqueNamespace('batch-lock')
    const now = 1_000_000
    const lock = (key: string, token: string) => ({ now, until: now + 30_000, token, ttlMs: 61_000 })
    await store.acquireLock(`${ns}:held`, lock(`${ns}:held`, 'other'))
    await store.acquireLock(`${ns}:failed`, lock(`${ns}:failed`, 'gone'))
    await store.markLockFailed(`${ns}:failed`, 'gone')
    let results: string[] = []
    const calls = await countCalls(async () => {
      results = await Promise.all(['a', 'b', 'held', 'c', 'failed'].map((name) => store.acquireLock(`${ns}:${name}`, lock(`${ns}:${name}`, `t-${name}`))))
    })
    expect(results).toEqual(['acquired', 'acquired', 'held', 'acquired', 'failed'])
    expect(calls.evalsha).toBe(1)
    expect(await admin.get(`${ns}:a`)).toBe(`${now + 30_000}::t-a`)
    expect(await admin.get(`${ns}:held`)).toBe(`${now + 30_000}::other`)
    await store.close()
  })

  it('claims the refreshes of one tick with one script call; a token claimed by the other path stays its own', async () => {
    const store = new RedisStore({ redis: server.url })
    const ns = uniqueNamespace('batch-claim')
    await store.claimRefresh(`${ns}:taken`, { token: 'x', via: 'in-process', ttlMs: 60_000 })
    let results: boolean[] = []
    const calls = await countCalls(async () => {
      results = await Promise.all([
        store.claimRefresh(`${ns}:one`, { token: 'p', via: 'queue', ttlMs: 60_000 }),
        store.claimRefresh(`${ns}:taken`, { token: 'x', via: 'queue', ttlMs: 60_000 }),
        store.claimRefresh(`${ns}:two`, { token: 'q', via: 'queue', ttlMs: 60_000 }),
        store.claimRefresh(`${ns}:one`, { token: 'p', via: 'in-process', ttlMs: 60_000 }), // after the queue's claim in the same call
      ])
    })
    expect(results).toEqual([true, false, true, false])
    expect(calls.evalsha).toBe(1)
    await store.close()
  })

  it('writes and hands over the locks of the refreshes ending in one tick with one script call, newest wins per key', async () => {
    const store = new RedisStore({ redis: server.url })
    const ns = uniqueNamespace('batch-set')
    const key = (name: string) => `${ns}:${name}`
    await store.set(key('newer'), entry('stored-later', 5_000), { createdAt: 5_000, ttlMs: 60_000 })
    for (const name of ['a', 'newer', 'b']) await store.acquireLock(lockKeyOf(key(name)), { now: 0, until: 30_000, token: `t-${name}`, ttlMs: 61_000 })
    const end = (name: string, value: string, createdAt: number, hold?: number) =>
      store.setAndReleaseLock(key(name), entry(value, createdAt), { createdAt, ttlMs: 60_000 }, { lockKey: lockKeyOf(key(name)), token: `t-${name}`, hold: hold === undefined ? undefined : { until: hold, ttlMs: 50_000 } })
    let written: boolean[] = []
    const calls = await countCalls(async () => {
      written = await Promise.all([end('a', 'a1', 1_000, 20_000), end('newer', 'older', 2_000), end('b', 'b1', 3_000), end('b', 'b0', 2_500)])
    })
    expect(written).toEqual([true, false, true, false]) // b0 came after b1 in the same call and is older
    expect(calls.evalsha).toBe(1)
    const read = async (name: string) => decodeEntry<string>((await store.get(key(name)))!, key(name)).value
    expect([await read('a'), await read('newer'), await read('b')]).toEqual(['a1', 'stored-later', 'b1'])
    expect(await admin.get(lockKeyOf(key('a')))).toBe('20000::t-a') // held until the new value goes stale
    expect(await admin.exists(lockKeyOf(key('newer')), lockKeyOf(key('b')))).toBe(0) // released, also after a refused write
    await store.close()
  })

  it('rejects every call of a batch whose script call fails, with the coded store error', async () => {
    const store = new RedisStore({ redis: 'redis://127.0.0.1:1', commandTimeoutMs: 200 })
    const settled = await Promise.allSettled(['a', 'b', 'c'].map((name) => store.acquireLock(`dead:${name}`, { now: 0, until: 1, token: name, ttlMs: 1000 })))
    for (const result of settled) {
      expect(result.status).toBe('rejected')
      expect((result as PromiseRejectedResult).reason).toMatchObject({ code: expect.stringMatching(/^E_STORE_(UNAVAILABLE|TIMEOUT)$/), key: 'dead:a' })
    }
    await store.close()
  })
})

describe('BeeQueueRefresher and the worker', () => {
  it('adds the jobs dispatched in one tick with one script call, as bee-queue jobs', async () => {
    const queueName = uniqueNamespace('batch-queue')
    const refresher = new BeeQueueRefresher({ redis: server.url, queue: queueName, prefix: 'bqt' })
    const requests = Array.from({ length: 20 }, (_, i) => ({ job: 'tweets', key: `${queueName}:tweets:${i}`, args: [i], token: `token-${i}`, timeoutMs: 30_000.5 }))
    await refresher.dispatch(requests[0]) // connects the queue
    const calls = await countCalls(() => Promise.all([...requests.slice(1), requests[3]].map((request) => refresher.dispatch(request))))
    expect(calls).toMatchObject({ evalsha: 1, hsetnx: 20, lpush: 1 }) // 19 new, and request 3 again: already queued, left alone
    const queue = new Queue(queueName, { redis: { url: server.url }, prefix: 'bqt', isWorker: false, getEvents: false })
    expect(await queue.checkHealth()).toMatchObject({ waiting: 20, active: 0 })
    const job = await queue.getJob(jobIdOf(requests[7].key))
    expect(job.data).toEqual(encodePayload(requests[7], Number.POSITIVE_INFINITY))
    expect(job.options).toMatchObject({ timeout: 30_001, stacktraces: [] })
    expect(typeof job.options.timestamp).toBe('number')
    expect(job.status).toBe('created')
    await queue.close()
    await refresher.close()
  })

  it('refreshes stale keys read in one tick with a few batched calls, one refresh-succeeded per key', async () => {
    const namespace = uniqueNamespace('batch-worker')
    const queue = { redis: server.url, queue: namespace, prefix: 'bqt' }
    const reader = new Cacheback({ namespace, store: new RedisStore({ redis: server.url }), refresher: new BeeQueueRefresher(queue) })
    const succeeded: string[] = []
    const workerCache = new Cacheback({ namespace, store: new RedisStore({ redis: server.url }), onEvent: (event) => void (event.type === 'refresh-succeeded' && succeeded.push(event.key)) })
    let version = 1
    const make = (cache: Cacheback) => cacheback(async (id: number) => `${id}@${version}`, { name: 'item', lifetime: 60, cache })
    const read = make(reader)
    const ids = Array.from({ length: 40 }, (_, i) => i)
    for (const id of ids) await read.set([id], `${id}@1`)
    for (const id of ids) await read.invalidate(id)
    version = 2
    const worker = createRefreshWorker({ cache: workerCache, jobs: [make(workerCache)], ...queue, concurrency: 16 })
    await worker.ready()
    const done = new Promise<void>((resolve) => worker.queue.on('succeeded', () => succeeded.length === ids.length && resolve()))
    const calls = await countCalls(async () => {
      const outcomes = await Promise.all(ids.map((id) => read.read(id)))
      expect(outcomes.every((outcome) => outcome.status === 'stale' && outcome.refresh === 'dispatched')).toBe(true)
      await done
    })
    expect(new Set(succeeded)).toEqual(new Set(ids.map((id) => read.job.keyFor(id))))
    expect(succeeded).toHaveLength(ids.length)
    // Per key one by one this would be 40 lock, 40 enqueue, 40 claim and 40 write scripts.
    expect(calls.evalsha).toBeLessThan(40)
    for (const id of ids) expect(await read.read(id)).toMatchObject({ status: 'hit', value: `${id}@2` })
    await worker.close()
    await reader.close()
    await workerCache.close()
  })

  it('claims the jobs it takes ahead as it takes them, and gives those it never started back to the queue when it closes', async () => {
    const namespace = uniqueNamespace('batch-ahead')
    const queue = { redis: server.url, queue: namespace, prefix: 'bqt' }
    const reader = new Cacheback({ namespace, store: new RedisStore({ redis: server.url }), refresher: new BeeQueueRefresher(queue) })
    const workerCache = new Cacheback({ namespace, store: new RedisStore({ redis: server.url }) })
    const held = deferred()
    const started: number[] = []
    const make = (cache: Cacheback) =>
      cacheback(
        async (id: number) => {
          if (cache === workerCache) {
            started.push(id)
            await held.promise
          }
          return `${id}`
        },
        { name: 'slow', lifetime: 60, cache },
      )
    const read = make(reader)
    for (const id of [1, 2, 3, 4]) await read.set([id], `${id}`)
    for (const id of [1, 2, 3, 4]) await read.invalidate(id)
    for (const id of [1, 2, 3, 4]) expect(await read.read(id)).toMatchObject({ refresh: 'dispatched' })
    const worker = createRefreshWorker({ cache: workerCache, jobs: [make(workerCache)], ...queue, concurrency: 1 })
    await worker.ready()
    const health = new Queue(namespace, { redis: { url: server.url }, prefix: 'bqt', isWorker: false, getEvents: false })
    while (started.length === 0 || (await health.checkHealth()).active < 2) await new Promise((resolve) => setTimeout(resolve, 5))
    expect(await health.checkHealth()).toMatchObject({ waiting: 2, active: 2 }) // one running, one taken ahead
    // Both taken jobs were claimed for the queue as they were taken (one script call), the ahead one before it started.
    const claims = await Promise.all([1, 2, 3, 4].map((id) => admin.get(`${lockKeyOf(read.job.keyFor(id))}:claim`)))
    expect(claims.map((claim) => claim?.split(':')[0] ?? null)).toEqual(['queue', 'queue', null, null])
    await expect(worker.close(100)).rejects.toThrow(/1 refreshes still running/)
    expect(started).toHaveLength(1)
    expect(await health.checkHealth()).toMatchObject({ waiting: 3, active: 1 }) // the one taken ahead is back, the running one left to the stall check
    held.resolve()
    await health.close()
    await reader.close()
    await workerCache.close()
  })
})
