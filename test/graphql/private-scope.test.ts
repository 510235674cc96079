/**
 * PRIVATE fields: values keyed by the request's scope id, never served to
 * another scope, refreshed with the scope's context; no scope, no cache.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ENGINE_KINDS, type EngineSetup, createEngineSetup } from '../helpers/engine.js'
import { type Upstream, createServer, createUpstream, refreshContext, run } from '../helpers/graphql.js'

describe.each(ENGINE_KINDS)('PRIVATE scope on %s', (kind) => {
  let setup: EngineSetup
  let upstream: Upstream
  beforeEach(() => {
    setup = createEngineSetup(kind)
    upstream = createUpstream()
  })
  afterEach(async () => {
    await setup.cleanup()
  })

  it('never serves one user the value of another, fresh or stale or refreshed', async () => {
    const { server, schema } = await createServer(setup.process(), upstream)
    await setup.startWorker([], { schema, context: refreshContext })
    const users = ['ann', 'bob', 'cid']
    for (const userId of users) expect((await run(server, '{ myNotes }', { userId })).data.myNotes).toEqual([`notes of ${userId} v1`])
    for (const userId of users) {
      const again = await run(server, '{ myNotes }', { userId })
      expect(again.data.myNotes).toEqual([`notes of ${userId} v1`])
      expect(again.extensions?.cacheback).toMatchObject({ hit: 1 })
    }
    expect(upstream.calls.myNotes).toBe(3)

    upstream.version = 2
    setup.clock.advance(11)
    for (const userId of users) {
      const stale = await run(server, '{ myNotes }', { userId })
      expect(stale.data.myNotes).toEqual([`notes of ${userId} v1`])
      expect(stale.extensions?.cacheback.staleFields).toEqual([{ path: ['myNotes'], coordinate: 'Query.myNotes', age: 11, lifetime: 10, refresh: 'dispatched' }])
    }
    await setup.refreshed(3)
    for (const userId of users) expect((await run(server, '{ myNotes }', { userId })).data.myNotes).toEqual([`notes of ${userId} v2`])
    await server.stop()
  })

  it('bypasses the cache for a request without a scope', async () => {
    const { server } = await createServer(setup.process(), upstream)
    const first = await run(server, '{ myNotes }')
    const second = await run(server, '{ myNotes }')
    expect(first.data.myNotes).toEqual(['notes of undefined v1'])
    expect(second.extensions?.cacheback).toBeUndefined()
    expect(upstream.calls.myNotes).toBe(2)
    expect(setup.log.events).toEqual([])
    await server.stop()
  })
})
