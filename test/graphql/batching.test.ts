/**
 * Round-trips: all cached fields of one execution level are read with one
 * store command, counted on a dedicated redis-server with INFO commandstats.
 */
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Cacheback, InProcessRefresher } from '../../src/index.js'
import { RedisStore } from '../../src/redis/index.js'
import { createClock } from '../helpers/clock.js'
import { createServer, createUpstream, run } from '../helpers/graphql.js'
import { type RedisServerHandle, commandStats, startRedisServer } from '../helpers/redis-server.js'

let redis: RedisServerHandle
let admin: Redis
beforeAll(async () => {
  redis = await startRedisServer()
  admin = new Redis(redis.url)
})
afterAll(async () => {
  admin.disconnect()
  await redis.stop()
})

async function commandCounts(): Promise<Record<string, number>> {
  const counts = await commandStats(admin)
  delete counts.info
  delete counts['config|resetstat']
  return counts
}

it('reads the cached fields of 100 list items with one store command', async () => {
  const clock = createClock()
  const cache = new Cacheback({ store: new RedisStore({ redis: redis.url }), refresher: new InProcessRefresher(), now: clock.now })
  const upstream = createUpstream()
  const { server } = await createServer(cache, upstream)
  const query = '{ users(count: 100) { id tweets { text } } }'
  const cold = await run(server, query)
  expect(cold.extensions?.cacheback).toMatchObject({ miss: 100 })
  expect(upstream.calls.tweets).toBe(100)

  await admin.config('RESETSTAT')
  const warm = await run(server, query)
  expect(warm.data).toEqual(cold.data)
  expect(warm.extensions?.cacheback).toEqual({ hit: 100, stale: 0, miss: 0, staleFields: [] })
  expect(await commandCounts()).toEqual({ mget: 1 })
  expect(upstream.calls.tweets).toBe(100)

  await server.stop()
  await cache.close()
})
