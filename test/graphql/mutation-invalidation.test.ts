/**
 * `invalidateOnMutation`: after a mutation resolves, the entities of the
 * objects with an identity in its result are invalidated, before the
 * response is sent (Apollo plugin, envelop / Yoga plugin, and
 * `invalidateMutationResult` for other servers), through aliases and
 * fragments; on every store setup.
 */
import { ApolloServer } from '@apollo/server'
import { createYoga } from 'graphql-yoga'
import { useCacheback } from '../../src/envelop/index.js'
import { mapSchema } from '@graphql-tools/utils'
import { parse } from 'graphql'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { cachebackApolloPlugin, type CachebackApolloPluginOptions } from '../../src/apollo/index.js'
import { invalidateMutationResult } from '../../src/graphql/index.js'
import type { Cacheback } from '../../src/index.js'
import { invalidationSchema } from '../helpers/invalidation-schema.js'
import { STORE_KINDS, type StoreSetup, createStoreSetup } from '../helpers/stores.js'

const READ = '{ ann: user(id: "ann") { tweets score } bob: user(id: "bob") { tweets score } }'

describe.each(STORE_KINDS)('invalidation on mutation on %s', (kind) => {
  let setup: StoreSetup
  let cache: Cacheback
  let app: ReturnType<typeof invalidationSchema>
  const servers: ApolloServer[] = []
  beforeEach(async () => {
    setup = await createStoreSetup(kind)
    cache = setup.process()
    app = invalidationSchema(cache)
  })
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()))
    await setup.cleanup()
  })

  async function server(options: CachebackApolloPluginOptions) {
    const apollo = new ApolloServer({ schema: app.schema, plugins: [cachebackApolloPlugin(options)] })
    await apollo.start()
    servers.push(apollo)
    return async (query: string) => {
      const response = await apollo.executeOperation({ query }, { contextValue: {} })
      if (response.body.kind !== 'single') throw new Error('expected a single result')
      await cache.drain()
      return response.body.singleResult as { data?: any; errors?: unknown[]; extensions?: any }
    }
  }

  async function warmThenPost(run: (query: string) => Promise<{ data?: any; errors?: unknown[]; extensions?: any }>, mutation: string) {
    expect((await run(READ)).extensions?.cacheback).toMatchObject({ miss: 4 })
    setup.clock.advance(1)
    const posted = await run(mutation)
    expect(posted.errors).toBeUndefined()
    return (await run(READ)).extensions?.cacheback
  }

  it('marks the fields of the entities a mutation returned stale, before the response', async () => {
    const run = await server({ invalidateOnMutation: true })
    const reads = await warmThenPost(run, 'mutation { postTweet(user: "ann", text: "hi") { id by: author { id } } }')
    expect(reads).toMatchObject({ hit: 2, stale: 2 })
    expect(reads.staleFields.map((f: { path: string[] }) => f.path.join('.')).sort()).toEqual(['ann.score', 'ann.tweets'])
    expect(setup.log.of('invalidated')).toEqual([expect.objectContaining({ kind: 'entity', count: 2 })])
  })

  it('purges them with mutationInvalidationMode, and finds identities through fragments', async () => {
    const run = await server({ invalidateOnMutation: true, mutationInvalidationMode: 'purge' })
    const mutation = 'mutation Post { postTweet(user: "bob", text: "hi") { ...TweetParts } } fragment TweetParts on Tweet { author { ... on User { id } } }'
    const reads = await warmThenPost(run, mutation)
    expect(reads).toMatchObject({ hit: 2, miss: 2, stale: 0 })
    expect((await run(READ)).data.bob.tweets).toEqual(['2 tweets of bob v2'])
  })

  it('leaves entities alone when off, for queries, and when the result selects no identity', async () => {
    const off = await server({})
    expect(await warmThenPost(off, 'mutation { postTweet(user: "ann", text: "a") { id } }')).toMatchObject({ hit: 4 })
    const on = await server({ invalidateOnMutation: true })
    await on('mutation { postTweet(user: "ann", text: "b") { text author { score } } }')
    await on('{ user(id: "ann") { id } }')
    expect((await on(READ)).extensions?.cacheback).toMatchObject({ hit: 4 })
    expect(setup.log.count('invalidated')).toBe(0)
  })

  it('does it on GraphQL Yoga with useCacheback({ invalidateOnMutation })', async () => {
    const yoga = createYoga({ schema: app.schema, plugins: [useCacheback({ invalidateOnMutation: true, mutationInvalidationMode: 'purge' })], logging: false })
    const run = async (query: string) => {
      const response = await yoga.fetch('http://yoga/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) })
      await cache.drain()
      return (await response.json()) as { data?: any; errors?: unknown[]; extensions?: any }
    }
    const reads = await warmThenPost(run, 'mutation { postTweet(user: "ann", text: "yo") { author { id } } }')
    expect(reads).toMatchObject({ hit: 2, miss: 2 })
    expect(setup.log.of('invalidated')).toEqual([expect.objectContaining({ kind: 'entity', mode: 'purge', count: 2 })])
  })

  it('works from the result alone (other servers), and with the directive given for a schema transformed again', async () => {
    await app.query(READ)
    const document = parse('mutation { first: postTweet(user: "ann", text: "x") { author { id } } second: postTweet(user: "bob", text: "y") { author { id } } }')
    const data = { first: { author: { id: 'ann' } }, second: { author: { id: 'bob' } } }
    expect(await invalidateMutationResult({ schema: app.schema, document, data })).toBe(4)
    const rewrapped = mapSchema(app.schema, {})
    expect(await invalidateMutationResult({ schema: rewrapped, document, data })).toBe(0)
    expect(await invalidateMutationResult({ schema: rewrapped, document, data }, { directive: app.directive, mode: 'purge' })).toBe(4)
    expect(await invalidateMutationResult({ schema: app.schema, document: parse('{ user(id: "ann") { id } }'), data: { user: { id: 'ann' } } })).toBe(0)
  })
})
