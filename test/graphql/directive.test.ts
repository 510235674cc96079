/**
 * The @cacheback directive through a real ApolloServer, on the embedded
 * default and on Redis with a real bee-queue worker re-running resolvers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ENGINE_KINDS, type EngineSetup, createEngineSetup } from '../helpers/engine.js'
import { type Upstream, createServer, createUpstream, refreshContext, run } from '../helpers/graphql.js'

const TWEETS = /* GraphQL */ `
  query Tweets($id: ID!) {
    user(id: $id) {
      id
      tweets {
        text
      }
    }
  }
`

describe.each(ENGINE_KINDS)('@cacheback on %s', (kind) => {
  let setup: EngineSetup
  let upstream: Upstream
  beforeEach(() => {
    setup = createEngineSetup(kind)
    upstream = createUpstream()
  })
  afterEach(async () => {
    await setup.cleanup()
  })

  it('serves the second query from cache, then stale with metadata, then the refreshed value', async () => {
    const { server, schema } = await createServer(setup.process(), upstream)
    await setup.startWorker([], { schema, context: refreshContext })

    const first = await run(server, TWEETS, {}, { id: '1' })
    expect(first.errors).toBeUndefined()
    expect(first.data.user.tweets[0].text).toBe('tweet 0 of 1 v1')
    expect(first.extensions?.cacheback).toEqual({ hit: 0, stale: 0, miss: 1, staleFields: [] })

    const second = await run(server, TWEETS, {}, { id: '1' })
    expect(second.data).toEqual(first.data)
    expect(second.extensions?.cacheback).toEqual({ hit: 1, stale: 0, miss: 0, staleFields: [] })
    expect(upstream.calls.tweets).toBe(1)

    upstream.version = 2
    setup.clock.advance(13)
    const stale = await run(server, TWEETS, {}, { id: '1' })
    expect(stale.data.user.tweets[0].text).toBe('tweet 0 of 1 v1')
    expect(stale.extensions?.cacheback).toEqual({
      hit: 0,
      stale: 1,
      miss: 0,
      staleFields: [{ path: ['user', 'tweets'], coordinate: 'User.tweets', age: 13, lifetime: 10, refresh: 'dispatched' }],
    })
    await setup.refreshed(1)
    expect(upstream.calls.tweets).toBe(2)

    const fresh = await run(server, TWEETS, {}, { id: '1' })
    expect(fresh.data.user.tweets[0].text).toBe('tweet 0 of 1 v2')
    expect(fresh.extensions?.cacheback).toEqual({ hit: 1, stale: 0, miss: 0, staleFields: [] })
    await server.stop()
  })

  it('serves stale through a failed refresh and says so in staleFields', async () => {
    const { server, schema } = await createServer(setup.process(), upstream)
    await setup.startWorker([], { schema, context: refreshContext })
    await run(server, '{ search(q: "down") }')
    upstream.failing = true
    setup.clock.advance(11)
    const first = await run(server, '{ search(q: "down") }')
    expect(first.extensions?.cacheback.staleFields[0].refresh).toBe('dispatched')
    await setup.log.waitFor('refresh-failed', 1)
    await setup.drain()
    const second = await run(server, '{ search(q: "down") }')
    expect(second.errors).toBeUndefined()
    expect(second.data.search).toEqual(['down#1'])
    expect(second.extensions?.cacheback.staleFields).toEqual([{ path: ['search'], coordinate: 'Query.search', age: 11, lifetime: 10, refresh: 'failed' }])
    upstream.failing = false
    setup.clock.advance(60) // refreshTimeout has passed: the next stale read retries
    expect((await run(server, '{ search(q: "down") }')).extensions?.cacheback.staleFields[0].refresh).toBe('dispatched')
    await setup.refreshed(1)
    expect((await run(server, '{ search(q: "down") }')).data.search).toEqual(['down#1'])
    await server.stop()
  })

  it('keys by parent id and arguments, honouring keyArgs', async () => {
    const { server } = await createServer(setup.process(), upstream)
    await run(server, '{ a: user(id: "1") { tweets { text } } b: user(id: "2") { tweets { text } } }')
    expect(upstream.calls.tweets).toBe(2)
    await run(server, '{ user(id: "1") { tweets(limit: 3) { text } } }')
    expect(upstream.calls.tweets).toBe(3)
    const keyed = await run(server, '{ p1: search(q: "x", page: 1) p2: search(q: "x", page: 2) other: search(q: "y") }')
    expect(keyed.data).toEqual({ p1: ['x#1'], p2: ['x#1'], other: ['y#1'] })
    expect(upstream.calls.search).toBe(2)
    expect(keyed.extensions?.cacheback).toMatchObject({ miss: 3 })
    await server.stop()
  })

  it('reads and fetches a key seen twice in one operation once', async () => {
    const { server } = await createServer(setup.process(), upstream)
    const result = await run(server, '{ a: user(id: "7") { tweets { text } } b: user(id: "7") { tweets { text } } }')
    expect(result.data.a).toEqual(result.data.b)
    expect(upstream.calls.tweets).toBe(1)
    await server.stop()
  })

  it('fetchOnMiss: false on a nullable field gives null on a miss and dispatches a refresh', async () => {
    const { server, schema } = await createServer(setup.process(), upstream)
    await setup.startWorker([], { schema, context: refreshContext })
    const first = await run(server, '{ user(id: "3") { id lazyBio } }')
    expect(first.data.user.lazyBio).toBeNull()
    expect(first.extensions?.cacheback).toMatchObject({ miss: 1 })
    await setup.refreshed(1)
    const second = await run(server, '{ user(id: "3") { lazyBio } }')
    expect(second.data.user.lazyBio).toBe('bio of 3')
    expect(second.extensions?.cacheback).toMatchObject({ hit: 1 })
    expect(upstream.calls.lazyBio).toBe(1)
    await server.stop()
  })
})
