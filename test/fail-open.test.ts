/**
 * Fail open: with the store's Redis down or unresponsive, or the queue's Redis
 * unreachable, every call still resolves with a value (single-flighted
 * fetches, in-process refreshes), failures are reported as events, and nothing
 * is thrown at the caller. This file runs its own redis-server so it can stop,
 * freeze and restart it.
 */
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Cacheback, type CachebackError, cacheback } from '../src/index.js'
import { RedisStore } from '../src/redis/index.js'
import { BeeQueueRefresher } from '../src/bee-queue/index.js'
import { createClock } from './helpers/clock.js'
import { EventLog, deferred } from './helpers/events.js'
import { uniqueNamespace } from './helpers/namespace.js'
import { type RedisServerHandle, freePort, startRedisServer } from './helpers/redis-server.js'

const COMMAND_TIMEOUT_MS = 200

let server: RedisServerHandle
let admin: Redis
beforeAll(async () => {
  server = await startRedisServer()
  admin = new Redis(server.url, { maxRetriesPerRequest: null })
  admin.on('error', () => {}) // reconnects across the stop/restart below
})
afterAll(async () => {
  admin.disconnect()
  await server.stop()
})

const caches: Cacheback[] = []
afterEach(async () => {
  await Promise.all(caches.splice(0).map((c) => c.close()))
})

/** A cache on the test server (store and queue), unless a refresher is given. */
function setup(refresher?: BeeQueueRefresher) {
  const clock = createClock()
  const log = new EventLog()
  const namespace = uniqueNamespace('fail-open')
  const store = new RedisStore({ redis: server.url, commandTimeoutMs: COMMAND_TIMEOUT_MS })
  refresher ??= new BeeQueueRefresher({ redis: server.url, queue: namespace, dispatchTimeoutMs: COMMAND_TIMEOUT_MS })
  const cache = new Cacheback({ store, refresher, namespace, now: clock.now, onEvent: log.listener })
  caches.push(cache)
  return { cache, store, clock, log }
}

/** A job whose fetches can be held at a gate; the value is `<user>@<version>`. */
function gatedTweets(cache: Cacheback) {
  const state = { version: 1, calls: 0, gate: Promise.resolve() }
  const tweets = cacheback(
    async (user: string) => {
      state.calls++
      await state.gate
      return `${user}@${state.version}`
    },
    { name: 'tweets', lifetime: 10, refreshTimeout: 30, cache },
  )
  return { state, tweets }
}

/** Store errors seen so far, all coded. */
function storeErrorCodes(log: EventLog): Set<string> {
  return new Set(log.of('store-error').map((e) => (e.error as CachebackError).code))
}

/** Resolves once the store's client is connected again. */
function reconnected(store: RedisStore): Promise<void> {
  const client = store.client as Redis
  if (client.status === 'ready') return Promise.resolve()
  return new Promise((resolve) => client.once('ready', () => resolve()))
}

describe('store Redis stopped', () => {
  it('answers every call with one fetch per key, reports store errors, and hits again after a restart', async () => {
    const { cache, store, clock, log } = setup()
    const { state, tweets } = gatedTweets(cache)
    expect(await tweets('ann')).toBe('ann@1')
    expect(await tweets.read('ann')).toMatchObject({ status: 'hit' })
    clock.advance(11) // ann is stale now, but a store that is down cannot say so

    await server.stop()
    state.version = 2
    state.calls = 0
    const gate = deferred()
    state.gate = gate.promise
    const missesBefore = log.count('miss')
    const calls = Array.from({ length: 40 }, (_, i) => tweets(i % 2 ? 'ann' : 'bob'))
    await log.waitFor('miss', missesBefore + 40) // every call has joined a fetch
    gate.resolve()
    const values = await Promise.all(calls)
    expect(values).toEqual(Array.from({ length: 40 }, (_, i) => (i % 2 ? 'ann@2' : 'bob@2')))
    expect(state.calls).toBe(2) // single flight per key
    await cache.drain() // the writes finish in the background: these reads had already paid for a failed GET
    expect(log.count('store-error')).toBeGreaterThanOrEqual(42) // 40 reads, 2 writes
    for (const code of storeErrorCodes(log)) expect(['E_STORE_UNAVAILABLE', 'E_STORE_TIMEOUT']).toContain(code)
    expect(log.count('refresh-dispatched')).toBe(0)

    await server.restart()
    await reconnected(store)
    expect(await tweets.read('ann')).toMatchObject({ status: 'miss', value: 'ann@2' }) // no persistence: empty again
    expect(await tweets.read('ann')).toMatchObject({ status: 'hit', value: 'ann@2' })
  })

  it('serves a stale entry read just before the outage and reports the in-process refresh that could not store', async () => {
    const { cache, store, clock, log } = setup()
    const { state, tweets } = gatedTweets(cache)
    await tweets('ann')
    clock.advance(11)
    // Batched (GraphQL) reads fetch entries first and resolve them afterwards;
    // Redis goes away in between, so taking the refresh lock fails.
    const key = tweets.job.keyFor('ann')
    const entry = await cache.readEntry<string>(tweets.job, key)
    await server.stop()
    state.version = 2
    expect(await cache.resolve(tweets.job, key, ['ann'], entry)).toMatchObject({ status: 'stale', value: 'ann@1', refresh: 'dispatched' })
    await cache.drain()
    expect(log.of('refresh-dispatched')).toEqual([expect.objectContaining({ via: 'in-process' })])
    expect(log.of('refresh-failed')).toEqual([expect.objectContaining({ job: 'tweets', key, error: expect.objectContaining({ code: expect.stringMatching(/^E_STORE_/) }) })])
    expect(state.calls).toBe(2)

    await server.restart()
    await reconnected(store)
  })
})

describe('store Redis unresponsive', () => {
  it('bounds every store call by commandTimeoutMs: a read falls through to the fetch and resolves', async () => {
    const { cache, log } = setup()
    const { state, tweets } = gatedTweets(cache)
    await tweets('ann')
    state.version = 2
    // Freeze the server: connections stay open, nothing is answered.
    const pid = Number(/process_id:(\d+)/.exec(await admin.info('server'))![1])
    process.kill(pid, 'SIGSTOP')
    try {
      expect(await tweets.read('ann')).toMatchObject({ status: 'miss', value: 'ann@2' })
      expect(await tweets('bob')).toBe('bob@2')
      await cache.drain() // their writes, left to the background, time out too
    } finally {
      process.kill(pid, 'SIGCONT')
    }
    expect(storeErrorCodes(log)).toEqual(new Set(['E_STORE_TIMEOUT']))
    expect(log.count('store-error')).toBe(4) // two reads, two writes
  })
})

describe('queue Redis unreachable', () => {
  it('runs the refresh of a stale read in-process and refreshes the entry', async () => {
    const closedPort = await freePort()
    const { cache, clock, log } = setup(new BeeQueueRefresher({ redis: `redis://127.0.0.1:${closedPort}`, queue: uniqueNamespace('nowhere'), dispatchTimeoutMs: COMMAND_TIMEOUT_MS }))
    const { state, tweets } = gatedTweets(cache)
    await tweets('ann')
    state.version = 2
    clock.advance(11)
    expect(await tweets.read('ann')).toMatchObject({ status: 'stale', value: 'ann@1', refresh: 'dispatched' })
    expect(log.of('store-error')).toEqual([expect.objectContaining({ key: tweets.job.keyFor('ann'), error: expect.objectContaining({ code: 'E_DISPATCH_FAILED' }) })])
    expect(log.of('refresh-dispatched')).toEqual([expect.objectContaining({ via: 'in-process' })])
    await cache.drain()
    expect(log.count('refresh-succeeded')).toBe(1)
    expect(await tweets.read('ann')).toMatchObject({ status: 'hit', value: 'ann@2' })
  })
})
