/**
 * What the server tests share: a dedicated redis-server whose `INFO
 * commandstats` counts one test file's commands only (the suite's Redis is
 * shared by files running in parallel), a cache on it with a test clock and
 * in-process refreshes, the query the tests send, and HTTP helpers.
 */
import { Redis } from 'ioredis'
import { expect } from 'vitest'
import { Cacheback, InProcessRefresher } from '../../src/index.js'
import { RedisStore } from '../../src/redis/index.js'
import { type TestClock, createClock } from './clock.js'
import { EventLog } from './events.js'
import { uniqueNamespace } from './namespace.js'
import { commandStats, startRedisServer } from './redis-server.js'

/** A redis-server of one test file, with its command counts. */
export interface CountingRedis {
  url: string
  /** Calls per command since the last reset (the counting's own INFO and CONFIG left out). */
  commands(): Promise<Record<string, number>>
  /** Resets the counts (`CONFIG RESETSTAT`). */
  reset(): Promise<void>
  stop(): Promise<void>
}

export async function startCountingRedis(): Promise<CountingRedis> {
  const server = await startRedisServer()
  const admin = new Redis(server.url)
  return {
    url: server.url,
    async commands() {
      const counts = await commandStats(admin)
      delete counts.info
      delete counts['config|resetstat']
      return counts
    },
    async reset() {
      await admin.config('RESETSTAT')
    },
    async stop() {
      admin.disconnect()
      await server.stop()
    },
  }
}

/** A cache on the counting Redis: test clock, in-process refreshes, events logged; a long command timeout, so a loaded machine does not turn reads into misses. */
export function serverCache(redis: CountingRedis): { cache: Cacheback; clock: TestClock; log: EventLog } {
  const clock = createClock()
  const log = new EventLog()
  const cache = new Cacheback({ store: new RedisStore({ redis: redis.url, commandTimeoutMs: 5000 }), refresher: new InProcessRefresher(), namespace: uniqueNamespace('srv'), now: clock.now, onEvent: log.listener })
  return { cache, clock, log }
}

/** Items in `LEVELS_QUERY`'s list. */
export const LIST_COUNT = 20

/**
 * Two levels of cached fields: `Query.search` and `User.tweets` of 20 users
 * (read in one tick: `users` returns at once), then `Tweet.likes` of their
 * 40 tweets, read once the tweets are there.
 */
export const LEVELS_QUERY = `{ search(q: "x") users(count: ${LIST_COUNT}) { id tweets { text likes } } }`

/** Cached fields in `LEVELS_QUERY`'s answer. */
export const LEVELS_FIELDS = 1 + LIST_COUNT * 3

/** POSTs a GraphQL request and returns the JSON body. */
export async function postGraphql(url: string, body: { query: string; variables?: Record<string, unknown> }, headers: Record<string, string> = {}): Promise<any> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...headers }, body: JSON.stringify(body) })
  return response.json()
}

/** The `data:` payloads of a Server-Sent Events response (GraphQL over SSE, distinct connections mode). */
export async function postSse(url: string, body: { query: string; variables?: Record<string, unknown> }): Promise<any[]> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify(body) })
  const text = await response.text()
  return text
    .split('\n')
    .filter((line) => line.startsWith('data: ') && line.length > 'data: '.length)
    .map((line) => JSON.parse(line.slice('data: '.length)))
}

/**
 * The checks every server test makes with `LEVELS_QUERY`: a cold answer of
 * misses, a warm one of hits read with one MGET per level (two), and, once
 * the values are stale, every field in `staleFields` with its refresh
 * dispatched. `send` runs the query over the server's HTTP.
 */
export async function checkHitsBatchingAndStale(input: { send: () => Promise<any>; redis: CountingRedis; clock: TestClock; cache: Cacheback }): Promise<void> {
  const { send, redis, clock, cache } = input
  const cold = await send()
  expect(cold.errors).toBeUndefined()
  expect(cold.data.search).toEqual(['x#1'])
  expect(cold.data.users[3].tweets[0].text).toBe('tweet 0 of 3 v1')
  expect(cold.extensions.cacheback).toEqual({ hit: 0, stale: 0, miss: LEVELS_FIELDS, staleFields: [] })
  await cache.drain()

  await redis.reset()
  const warm = await send()
  expect(warm.data).toEqual(cold.data)
  expect(warm.extensions.cacheback).toEqual({ hit: LEVELS_FIELDS, stale: 0, miss: 0, staleFields: [] })
  expect(await redis.commands()).toEqual({ mget: 2 })

  clock.advance(12)
  const stale = await send()
  expect(stale.data).toEqual(cold.data)
  const { staleFields, ...counts } = stale.extensions.cacheback
  expect(counts).toEqual({ hit: 0, stale: LEVELS_FIELDS, miss: 0 })
  expect(staleFields).toHaveLength(LEVELS_FIELDS)
  expect(staleFields).toContainEqual({ path: ['search'], coordinate: 'Query.search', age: 12, lifetime: 10, refresh: 'dispatched' })
  expect(staleFields).toContainEqual({ path: ['users', 7, 'tweets'], coordinate: 'User.tweets', age: 12, lifetime: 10, refresh: 'dispatched' })
  expect(staleFields).toContainEqual({ path: ['users', 7, 'tweets', 1, 'likes'], coordinate: 'Tweet.likes', age: 12, lifetime: 10, refresh: 'dispatched' })
  await cache.drain()
}
