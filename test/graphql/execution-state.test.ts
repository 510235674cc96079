/**
 * Reads are grouped per execution, not per context object: with plain
 * graphql-js `execute` and one context for every operation, values follow
 * the store, an error is not served again and what is recorded stays
 * bounded; without a context the reads of one tick share one `getMany`; the
 * events of a subscription (graphql-js, and @graphql-tools/executor as in
 * GraphQL Yoga, which reuses one variables object for all events) each read
 * the store afresh and report their own reads.
 */
import { subscribe as toolsSubscribe } from '@graphql-tools/executor'
import { makeExecutableSchema } from '@graphql-tools/schema'
import { type ExecutionResult, execute, parse, subscribe } from 'graphql'
import { beforeEach, describe, expect, it } from 'vitest'
import { Cacheback, InProcessRefresher, MemoryStore } from '../../src/index.js'
import { cachebackDirective, takeCacheReads } from '../../src/graphql/index.js'
import { createClock } from '../helpers/clock.js'
import { type Upstream, createUpstream, resolvers, typeDefs } from '../helpers/graphql.js'

/** A MemoryStore that counts its reads (the calls the read path makes, not a mock of them). */
class CountingStore extends MemoryStore {
  getManyCalls: number[] = []
  override getMany(keys: string[]) {
    this.getManyCalls.push(keys.length)
    return super.getMany(keys)
  }
}

/** Pushed values, delivered one by one to a subscription. */
function pushable<T>() {
  const values: T[] = []
  let wake: (() => void) | undefined
  return {
    push(value: T) {
      values.push(value)
      wake?.()
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        while (values.length > 0) yield values.shift()!
        await new Promise<void>((resolve) => (wake = resolve))
      }
    },
  }
}

let upstream: Upstream
let store: CountingStore
let clock: ReturnType<typeof createClock>
let cache: Cacheback
let events: ReturnType<typeof pushable<object>>
let schema: ReturnType<typeof makeExecutableSchema>
beforeEach(() => {
  upstream = createUpstream()
  store = new CountingStore()
  clock = createClock()
  cache = new Cacheback({ store, refresher: new InProcessRefresher(), now: clock.now })
  events = pushable<object>()
  const directive = cachebackDirective({ cache, scope: (ctx: { userId?: string }) => ctx?.userId })
  schema = directive.transformer(
    makeExecutableSchema({
      typeDefs: [directive.typeDefs, typeDefs, 'type Subscription { userEvents: User! }'],
      resolvers: { ...resolvers(upstream), Subscription: { userEvents: { subscribe: () => events } } },
    }),
  )
})

const run = (query: string, contextValue?: object) => execute({ schema, document: parse(query), contextValue }) as Promise<ExecutionResult<any>>

describe('one context object shared by every execute()', () => {
  const shared = {}

  it('serves what the store holds, never an older value', async () => {
    expect((await run('{ search(q: "x") }', shared)).data).toEqual({ search: ['x#1'] })
    upstream.version = 2
    clock.advance(11)
    expect((await run('{ search(q: "x") }', shared)).data).toEqual({ search: ['x#1'] }) // stale, refresh dispatched
    await cache.drain()
    expect((await run('{ search(q: "x") }', shared)).data).toEqual({ search: ['x#2'] })
    expect(takeCacheReads(shared)).toMatchObject({ hit: 1, stale: 1, miss: 1 })
  })

  it('does not serve an error again', async () => {
    upstream.failing = true
    const failed = await run('{ search(q: "y") }', shared)
    expect(failed.errors?.[0].message).toBe('upstream is down')
    upstream.failing = false
    const next = await run('{ search(q: "y") }', shared)
    expect(next.errors).toBeUndefined()
    expect(next.data).toEqual({ search: ['y#1'] })
    expect(upstream.calls.search).toBe(2)
  })

  it('records counts and at most 100 stale fields when nobody takes them, and takes reset them', async () => {
    takeCacheReads(shared) // what the tests above left
    await run('{ search(q: "z") }', shared)
    upstream.failing = true // refreshes fail: the entry stays stale for every read below
    clock.advance(11)
    for (let i = 0; i < 1000; i++) await run('{ search(q: "z") }', shared)
    await cache.drain()
    const reads = takeCacheReads(shared)!
    expect(reads).toMatchObject({ hit: 0, stale: 1000, miss: 1 })
    expect(reads.staleFields).toHaveLength(100)
    expect(takeCacheReads(shared)).toBeUndefined()
  })
})

it('batches the reads of one tick without a context: 50 fields, one getMany', async () => {
  await run('{ users(count: 50) { tweets { text } } }')
  store.getManyCalls = []
  const warm = await run('{ users(count: 50) { tweets { text } } }')
  expect(warm.data?.users[49].tweets[0].text).toBe('tweet 0 of 49 v1')
  expect(store.getManyCalls).toEqual([50])
  expect(upstream.calls.tweets).toBe(50)
})

describe.each([
  ['graphql-js subscribe', subscribe],
  ['@graphql-tools/executor subscribe (GraphQL Yoga)', toolsSubscribe],
])('a subscription (%s)', (_name, subscribeWith) => {
  it('reads the store afresh for every event, which reports its own reads', async () => {
    const context = {}
    const stream = (await subscribeWith({ schema, document: parse('subscription { userEvents { id tweets { text } } }'), contextValue: context })) as AsyncIterator<ExecutionResult<any>>
    const next = async () => {
      events.push({ userEvents: { id: '7', name: 'user 7' } })
      const { value } = await stream.next()
      return { text: value.data.userEvents.tweets[0].text, reads: takeCacheReads(context) }
    }
    expect(await next()).toEqual({ text: 'tweet 0 of 7 v1', reads: { hit: 0, stale: 0, miss: 1, staleFields: [] } })
    expect(await next()).toEqual({ text: 'tweet 0 of 7 v1', reads: { hit: 1, stale: 0, miss: 0, staleFields: [] } })
    upstream.version = 2
    clock.advance(11)
    const stale = await next()
    expect(stale).toMatchObject({ text: 'tweet 0 of 7 v1', reads: { stale: 1, staleFields: [{ path: ['userEvents', 'tweets'], coordinate: 'User.tweets' }] } })
    await cache.drain()
    expect(await next()).toEqual({ text: 'tweet 0 of 7 v2', reads: { hit: 1, stale: 0, miss: 0, staleFields: [] } })
    await stream.return?.()
  })
})
