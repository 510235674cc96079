/**
 * `keyFields`: a field is keyed by the named fields of its parent. A parent
 * that lacks one (a key field computed by a resolver, or null) is a coded
 * error at read time (E_MISSING_KEY_FIELD), the field served uncached with
 * its own resolver's value, never one key shared by every such parent. And
 * the refresh payload of a keyFields field carries that projection of the
 * parent only, so the parent's other fields (a token, say) stay out of the
 * queue.
 */
import { ApolloServer } from '@apollo/server'
import { makeExecutableSchema } from '@graphql-tools/schema'
import { Redis } from 'ioredis'
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest'
import { type Cacheback, type CachebackError, isCachebackError } from '../../src/index.js'
import { cachebackDirective } from '../../src/graphql/index.js'
import { cachebackApolloPlugin } from '../../src/apollo/index.js'
import { jobIdOf } from '../../src/keys.js'
import { decodePayload } from '../../src/bee-queue/payload.js'
import { ENGINE_KINDS, type EngineSetup, createEngineSetup } from '../helpers/engine.js'
import { run } from '../helpers/graphql.js'

const SDL = /* GraphQL */ `
  type Query {
    posts(slugs: [String]!): [Post!]!
  }
  type Post {
    id: ID!
    slug: String
    title: String @cacheback(lifetime: 10, keyFields: ["slug"])
  }
`

interface Post {
  id: string
  slug?: string | null
  token?: string
}

/** `posts(slugs)`: one parent per entry; "computed" leaves the slug to the Post.slug resolver, null makes it null. */
async function postsServer(cache: Cacheback) {
  const calls = { title: 0 }
  const directive = cachebackDirective({ cache })
  const schema = directive.transformer(
    makeExecutableSchema({
      typeDefs: [directive.typeDefs, SDL],
      resolvers: {
        Query: {
          posts: (_: unknown, { slugs }: { slugs: (string | null)[] }): Post[] =>
            slugs.map((slug, i) => {
              const post: Post = { id: `p${i}`, token: `secret-token-${i}` }
              if (slug !== 'computed') post.slug = slug
              return post
            }),
        },
        Post: {
          slug: (post: Post) => post.slug ?? `computed-${post.id}`,
          title: (post: Post) => (calls.title++, `title of ${post.id}`),
        },
      },
    }),
  )
  const server = new ApolloServer({ schema, plugins: [cachebackApolloPlugin()] })
  await server.start()
  return { server: server as never as Parameters<typeof run>[0], calls }
}

const QUERY = 'query($slugs: [String]!) { posts(slugs: $slugs) { id title } }'

describe.each(ENGINE_KINDS)('keyFields on %s', (kind) => {
  let setup: EngineSetup
  beforeEach(() => {
    setup = createEngineSetup(kind)
  })
  afterEach(async () => {
    await setup.cleanup()
  })

  it('serves parents lacking a key field their own value, uncached, and reports E_MISSING_KEY_FIELD for each', async () => {
    const { server, calls } = await postsServer(setup.process())
    for (const round of [1, 2]) {
      const result = await run(server, QUERY, {}, { slugs: ['computed', 'computed', null] })
      expect(result.errors).toBeUndefined()
      expect(result.data.posts).toEqual([
        { id: 'p0', title: 'title of p0' },
        { id: 'p1', title: 'title of p1' },
        { id: 'p2', title: 'title of p2' },
      ])
      expect(result.extensions?.cacheback).toBeUndefined() // no cached read
      expect(calls.title).toBe(3 * round)
    }
    const errors = setup.log.events.map((e) => ('error' in e ? e.error : undefined)).filter((e): e is CachebackError => isCachebackError(e, 'E_MISSING_KEY_FIELD'))
    expect(errors).toHaveLength(6)
    expect(errors.map((e) => e.message)).toEqual(
      [1, 2].flatMap(() => [
        'Post.title: key field "slug" is missing on the parent (keyFields: slug); the field is served uncached',
        'Post.title: key field "slug" is missing on the parent (keyFields: slug); the field is served uncached',
        'Post.title: key field "slug" is null on the parent (keyFields: slug); the field is served uncached',
      ]),
    )
    expect(errors.every((e) => e.coordinate === 'Post.title' && e.job === 'graphql:Post.title')).toBe(true)
    expect(setup.log.events.filter((e) => e.type !== 'store-error')).toEqual([]) // nothing read or stored
    await server.stop()
  })

  it('caches parents that carry the key field, by that field', async () => {
    const { server, calls } = await postsServer(setup.process())
    const first = await run(server, QUERY, {}, { slugs: ['a', 'b'] })
    expect(first.extensions?.cacheback).toMatchObject({ miss: 2 })
    const second = await run(server, QUERY, {}, { slugs: ['a', 'b', 'computed'] })
    expect(second.data.posts.map((p: { title: string }) => p.title)).toEqual(['title of p0', 'title of p1', 'title of p2'])
    expect(second.extensions?.cacheback).toMatchObject({ hit: 2, miss: 0 })
    expect(calls.title).toBe(3)
    await server.stop()
  })
})

describe('the refresh payload of a keyFields field', () => {
  let setup: EngineSetup
  beforeEach(() => {
    setup = createEngineSetup('redis')
  })
  afterEach(async () => {
    await setup.cleanup()
  })

  it('carries the keyFields projection of the parent, not its other fields', async () => {
    const cache = setup.process() // no worker: the refresh stays queued for the test to read
    const { server } = await postsServer(cache)
    await run(server, QUERY, {}, { slugs: ['a'] })
    setup.clock.advance(11)
    const stale = await run(server, QUERY, {}, { slugs: ['a'] })
    expect(stale.extensions?.cacheback.staleFields).toMatchObject([{ coordinate: 'Post.title', refresh: 'dispatched' }])
    const [dispatched] = setup.log.of('refresh-dispatched')
    expect(dispatched.via).toBe('bee-queue')
    const admin = new Redis(inject('redisUrl'))
    try {
      const stored = await admin.hget(`bq:${setup.namespace}:jobs`, jobIdOf(dispatched.key!))
      expect(stored).not.toContain('secret-token')
      const request = decodePayload(JSON.parse(stored!).data)
      expect(request).toMatchObject({ job: 'graphql:Post.title', key: dispatched.key })
      expect(request.args).toEqual([{ slug: 'a' }, {}, null]) // parent projection, coerced args, no scope
    } finally {
      admin.disconnect()
    }
    await server.stop()
  })
})
