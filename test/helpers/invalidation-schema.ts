/**
 * The schema of the GraphQL invalidation tests: users with tagged tweets, a
 * score and run-time-tagged mentions; a root field with a default argument;
 * a PRIVATE field per profile; a type cached whole with a composite
 * identity; and a `postTweet` mutation. Resolvers count their calls and
 * read the upstream's `version`, so a refetch shows.
 */
import { makeExecutableSchema } from '@graphql-tools/schema'
import { type GraphQLResolveInfo, type GraphQLSchema, graphql } from 'graphql'
import type { Cacheback } from '../../src/index.js'
import { cacheTags, cachebackDirective, takeCacheReads } from '../../src/graphql/index.js'

export const typeDefs = /* GraphQL */ `
  type Query {
    user(id: ID!): User
    numbered: [User!]!
    trending(limit: Int = 3): [String!]! @cacheback(lifetime: 10)
    me: Profile
    team(org: String!, slug: String!): Team
  }
  type User {
    id: ID!
    tweets(limit: Int = 2, lang: String): [String!]! @cacheback(lifetime: 10, tags: ["tweets:{parent.id}", "limit:{args.limit}"])
    score: Int @cacheback(lifetime: 10)
    mentions: [String!]! @cacheback(lifetime: 10)
    card: Card @cacheback(lifetime: 10, keySelection: true)
  }
  type Card {
    title: String!
    body: String!
  }
  type Profile {
    id: ID!
    notes(page: Int = 1): [String!]! @cacheback(lifetime: 10, scope: PRIVATE, tags: ["notes:{scope}"])
  }
  type Team @cacheback(lifetime: 10, keyFields: ["org", "slug"]) {
    org: String!
    slug: String!
    members: Int!
  }
  type Tweet {
    id: ID!
    text: String!
    author: User!
  }
  type Mutation {
    postTweet(user: ID!, text: String!): Tweet!
  }
`

export interface Upstream {
  version: number
  calls: Record<string, number>
}

export interface TestContext {
  userId?: string
}

function resolvers(upstream: Upstream) {
  const count = (name: string) => (upstream.calls[name] = (upstream.calls[name] ?? 0) + 1)
  return {
    Query: {
      user: (_: unknown, { id }: { id: string }) => ({ id }),
      numbered: () => [{ id: 1 }, { id: 2 }],
      trending: (_: unknown, { limit }: { limit: number }) => (count('trending'), [`trending ${limit} v${upstream.version}`]),
      me: (_: unknown, __: unknown, ctx: TestContext) => (ctx.userId ? { id: ctx.userId } : null),
      team: (_: unknown, args: { org: string; slug: string }) => (count('team'), { ...args, members: upstream.version }),
    },
    User: {
      tweets: (user: { id: string }, { limit }: { limit: number }) => (count('tweets'), [`${limit} tweets of ${user.id} v${upstream.version}`]),
      score: (user: { id: string }) => (count('score'), upstream.version),
      card: (user: { id: string }) => ({ title: `card of ${user.id}`, body: `v${upstream.version}` }),
      mentions: (user: { id: string }, _: unknown, __: unknown, info: GraphQLResolveInfo) => {
        count('mentions')
        const mentioned = user.id === 'ann' ? ['cat', 'dan'] : ['eve']
        cacheTags(info, ...mentioned.map((name) => `mention:${name}`))
        return mentioned.map((name) => `@${name} v${upstream.version}`)
      },
    },
    Card: {},
    Profile: {
      notes: (profile: { id: string }, { page }: { page: number }) => (count('notes'), [`notes ${page} of ${profile.id} v${upstream.version}`]),
    },
    Mutation: {
      postTweet: (_: unknown, { user, text }: { user: string; text: string }) => (upstream.version++, { id: `t${upstream.version}`, text, author: { id: user } }),
    },
  }
}

/** The transformed schema, its directive and upstream, and `query` to run an operation in a context of its own. */
export function invalidationSchema(cache: Cacheback) {
  const upstream: Upstream = { version: 1, calls: {} }
  const directive = cachebackDirective({ cache, scope: (ctx: TestContext) => ctx.userId })
  const schema: GraphQLSchema = directive.transformer(makeExecutableSchema({ typeDefs: [directive.typeDefs, typeDefs], resolvers: resolvers(upstream) }))
  const query = async (source: string, context: TestContext = {}) => {
    const contextValue = { ...context }
    const result = await graphql({ schema, source, contextValue })
    if (result.errors) throw result.errors[0]
    await cache.drain()
    return { data: result.data as any, reads: takeCacheReads(contextValue) }
  }
  return { upstream, directive, schema, query }
}
