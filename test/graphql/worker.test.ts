/**
 * The resolver refresh worker: re-runs resolvers by coordinate with the
 * factory context; rejects unknown coordinates and keeps working.
 */
import { inject, afterEach, beforeEach, expect, it } from 'vitest'
import { BeeQueueRefresher } from '../../src/bee-queue/index.js'
import { type EngineSetup, createEngineSetup } from '../helpers/engine.js'
import { createServer, createUpstream, refreshContext, run } from '../helpers/graphql.js'

let setup: EngineSetup
beforeEach(() => {
  setup = createEngineSetup('redis')
})
afterEach(async () => {
  await setup.cleanup()
})

it('rejects a payload naming a coordinate the schema lacks, and keeps refreshing', async () => {
  const upstream = createUpstream()
  const { server, schema } = await createServer(setup.process(), upstream)
  const contexts: unknown[] = []
  await setup.startWorker([], { schema, context: (input) => (contexts.push(input), refreshContext(input)) })

  const rogue = new BeeQueueRefresher({ redis: inject('redisUrl'), queue: setup.namespace })
  await rogue.dispatch({ job: 'graphql:Query.nope', key: 'x', args: [null, {}, null], token: 't' })
  await setup.log.waitFor('refresh-failed', 1)
  const failure = setup.log.of('refresh-failed')[0]
  expect(failure.error).toMatchObject({ code: 'E_UNKNOWN_COORDINATE', coordinate: 'Query.nope' })
  expect((failure.error as Error).message).toContain('No cached field Query.nope')
  await rogue.close()

  await run(server, '{ myNotes }', { userId: 'ann' })
  upstream.version = 2
  setup.clock.advance(11)
  await run(server, '{ myNotes }', { userId: 'ann' })
  await setup.refreshed(1)
  expect(contexts).toEqual([{ coordinate: 'Query.myNotes', scope: 'ann' }])
  expect((await run(server, '{ myNotes }', { userId: 'ann' })).data.myNotes).toEqual(['notes of ann v2'])
  await server.stop()
})

it('serves a value the store would change uncached, reporting a coded error naming the coordinate', async () => {
  const upstream = createUpstream()
  const { server } = await createServer(setup.process(), upstream)
  const query = '{ user(id: "9") { joined { iso } } }'
  const first = await run(server, query)
  expect(first.errors).toBeUndefined()
  expect(first.data.user.joined.iso).toBe('2026-01-09T00:00:00.000Z')
  const second = await run(server, query)
  expect(second.data).toEqual(first.data)
  expect(upstream.calls.joined).toBe(2)
  const errors = setup.log.of('store-error').map((e) => e.error as Error & { code: string })
  expect(errors).toHaveLength(2)
  expect(errors[0].code).toBe('E_UNSERIALIZABLE_VALUE')
  expect(errors[0].message).toContain('graphql:User.joined')
  expect(errors[0].message).toContain('an instance of Stamp')
  await server.stop()
})

it('routes a field with queue: "..." to that queue, consumed by a worker of that queue', async () => {
  const { makeExecutableSchema } = await import('@graphql-tools/schema')
  const { Cacheback, InProcessRefresher } = await import('../../src/index.js')
  const { RedisStore } = await import('../../src/redis/index.js')
  const { cachebackDirective } = await import('../../src/graphql/index.js')
  const { createRefreshWorker } = await import('../../src/bee-queue/index.js')
  const slowQueue = `${setup.namespace}-slow`
  let version = 1
  const typeDefs = `type Query { slow: String @cacheback(lifetime: 10, queue: "${slowQueue}") fast: String @cacheback(lifetime: 10) }`
  const resolvers = { Query: { slow: () => `slow v${version}`, fast: () => `fast v${version}` } }
  const server = setup.process()
  const directive = cachebackDirective({ cache: server })
  const { ApolloServer } = await import('@apollo/server')
  const apollo = new ApolloServer({ schema: directive.transformer(makeExecutableSchema({ typeDefs: [directive.typeDefs, typeDefs], resolvers })) })
  await apollo.start()
  const query = async () => ((await apollo.executeOperation({ query: '{ slow fast }' })).body as any).singleResult.data

  const workerCache = new Cacheback({ store: new RedisStore({ redis: inject('redisUrl') }), refresher: new InProcessRefresher(), namespace: setup.namespace, now: setup.clock.now, onEvent: setup.log.listener })
  const slowWorker = createRefreshWorker({ cache: workerCache, schema: makeExecutableSchema({ typeDefs: [directive.typeDefs, typeDefs], resolvers }), redis: inject('redisUrl'), queue: slowQueue })
  await slowWorker.ready()
  try {
    expect(await query()).toEqual({ slow: 'slow v1', fast: 'fast v1' })
    version = 2
    setup.clock.advance(11)
    await query()
    await setup.refreshed(1)
    expect(setup.log.of('refresh-succeeded').map((e) => e.job)).toEqual(['graphql:Query.slow'])
    expect(await query()).toEqual({ slow: 'slow v2', fast: 'fast v1' })
  } finally {
    await slowWorker.close(2000)
    await workerCache.close()
    await apollo.stop()
  }
})
