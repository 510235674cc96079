/**
 * Mercurius 16 (Fastify 5) over real HTTP with `mercuriusCacheback`, with and
 * without its JIT: hits, stale fields, one MGET per execution level; and the
 * ways Mercurius replaces resolvers in place made loud.
 */
import { makeExecutableSchema } from '@graphql-tools/schema'
import Fastify from 'fastify'
import mercurius from 'mercurius'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isCachebackError } from '../../src/index.js'
import { cachebackDirective, cachebackTypeDefs } from '../../src/graphql/index.js'
import { mercuriusCacheback } from '../../src/mercurius/index.js'
import { type AppContext, createUpstream, refreshContext, resolvers, typeDefs } from '../helpers/graphql.js'
import { type CountingRedis, LEVELS_QUERY, checkHitsBatchingAndStale, postGraphql, serverCache, startCountingRedis } from '../helpers/servers.js'

let redis: CountingRedis
beforeAll(async () => {
  redis = await startCountingRedis()
})
afterAll(async () => {
  await redis.stop()
})

const scope = (ctx: AppContext) => ctx.userId

describe.each([
  ['without JIT', 0],
  ['with JIT from the second request', 1],
])('Mercurius %s', (_name, jit) => {
  it('reports hits and stale fields, and reads each execution level with one MGET', async () => {
    const { cache, clock } = serverCache(redis)
    const app = Fastify()
    app.register(mercurius, { schema: cachebackTypeDefs + typeDefs, resolvers: resolvers(createUpstream()) as never, jit })
    app.register(mercuriusCacheback, { cache, scope, context: refreshContext })
    const address = await app.listen({ port: 0, host: '127.0.0.1' })
    await checkHitsBatchingAndStale({ send: () => postGraphql(`${address}/graphql`, { query: LEVELS_QUERY }), redis, clock, cache })
    await app.close()
    await cache.close()
  })
})

async function readyError(setup: (app: ReturnType<typeof Fastify>) => void): Promise<unknown> {
  const app = Fastify()
  setup(app)
  try {
    await app.ready()
    return undefined
  } catch (error) {
    return error
  } finally {
    await app.close()
  }
}

it('refuses a pre-transformed schema whose cached resolver Mercurius replaced, naming the field', async () => {
  const { cache } = serverCache(redis)
  const directive = cachebackDirective({ cache, scope })
  const upstream = createUpstream()
  const schema = directive.transformer(makeExecutableSchema({ typeDefs: [directive.typeDefs, typeDefs], resolvers: resolvers(upstream) }))
  const error = await readyError((app) => {
    app.register(mercurius, { schema, resolvers: { Query: { search: () => ['replaced'] } } })
    app.register(mercuriusCacheback, { cache, scope })
  })
  expect(isCachebackError(error, 'E_SCHEMA')).toBe(true)
  expect((error as Error).message).toMatch(/^Query\.search: .*replaced the cached resolver of Query\.search/)
  await cache.close()
})

it('refuses defineResolvers and defineLoaders that would replace a cached resolver after the transform', async () => {
  const { cache } = serverCache(redis)
  const app = Fastify()
  app.register(mercurius, { schema: cachebackTypeDefs + typeDefs, resolvers: resolvers(createUpstream()) as never })
  app.register(mercuriusCacheback, { cache, scope })
  await app.ready()
  const attempt = (define: () => void) => {
    try {
      define()
    } catch (error) {
      return error
    }
    return undefined
  }
  const viaResolvers = attempt(() => app.graphql.defineResolvers({ User: { tweets: () => [] } }))
  expect(isCachebackError(viaResolvers, 'E_SCHEMA')).toBe(true)
  expect((viaResolvers as Error).message).toMatch(/^User\.tweets: defineResolvers after mercuriusCacheback/)
  const viaLoaders = attempt(() => app.graphql.defineLoaders({ User: { tweets: async () => [] } }))
  expect(isCachebackError(viaLoaders, 'E_SCHEMA')).toBe(true)
  expect((viaLoaders as Error).message).toMatch(/^User\.tweets: defineLoaders/)
  // A field without the directive can still be given a resolver.
  app.graphql.defineResolvers({ User: { name: () => 'renamed' } })
  const answer = await app.graphql('{ user(id: "1") { name } }')
  expect(answer.data).toEqual({ user: { name: 'renamed' } })
  await app.close()
  await cache.close()
})

it('asks for mercurius to be registered first', async () => {
  const { cache } = serverCache(redis)
  const error = await readyError((app) => app.register(mercuriusCacheback, { cache }))
  expect(error).toBeInstanceOf(Error)
  await cache.close()
})
