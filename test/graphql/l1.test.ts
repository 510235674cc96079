/**
 * The GraphQL hit path with an in-process tier: a fresh hit is answered by
 * the field's resolver synchronously (the value, no promise), only the
 * fields the tier cannot answer go into the batched store read, a resolver
 * changing a cached value cannot change what the next request sees, and the
 * remembered `{ id }` keys are the keys the full path builds.
 */
import { makeExecutableSchema } from '@graphql-tools/schema'
import fc from 'fast-check'
import { type GraphQLObjectType, type GraphQLSchema, graphql } from 'graphql'
import { afterEach, describe, expect, it } from 'vitest'
import { Cacheback, type CachebackOptions, MemoryStore } from '../../src/index.js'
import { cachebackDirective, cachebackTypeDefs } from '../../src/graphql/index.js'
import { takeCacheReads as operationReads } from '../../src/graphql/cache-reads.js'
import { uniqueNamespace } from '../helpers/namespace.js'

const typeDefs = /* GraphQL */ `
  type Query {
    items(ids: [Int!]!): [Item!]!
  }
  type Item {
    id: Int!
    details: Details @cacheback(lifetime: 60)
    shout: String
  }
  type Details {
    handle: String!
    tags: [String!]!
    loud: String!
  }
`

/** A MemoryStore counting the keys asked for in batched reads. */
class CountingStore extends MemoryStore {
  batchedKeys = 0
  override async getMany(keys: readonly string[]) {
    this.batchedKeys += keys.length
    return super.getMany(keys)
  }
}

const caches: Cacheback[] = []
afterEach(async () => {
  await Promise.all(caches.splice(0).map((c) => c.close()))
})

function setup(options: Partial<CachebackOptions> = {}) {
  const store = new CountingStore()
  const cache = new Cacheback({ store, namespace: uniqueNamespace('gl1'), l1: { maxEntries: 100 }, ...options })
  caches.push(cache)
  let fetches = 0
  const resolvers = {
    Query: { items: (_: unknown, { ids }: { ids: number[] }) => ids.map((id) => ({ id })) },
    Item: { details: ({ id }: { id: number }) => (fetches++, { handle: `h${id}`, tags: ['a'] }) },
    // A careless resolver: changes the cached object it was given.
    Details: {
      loud: (details: { handle: string; tags: string[] }) => {
        details.handle = details.handle.toUpperCase()
        details.tags.push('loud')
        return details.handle
      },
    },
  }
  const schema = cachebackDirective({ cache }).transformer(makeExecutableSchema({ typeDefs: [cachebackTypeDefs, typeDefs], resolvers }))
  const query = (ids: number[], fields = 'handle tags') => graphql({ schema, source: `{ items(ids: ${JSON.stringify(ids)}) { id details { ${fields} } } }`, contextValue: {} })
  return { cache, store, schema, query, fetches: () => fetches }
}

function detailsResolver(schema: GraphQLSchema) {
  return (schema.getType('Item') as GraphQLObjectType).getFields().details.resolve!
}

describe('GraphQL with an in-process tier', () => {
  it('answers a fresh hit synchronously: the resolver returns the value, not a promise', async () => {
    const { schema, query } = setup()
    await query([1])
    await query([1]) // the store hit admits it
    const context = {}
    const answer = detailsResolver(schema)({ id: 1 }, {}, context, { path: { key: 'details', prev: undefined, typename: 'Item' } } as never)
    expect(answer).not.toBeInstanceOf(Promise)
    expect(answer).toEqual({ handle: 'h1', tags: ['a'] })
    expect(operationReads(context)).toMatchObject({ hit: 1, stale: 0, miss: 0 })
  })

  it('sends only the fields the tier cannot answer into the batched store read', async () => {
    const { store, query, fetches } = setup()
    await query([1, 2])
    await query([1, 2])
    store.batchedKeys = 0
    const result = await query([1, 2, 3])
    expect(result.data?.items).toEqual([1, 2, 3].map((id) => ({ id, details: { handle: `h${id}`, tags: ['a'] } })))
    expect(store.batchedKeys).toBe(1)
    expect(fetches()).toBe(3)
  })

  it('a resolver mutating a cached value fails that field; the next request sees the value unchanged', async () => {
    const { query } = setup()
    await query([1])
    await query([1])
    const careless = await query([1], 'handle tags loud')
    expect(careless.errors?.[0].message).toMatch(/read only|not extensible|Cannot assign/)
    expect((await query([1])).data?.items).toEqual([{ id: 1, details: { handle: 'h1', tags: ['a'] } }])
  })

  it("with protect: 'copy' the careless resolver works on its own copy", async () => {
    const { query } = setup({ l1: { protect: 'copy' } })
    await query([1])
    await query([1])
    const careless = await query([1], 'handle tags loud')
    expect(careless.errors).toBeUndefined()
    expect(careless.data?.items).toEqual([{ id: 1, details: { handle: 'h1', tags: ['a'], loud: 'H1' } }])
    expect((await query([1])).data?.items).toEqual([{ id: 1, details: { handle: 'h1', tags: ['a'] } }])
  })

  it('refreshes ahead from a tier hit: the draw is made once, the hit is still answered at once, and the extensions count it', async () => {
    let now = 1_700_000_000_000
    const draw = { value: 0.5 }
    const cache = new Cacheback({ store: new MemoryStore(), namespace: uniqueNamespace('gl1'), l1: { maxEntries: 100 }, now: () => now, random: () => (draws++, draw.value) })
    caches.push(cache)
    let draws = 0
    let fetches = 0
    const resolvers = {
      Query: { items: (_: unknown, { ids }: { ids: number[] }) => ids.map((id) => ({ id })) },
      Item: { details: ({ id }: { id: number }) => ((now += 1000), { handle: `h${id}.${++fetches}`, tags: [] }) }, // δ = 1 s
    }
    const sdl = typeDefs.replace('@cacheback(lifetime: 60)', '@cacheback(lifetime: 60, refreshAhead: 1)')
    const schema = cachebackDirective({ cache }).transformer(makeExecutableSchema({ typeDefs: [cachebackTypeDefs, sdl], resolvers }))
    const run = async () => {
      const contextValue = {}
      const result = await graphql({ schema, source: '{ items(ids: [1]) { details { handle } } }', contextValue })
      return { handle: (result.data?.items as { details: { handle: string } }[])[0].details.handle, reads: operationReads(contextValue) }
    }
    await run() // the miss: fetched, written
    await run() // a store hit: admitted to the tier
    now += 58_000 // 1 s of freshness left; with δ·β = 1 s a draw refreshes ahead when −ln(1 − r) ≥ 1
    draws = 0
    expect(await run()).toMatchObject({ handle: 'h1.1', reads: { hit: 1 } }) // −ln 0.5 < 1: a plain tier hit
    expect(draws).toBe(1)
    expect(fetches).toBe(1)
    draw.value = 0.9 // −ln 0.1 ≥ 1
    draws = 0
    const ahead = await run()
    expect(ahead).toMatchObject({ handle: 'h1.1', reads: { hit: 1, refreshAhead: 1 } })
    expect(draws).toBe(1) // drawn on the fast path only, not again by the full read that dispatches
    await cache.drain()
    expect(fetches).toBe(2)
    now += 1_000
    await run() // the refreshed entry, from the store, admitted again
    expect((await run()).handle).toBe('h1.2')
  })

  it('remembers { id } keys that equal the keys the full path builds', () => {
    const namespace = uniqueNamespace('gl1')
    const withTier = setup({ namespace })
    const plain = new Cacheback({ namespace })
    caches.push(plain)
    const job = withTier.cache.findJob('graphql:Item.details')!
    const ids = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ maxLength: 40 }), fc.constant(-0))
    fc.assert(
      fc.property(ids, (id) => {
        const args = [{ id }, {}, null]
        const remembered = withTier.cache.keyOfId(job, id, args)
        expect(withTier.cache.keyOfId(job, id, args)).toBe(remembered)
        expect(remembered).toBe(plain.keyOf(job, args))
      }),
    )
  })
})
