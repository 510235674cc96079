/**
 * Apollo Server 5 standalone over real HTTP with `cachebackApolloPlugin()`:
 * hits, stale fields, one MGET per execution level, and the figures of one
 * context object never carried into the next request.
 */
import { ApolloServer } from '@apollo/server'
import { startStandaloneServer } from '@apollo/server/standalone'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { cachebackDirective } from '../../src/graphql/index.js'
import { cachebackApolloPlugin } from '../../src/apollo/index.js'
import { type AppContext, baseSchema, createUpstream, refreshContext } from '../helpers/graphql.js'
import { type CountingRedis, LEVELS_QUERY, checkHitsBatchingAndStale, postGraphql, serverCache, startCountingRedis } from '../helpers/servers.js'

let redis: CountingRedis
beforeAll(async () => {
  redis = await startCountingRedis()
})
afterAll(async () => {
  await redis.stop()
})

it('reports hits and stale fields, and reads each execution level with one MGET', async () => {
  const { cache, clock } = serverCache(redis)
  const directive = cachebackDirective({ cache, scope: (ctx: AppContext) => ctx.userId, context: refreshContext })
  const server = new ApolloServer<AppContext>({ schema: directive.transformer(baseSchema(createUpstream(), directive.typeDefs)), plugins: [cachebackApolloPlugin()] })
  // One context object for every request: the plugin takes each operation's reads, so none leak into the next.
  const shared: AppContext = {}
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' }, context: async () => shared })
  await checkHitsBatchingAndStale({ send: () => postGraphql(url, { query: LEVELS_QUERY }), redis, clock, cache })
  const plain = await postGraphql(url, { query: '{ users(count: 1) { id } }' })
  expect(plain).toEqual({ data: { users: [{ id: '0' }] } })
  await server.stop()
  await cache.close()
})
