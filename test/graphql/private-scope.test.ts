/**
 * PRIVATE fields: values keyed by the request's scope id, never served to
 * another scope, refreshed with the scope's context; no scope, no cache; a
 * scope id that is not a string or a finite number (an object, a Promise…)
 * is a coded error, and the field is served uncached.
 */
import { ApolloServer } from '@apollo/server'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Cacheback, type CachebackError, isCachebackError } from '../../src/index.js'
import { cachebackDirective } from '../../src/graphql/index.js'
import { cachebackApolloPlugin } from '../../src/apollo/index.js'
import { ENGINE_KINDS, type EngineSetup, createEngineSetup } from '../helpers/engine.js'
import { type AppContext, type Upstream, baseSchema, createServer, createUpstream, refreshContext, run } from '../helpers/graphql.js'

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

// ---- scope ids that are not a string or a finite number ------------------------

/** A started ApolloServer over the test schema whose directive takes this `scope` function. */
async function serverWithScope(cache: Cacheback, upstream: Upstream, scope: (ctx: any) => unknown) {
  const directive = cachebackDirective({ cache, scope: scope as never, context: refreshContext })
  const server = new ApolloServer<AppContext>({ schema: directive.transformer(baseSchema(upstream, directive.typeDefs)), plugins: [cachebackApolloPlugin()] })
  await server.start()
  return server
}

/** The E_INVALID_SCOPE errors reported so far. */
function invalidScopes(setup: EngineSetup): CachebackError[] {
  return setup.log.events.filter((e) => 'error' in e && isCachebackError(e.error, 'E_INVALID_SCOPE')).map((e) => ('error' in e ? e.error : undefined) as CachebackError)
}

describe.each(ENGINE_KINDS)('scope ids on %s', (kind) => {
  let setup: EngineSetup
  let upstream: Upstream
  beforeEach(() => {
    setup = createEngineSetup(kind)
    upstream = createUpstream()
  })
  afterEach(async () => {
    await setup.cleanup()
  })

  const cases: [string, (ctx: AppContext & { user?: object }) => unknown, RegExp][] = [
    ['an async scope function (a Promise)', async (ctx) => ctx.userId, /returned a Promise \(an async scope function is not awaited\)/],
    ['an object (ctx.user)', (ctx) => ctx.user, /returned an object/],
  ]
  it.each(cases)('%s: user B never gets user A\'s value; served uncached, E_INVALID_SCOPE reported naming the field', async (_name, scope, message) => {
    const server = await serverWithScope(setup.process(), upstream, scope)
    const as = (userId: string) => ({ userId, user: { id: userId, token: `secret-token-of-${userId}` } })
    for (const userId of ['ann', 'bob', 'ann', 'bob']) {
      const result = await run(server, '{ myNotes }', as(userId))
      expect(result.errors).toBeUndefined()
      expect(result.data.myNotes).toEqual([`notes of ${userId} v1`])
      expect(result.extensions?.cacheback).toBeUndefined() // no cached field read
    }
    expect(upstream.calls.myNotes).toBe(4)
    const errors = invalidScopes(setup)
    expect(errors).toHaveLength(4)
    for (const error of errors) {
      expect(error).toMatchObject({ code: 'E_INVALID_SCOPE', coordinate: 'Query.myNotes', job: 'graphql:Query.myNotes' })
      expect(error.message).toMatch(/^Query\.myNotes: the scope function /)
      expect(error.message).toMatch(message)
      expect(error.message).not.toContain('secret-token') // the scope's content is never in the message
    }
    expect(setup.log.events.filter((e) => e.type !== 'store-error')).toEqual([]) // nothing read or stored
    await server.stop()
  })

  it('refuses NaN, Infinity, booleans, bigints, symbols, arrays and functions as scope ids, never coercing them', async () => {
    const bad: unknown[] = [Number.NaN, Number.POSITIVE_INFINITY, true, 1n, Symbol('ann'), ['ann'], () => 'ann']
    let next = 0
    const server = await serverWithScope(setup.process(), upstream, () => bad[next])
    for (; next < bad.length; next++) {
      const result = await run(server, '{ myNotes }', { userId: 'ann' })
      expect(result.data.myNotes).toEqual(['notes of ann v1'])
    }
    expect(upstream.calls.myNotes).toBe(bad.length)
    expect(invalidScopes(setup).map((e) => e.message.replace(/^Query\.myNotes: the scope function returned (.*), not a string.*$/, '$1'))).toEqual(['NaN', 'Infinity', 'a boolean', 'a bigint', 'a symbol', 'an array', 'a function'])
    await server.stop()
  })

  it('caches per scope for strings and finite numbers, lone surrogates included', async () => {
    const ids: Record<string, string | number> = { n42: 42, zero: 0, ann: 'ann', high: 'eve\ud800', low: 'eve\udbff', replaced: 'eve\ufffd' }
    const server = await serverWithScope(setup.process(), upstream, (ctx) => ids[ctx.userId!])
    for (const round of [1, 2]) {
      for (const userId of Object.keys(ids)) {
        const result = await run(server, '{ myNotes }', { userId })
        expect(result.data.myNotes).toEqual([`notes of ${userId} v1`])
        expect(result.extensions?.cacheback).toMatchObject(round === 1 ? { miss: 1 } : { hit: 1 })
      }
    }
    expect(upstream.calls.myNotes).toBe(Object.keys(ids).length)
    expect(invalidScopes(setup)).toEqual([])
    await server.stop()
  })
})
