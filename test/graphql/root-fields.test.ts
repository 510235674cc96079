/**
 * Root fields: their keys do not depend on `rootValue` (Mercurius passes
 * `{}`, Apollo `undefined`: one entry for both; a function in it does not
 * stop caching), a refresh gets `undefined` as their parent, and a cached
 * root field without a resolver (its value would come from rootValue) is a
 * schema error.
 */
import { ApolloServer } from '@apollo/server'
import { makeExecutableSchema } from '@graphql-tools/schema'
import Fastify from 'fastify'
import { type ExecutionResult, execute, parse } from 'graphql'
import mercurius from 'mercurius'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Cacheback, InProcessRefresher, MemoryStore, isCachebackError } from '../../src/index.js'
import { cachebackDirective, cachebackTypeDefs, takeCacheReads } from '../../src/graphql/index.js'
import { cachebackApolloPlugin } from '../../src/apollo/index.js'
import { mercuriusCacheback } from '../../src/mercurius/index.js'
import { ENGINE_KINDS, type EngineSetup, createEngineSetup } from '../helpers/engine.js'

const sdl = 'type Query { trending(n: Int!): [String!]! @cacheback(lifetime: 10) }'

function trendingResolvers(parents: unknown[]) {
  return { Query: { trending: (parent: unknown, { n }: { n: number }) => (parents.push(parent), Array.from({ length: n }, (_, i) => `t${i}`)) } }
}

it('keys a root field the same under Apollo (rootValue undefined) and Mercurius (rootValue {})', async () => {
  const store = new MemoryStore()
  const parents: unknown[] = []
  const apolloCache = new Cacheback({ store, refresher: new InProcessRefresher(), namespace: 'roots' })
  const mercuriusCache = new Cacheback({ store, refresher: new InProcessRefresher(), namespace: 'roots' })
  const directive = cachebackDirective({ cache: apolloCache })
  const apollo = new ApolloServer({ schema: directive.transformer(makeExecutableSchema({ typeDefs: [cachebackTypeDefs, sdl], resolvers: trendingResolvers(parents) })), plugins: [cachebackApolloPlugin()] })
  const viaApollo = await apollo.executeOperation({ query: '{ trending(n: 2) }' })
  expect(viaApollo.body.kind === 'single' && viaApollo.body.singleResult.extensions?.cacheback).toMatchObject({ miss: 1 })

  const app = Fastify()
  app.register(mercurius, { schema: cachebackTypeDefs + sdl, resolvers: trendingResolvers(parents) })
  app.register(mercuriusCacheback, { cache: mercuriusCache })
  await app.ready()
  const viaMercurius = await app.graphql('{ trending(n: 2) }')
  expect(viaMercurius.data).toEqual({ trending: ['t0', 't1'] })
  expect(viaMercurius.extensions?.cacheback).toMatchObject({ hit: 1, miss: 0 })
  expect(parents).toEqual([undefined]) // Mercurius' resolver never ran: one entry
  await app.close()
  await apollo.stop()
})

it('caches root fields whatever rootValue holds, a function included', async () => {
  const parents: unknown[] = []
  const cache = new Cacheback({ refresher: new InProcessRefresher() })
  const schema = cachebackDirective({ cache }).transformer(makeExecutableSchema({ typeDefs: [cachebackTypeDefs, sdl], resolvers: trendingResolvers(parents) }))
  const rootValue = { helper: () => 'not a key part', at: new Date() }
  const run = (root: unknown) => {
    const contextValue = {}
    return Promise.resolve(execute({ schema, document: parse('{ trending(n: 1) }'), rootValue: root, contextValue }) as Promise<ExecutionResult>).then(() => contextValue)
  }
  expect(takeCacheReads(await run(rootValue))).toMatchObject({ miss: 1 })
  expect(takeCacheReads(await run({ other: 1 }))).toMatchObject({ hit: 1 })
  expect(takeCacheReads(await run(undefined))).toMatchObject({ hit: 1 })
  expect(parents).toEqual([rootValue])
})

describe.each(ENGINE_KINDS)('a root field refreshed on %s', (kind) => {
  let setup: EngineSetup
  beforeEach(() => {
    setup = createEngineSetup(kind)
  })
  afterEach(async () => {
    await setup.cleanup()
  })

  it('gets undefined as its parent', async () => {
    const parents: unknown[] = []
    const cache = setup.process()
    const schema = cachebackDirective({ cache }).transformer(makeExecutableSchema({ typeDefs: [cachebackTypeDefs, sdl], resolvers: trendingResolvers(parents) }))
    await setup.startWorker([], { schema })
    const run = () => execute({ schema, document: parse('{ trending(n: 3) }'), rootValue: { from: 'the server' } }) as Promise<ExecutionResult>
    await run()
    setup.clock.advance(11)
    await run()
    await setup.refreshed(1)
    expect(parents).toEqual([{ from: 'the server' }, undefined])
  })
})

it('refuses a cached root field without a resolver (its value would come from rootValue)', () => {
  let thrown: unknown
  try {
    cachebackDirective({ cache: new Cacheback() }).transformer(makeExecutableSchema({ typeDefs: [cachebackTypeDefs, 'type Query { motd: String @cacheback }'] }))
  } catch (error) {
    thrown = error
  }
  expect(isCachebackError(thrown, 'E_SCHEMA')).toBe(true)
  expect((thrown as Error).message).toMatch(/Query\.motd: a cached root field needs a resolver/)
})
