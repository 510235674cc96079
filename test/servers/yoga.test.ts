/**
 * GraphQL Yoga 5 over real HTTP with `useCacheback()`: hits, stale fields,
 * one MGET per execution level, `@defer` payloads and subscription events
 * each with their own `extensions.cacheback`.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { makeExecutableSchema } from '@graphql-tools/schema'
import { useDeferStream } from '@graphql-yoga/plugin-defer-stream'
import { createYoga } from 'graphql-yoga'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { cachebackDirective } from '../../src/graphql/index.js'
import { useCacheback } from '../../src/envelop/index.js'
import { createUpstream, refreshContext, resolvers, typeDefs } from '../helpers/graphql.js'
import { type CountingRedis, LEVELS_QUERY, checkHitsBatchingAndStale, postGraphql, postSse, serverCache, startCountingRedis } from '../helpers/servers.js'

const subscriptionTypeDefs = /* GraphQL */ `
  type Subscription {
    userEvents(id: ID!, count: Int!): User!
  }
`

let redis: CountingRedis
beforeAll(async () => {
  redis = await startCountingRedis()
})
afterAll(async () => {
  await redis.stop()
})

async function startYoga() {
  const { cache, clock } = serverCache(redis)
  const upstream = createUpstream()
  const directive = cachebackDirective({ cache, scope: (ctx: { userId?: string }) => ctx.userId, context: refreshContext })
  const schema = directive.transformer(
    makeExecutableSchema({
      typeDefs: [directive.typeDefs, typeDefs, subscriptionTypeDefs],
      resolvers: {
        ...resolvers(upstream),
        Subscription: {
          userEvents: {
            subscribe: async function* (_: unknown, { id, count }: { id: string; count: number }) {
              for (let i = 0; i < count; i++) yield { userEvents: { id, name: `user ${id}` } }
            },
          },
        },
      },
    }),
  )
  const yoga = createYoga({ schema, plugins: [useDeferStream(), useCacheback()], logging: false })
  const server: Server = createServer(yoga)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`
  const stop = async () => {
    await new Promise((resolve) => server.close(resolve))
    await cache.close()
  }
  return { url, cache, clock, upstream, stop }
}

it('reports hits and stale fields, and reads each execution level with one MGET', async () => {
  const yoga = await startYoga()
  await checkHitsBatchingAndStale({ send: () => postGraphql(yoga.url, { query: LEVELS_QUERY }), redis, clock: yoga.clock, cache: yoga.cache })
  await yoga.stop()
})

it('gives every @defer payload the reads made since the previous one', async () => {
  const yoga = await startYoga()
  const payloads = await postSse(yoga.url, { query: '{ search(q: "d") ... @defer { users(count: 2) { id tweets { text } } } }' })
  expect(payloads[0].data).toEqual({ search: ['d#1'] })
  expect(payloads.at(-1).hasNext).toBe(false)
  const total = { hit: 0, stale: 0, miss: 0 }
  for (const payload of payloads) {
    const reads = payload.extensions?.cacheback
    if (reads) for (const status of ['hit', 'stale', 'miss'] as const) total[status] += reads[status]
  }
  expect(total).toEqual({ hit: 0, stale: 0, miss: 3 })
  await yoga.stop()
})

it('gives every subscription event its own reads, though all share one context', async () => {
  const yoga = await startYoga()
  const events = await postSse(yoga.url, { query: 'subscription { userEvents(id: "5", count: 3) { id tweets { text } } }' })
  expect(events.map((event) => event.data.userEvents.tweets[0].text)).toEqual(['tweet 0 of 5 v1', 'tweet 0 of 5 v1', 'tweet 0 of 5 v1'])
  expect(events.map((event) => event.extensions.cacheback)).toEqual([
    { hit: 0, stale: 0, miss: 1, staleFields: [] },
    { hit: 1, stale: 0, miss: 0, staleFields: [] },
    { hit: 1, stale: 0, miss: 0, staleFields: [] },
  ])
  expect(yoga.upstream.calls.tweets).toBe(1)
  await yoga.stop()
})
