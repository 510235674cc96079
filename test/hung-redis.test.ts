/**
 * A hung Redis costs a miss one command timeout, not two: the read whose GET
 * timed out (or failed) answers as soon as it has the fetched value, and its
 * write finishes in the background, tracked by `drain()` and reported as a
 * `store-error`. Runs its own redis-server, paused (`CLIENT PAUSE`) or
 * stopped. The latencies are printed, not asserted (README, Reliability).
 */
import { performance } from 'node:perf_hooks'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { Cacheback, type CachebackError, cacheback } from '../src/index.js'
import { RedisStore } from '../src/redis/index.js'
import { EventLog } from './helpers/events.js'
import { uniqueNamespace } from './helpers/namespace.js'
import { type RedisServerHandle, startRedisServer } from './helpers/redis-server.js'

const COMMAND_TIMEOUT_MS = 250
const FETCH_MS = 50
const READS = 20

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

function setup(store: RedisStore) {
  const log = new EventLog()
  const cache = new Cacheback({ store, namespace: uniqueNamespace('hung-redis'), onEvent: log.listener })
  caches.push(cache)
  const tweets = cacheback(
    async (user: string) => {
      await new Promise((resolve) => setTimeout(resolve, FETCH_MS)) // the upstream's latency
      return `tweets of ${user}`
    },
    { name: 'tweets', cache },
  )
  return { cache, log, tweets }
}

/** The store-errors so far of one operation (`GET`, `SET`) on one key. */
function failuresOf(log: EventLog, op: string, key: string): CachebackError[] {
  return log
    .of('store-error')
    .map((e) => e.error as CachebackError)
    .filter((error) => error.key === key && error.message.startsWith(`Redis ${op} `))
}

/** Runs READS concurrent misses; checks each answered before its write was given up; returns the latencies, ms. */
async function missesAnswerBeforeTheirWrites({ log, tweets }: ReturnType<typeof setup>): Promise<number[]> {
  const users = Array.from({ length: READS }, (_, i) => `user${i}`)
  const timed = users.map(async (user) => {
    const key = tweets.job.keyFor(user)
    const started = performance.now()
    const read = await tweets.read(user)
    const ms = performance.now() - started
    expect(read).toMatchObject({ status: 'miss', value: `tweets of ${user}` })
    expect(failuresOf(log, 'GET', key)).toHaveLength(1) // it paid one timeout...
    expect(failuresOf(log, 'SET', key)).toHaveLength(0) // ...and answered before its write gave up
    return ms
  })
  return Promise.all(timed)
}

function summary(ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)].toFixed(0)
  return `p50/p99/max ${at(0.5)}/${at(0.99)}/${sorted[sorted.length - 1].toFixed(0)} ms`
}

it('CLIENT PAUSE: a miss answers after one GET timeout and its fetch; the write is given up in the background', async () => {
  const context = setup(new RedisStore({ redis: server.url, commandTimeoutMs: COMMAND_TIMEOUT_MS }))
  const { cache, log, tweets } = context
  await tweets('warm-up') // connected, scripts loaded
  await admin.call('CLIENT', 'PAUSE', '2000', 'ALL')
  const latencies = await missesAnswerBeforeTheirWrites(context)
  await cache.drain() // waits for the writes left to the background
  for (let i = 0; i < READS; i++) {
    expect(failuresOf(log, 'SET', tweets.job.keyFor(`user${i}`)).map((e) => e.code)).toEqual(['E_STORE_TIMEOUT'])
  }
  await admin.ping() // answered once the pause is over
  console.log(`[reliability] CLIENT PAUSE, ${READS} concurrent misses, commandTimeoutMs ${COMMAND_TIMEOUT_MS}, fetch ${FETCH_MS} ms: ${summary(latencies)}`)
})

it('a caller-supplied client (offline queue on) during an outage: the same, one timeout per miss', async () => {
  const client = new Redis(server.url, { lazyConnect: false })
  client.on('error', () => {})
  const context = setup(new RedisStore({ redis: client, commandTimeoutMs: COMMAND_TIMEOUT_MS }))
  const { cache, log, tweets } = context
  await tweets('warm-up')
  await server.stop()
  try {
    const latencies = await missesAnswerBeforeTheirWrites(context)
    await cache.drain()
    for (let i = 0; i < READS; i++) expect(failuresOf(log, 'SET', tweets.job.keyFor(`user${i}`))).toHaveLength(1)
    console.log(`[reliability] Redis stopped, caller-supplied client, ${READS} concurrent misses: ${summary(latencies)}`)
  } finally {
    await server.restart()
    client.disconnect()
  }
})
