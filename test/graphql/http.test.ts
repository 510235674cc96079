/**
 * Over HTTP: extensions.cacheback in real responses, and the Cache-Control
 * header lowered to the remaining freshness of the cached fields.
 */
import { ApolloServerPluginCacheControl } from '@apollo/server/plugin/cacheControl'
import { startStandaloneServer } from '@apollo/server/standalone'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ENGINE_KINDS, type EngineSetup, createEngineSetup } from '../helpers/engine.js'
import { type AppContext, createServer, createUpstream, refreshContext } from '../helpers/graphql.js'

describe.each(ENGINE_KINDS)('over HTTP on %s', (kind) => {
  let setup: EngineSetup
  beforeEach(() => {
    setup = createEngineSetup(kind)
  })
  afterEach(async () => {
    await setup.cleanup()
  })

  it('reports hits and stale fields in extensions and lowers Cache-Control', async () => {
    const upstream = createUpstream()
    const { server, schema } = await createServer(setup.process(), upstream, [ApolloServerPluginCacheControl({ defaultMaxAge: 60 })], false)
    await setup.startWorker([], { schema, context: refreshContext })
    const { url } = await startStandaloneServer(server, {
      listen: { port: 0, host: '127.0.0.1' },
      context: async ({ req }): Promise<AppContext> => ({ userId: req.headers['x-user'] as string | undefined }),
    })
    const post = async (query: string, user?: string) => {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(user ? { 'x-user': user } : {}) }, body: JSON.stringify({ query }) })
      return { body: (await response.json()) as any, cacheControl: response.headers.get('cache-control') }
    }

    const miss = await post('{ search(q: "x") }')
    expect(miss.body).toEqual({ data: { search: ['x#1'] }, extensions: { cacheback: { hit: 0, stale: 0, miss: 1, staleFields: [] } } })
    expect(miss.cacheControl).toBe('max-age=10, public')

    setup.clock.advance(4)
    const hit = await post('{ search(q: "x") }')
    expect(hit.body.extensions.cacheback).toEqual({ hit: 1, stale: 0, miss: 0, staleFields: [] })
    expect(hit.cacheControl).toBe('max-age=6, public')

    setup.clock.advance(20)
    const stale = await post('{ search(q: "x") }')
    expect(stale.body.data).toEqual({ search: ['x#1'] })
    expect(stale.body.extensions.cacheback.staleFields).toEqual([{ path: ['search'], coordinate: 'Query.search', age: 24, lifetime: 10, refresh: 'dispatched' }])
    expect(stale.cacheControl).toBe('no-store')

    const mine = await post('{ myNotes }', 'ann')
    expect(mine.body.data).toEqual({ myNotes: ['notes of ann v1'] })
    expect(mine.cacheControl).toBe('max-age=10, private')
    await setup.refreshed(1)
    await server.stop()
  })
})
