/**
 * Tags of cached fields: `tags` templates checked at transform time (each
 * bad one a schema error naming the coordinate), a template naming a value
 * absent at read time (reported, served uncached), `cacheTags` at run time,
 * and the hot read path with tags in use: still one MGET for 100 fields.
 */
import { makeExecutableSchema } from '@graphql-tools/schema'
import { graphql } from 'graphql'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Cacheback, InProcessRefresher } from '../../src/index.js'
import { RedisStore } from '../../src/redis/index.js'
import { cacheTags, cachebackDirective, takeCacheReads } from '../../src/graphql/index.js'
import { createClock } from '../helpers/clock.js'
import { EventLog } from '../helpers/events.js'
import { type RedisServerHandle, commandStats, startRedisServer } from '../helpers/redis-server.js'

function transform(sdl: string, options: { scope?: boolean; cache?: Cacheback; resolvers?: Record<string, any> } = {}) {
  const directive = cachebackDirective({ cache: options.cache ?? new Cacheback(), scope: options.scope ? () => 'u' : undefined })
  const schema = makeExecutableSchema({ typeDefs: [directive.typeDefs, sdl], resolvers: options.resolvers ?? {} })
  return { directive, run: () => directive.transformer(schema) }
}

const TYPES = 'type Query { u(id: ID, f: Filter): User } input Filter { lang: String, nested: Filter } type User { id: ID name: String friend: User '

describe('tag templates at transform time', () => {
  it.each([
    ['User.a', `${TYPES} a: String @cacheback(tags: ["x:{parent.nope}"]) }`, /tag "x:\{parent\.nope\}": \{parent\.nope\}: User has no field "nope"/],
    ['User.a', `${TYPES} a(n: Int): String @cacheback(tags: ["x:{args.m}"]) }`, /the field has no argument "m" \(arguments: n\)/],
    ['User.a', `${TYPES} a: String @cacheback(tags: ["x:{scope}"]) }`, /names the scope, but the field is PUBLIC/],
    ['User.a', `${TYPES} a: String @cacheback(tags: ["x:{user.id}"]) }`, /names no parent field, argument or scope/],
    ['User.a', `${TYPES} a: String @cacheback(tags: ["x:{parent}"]) }`, /names no parent field, argument or scope/],
    ['User.a', `${TYPES} a: String @cacheback(tags: ["x:{parent.friend}"]) }`, /names an object \(User\)/],
    ['User.a', `${TYPES} a: String @cacheback(tags: ["x:{parent.friend.nope}"]) }`, /"nope" is not a field of User/],
    ['User.a', `${TYPES} a(f: Filter): String @cacheback(tags: ["x:{args.f}"]) }`, /names an input object \(Filter\)/],
    ['User.a', `${TYPES} a: String @cacheback(keyFields: ["id"], tags: ["x:{parent.name}"]) }`, /"name" is not one of keyFields \(id\)/],
    ['User.a', `${TYPES} a: String @cacheback(tags: ["x:{parent.id"]) }`, /unmatched brace/],
    ['User.a', `${TYPES} a: String @cacheback(tags: [""]) }`, /empty string/],
  ])('rejects %s: %s', (coordinate, sdl, message) => {
    const { run } = transform(sdl)
    expect(run).toThrowError(message)
    expect(run).toThrowError(expect.objectContaining({ code: 'E_SCHEMA', coordinate }))
  })

  it('accepts parent, nested parent, argument, nested argument and scope placeholders', () => {
    const sdl = `${TYPES} a(f: Filter): String @cacheback(scope: PRIVATE, tags: ["p:{parent.id}:{parent.friend.name}", "a:{args.f.nested.lang}", "s:{scope}", "plain"]) }`
    expect(() => transform(sdl, { scope: true }).run()).not.toThrow()
  })
})

describe('tags at read time', () => {
  const sdl = 'type Query { post(id: ID!, author: ID): Post } type Post { id: ID! author: ID body: String @cacheback(lifetime: 10, tags: ["author:{parent.author}"]) mentions: [String!]! @cacheback(lifetime: 10) }'
  const calls = { body: 0 }
  const resolvers = {
    Query: { post: (_: unknown, args: { id: string; author?: string }) => ({ id: args.id, author: args.author ?? null }) },
    Post: {
      body: (post: { id: string }) => (calls.body++, `body of ${post.id}`),
      mentions: (post: { id: string }, _: unknown, __: unknown, info: never) => {
        cacheTags(info, `mentioned-by:${post.id}`)
        return ['@ann']
      },
    },
  }

  it('serves a field uncached and reports it when a template names an absent value', async () => {
    const log = new EventLog()
    const cache = new Cacheback({ onEvent: log.listener })
    const schema = transform(sdl, { cache, resolvers }).run()
    for (let i = 0; i < 2; i++) await graphql({ schema, source: '{ post(id: "1") { body } }', contextValue: {} })
    expect(calls.body).toBe(2)
    const errors = log.of('store-error').map((e) => e.error as { code: string; message: string })
    expect(errors).toHaveLength(2)
    expect(errors[0]).toMatchObject({ code: 'E_INVALID_TAG', message: expect.stringContaining('Post.body: tag "author:{parent.author}" names {parent.author}, which is absent in this read; served uncached') })
    const contextValue = {}
    await graphql({ schema, source: '{ post(id: "2", author: "ann") { body } }', contextValue })
    expect(takeCacheReads(contextValue)).toMatchObject({ miss: 1 })
    expect(await cache.invalidate({ tag: 'author:ann' })).toBe(1)
  })

  it('files run-time tags, and refuses a tag that is not a string', async () => {
    const cache = new Cacheback()
    const { directive, run } = transform(sdl, { cache, resolvers })
    const schema = run()
    await graphql({ schema, source: '{ post(id: "7") { mentions } }', contextValue: {} })
    expect(await directive.invalidate({ tag: 'mentioned-by:7' })).toBe(1)
    expect(() => cacheTags({ parentType: { name: 'Post' }, fieldName: 'mentions' } as never, 42 as never)).toThrowError(expect.objectContaining({ code: 'E_INVALID_TAG', coordinate: 'Post.mentions' }))
  })
})

describe('the hot read path with tags in use', () => {
  let redis: RedisServerHandle
  let admin: Redis
  beforeAll(async () => {
    redis = await startRedisServer()
    admin = new Redis(redis.url)
  })
  afterAll(async () => {
    admin.disconnect()
    await redis.stop()
  })

  it('reads 100 tagged fields of an entity type with one MGET', async () => {
    const clock = createClock()
    const cache = new Cacheback({ store: new RedisStore({ redis: redis.url }), refresher: new InProcessRefresher(), now: clock.now })
    const schema = transform('type Query { items: [Item!]! } type Item { id: ID! details: String @cacheback(tags: ["item:{parent.id}", "all-items"]) }', {
      cache,
      resolvers: { Query: { items: () => Array.from({ length: 100 }, (_, id) => ({ id })) }, Item: { details: (item: { id: number }) => `details ${item.id}` } },
    }).run()
    const read = async () => {
      const contextValue = {}
      await graphql({ schema, source: '{ items { details } }', contextValue })
      return takeCacheReads(contextValue)
    }
    expect(await read()).toMatchObject({ miss: 100 })
    await admin.config('RESETSTAT')
    expect(await read()).toMatchObject({ hit: 100 })
    const calls = Object.fromEntries(Object.entries(await commandStats(admin)).filter(([name]) => !/^(info|config)/.test(name)))
    expect(calls).toEqual({ mget: 1 })
    expect(await cache.invalidate({ entity: { type: 'Item', id: 42 } })).toBe(1)
    expect(await cache.invalidate({ tag: 'all-items' }, { mode: 'purge' })).toBe(100)
    await cache.close()
  })
})
