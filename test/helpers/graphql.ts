/**
 * A small schema in the spirit of the reference design (users and their
 * tweets), with resolvers that count their calls, served by a real
 * ApolloServer with the cacheback directive and plugin.
 */
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server'
import { makeExecutableSchema } from '@graphql-tools/schema'
import type { GraphQLSchema } from 'graphql'
import { type Cacheback } from '../../src/index.js'
import { cachebackDirective } from '../../src/graphql/index.js'
import { cachebackApolloPlugin } from '../../src/apollo/index.js'

export const typeDefs = /* GraphQL */ `
  type Query {
    user(id: ID!): User
    users(count: Int!): [User!]!
    me: Profile
    myNotes: [String!] @cacheback(lifetime: 10, scope: PRIVATE)
    search(q: String!, page: Int): [String!]! @cacheback(lifetime: 10, keyArgs: ["q"])
  }
  type User {
    id: ID!
    name: String!
    tweets(limit: Int = 2): [Tweet!]! @cacheback(lifetime: 10)
    lazyBio: String @cacheback(lifetime: 10, fetchOnMiss: false)
    joined: Stamp @cacheback(lifetime: 10)
  }
  type Stamp {
    iso: String!
  }
  type Tweet {
    id: ID!
    text: String!
    likes: Int @cacheback(lifetime: 10)
  }
  type Profile {
    id: ID!
    email: String @cacheback(lifetime: 10, scope: PRIVATE)
  }
`

/** A class instance with a getter: the store round-trip would lose it. */
export class Stamp {
  constructor(private readonly day: number) {}
  get iso(): string {
    return new Date(Date.UTC(2026, 0, this.day)).toISOString()
  }
}

export interface Upstream {
  version: number
  /** When set, search throws (an upstream outage). */
  failing?: boolean
  calls: Record<string, number>
}

export function createUpstream(): Upstream {
  return { version: 1, calls: {} }
}

export interface AppContext {
  userId?: string
}

export function resolvers(upstream: Upstream) {
  const count = (name: string) => (upstream.calls[name] = (upstream.calls[name] ?? 0) + 1)
  return {
    Query: {
      user: (_: unknown, { id }: { id: string }) => ({ id, name: `user ${id}` }),
      users: (_: unknown, { count: n }: { count: number }) => Array.from({ length: n }, (_, i) => ({ id: String(i), name: `user ${i}` })),
      me: (_: unknown, __: unknown, ctx: AppContext) => (ctx.userId ? { id: ctx.userId } : null),
      myNotes: (_: unknown, __: unknown, ctx: AppContext) => (count('myNotes'), [`notes of ${ctx.userId} v${upstream.version}`]),
      search: (_: unknown, { q }: { q: string }) => {
        count('search')
        if (upstream.failing) throw new Error('upstream is down')
        return [`${q}#${upstream.version}`]
      },
    },
    User: {
      joined: (user: { id: string }) => (count('joined'), new Stamp(Number(user.id))),
      lazyBio: (user: { id: string }) => (count('lazyBio'), `bio of ${user.id}`),
      tweets: (user: { id: string }, { limit }: { limit: number }) => {
        count('tweets')
        return Array.from({ length: limit }, (_, i) => ({ id: `${user.id}-${i}`, text: `tweet ${i} of ${user.id} v${upstream.version}` }))
      },
    },
    Tweet: {
      likes: (tweet: { id: string }) => (count('likes'), tweet.id.length * 10 + upstream.version),
    },
    Profile: {
      email: (profile: { id: string }) => {
        count('email')
        return `${profile.id}@example.com v${upstream.version}`
      },
    },
  }
}

/** Refreshes run as the scope's user: the scope id is the user id. */
export const refreshContext = ({ scope }: { scope: string | undefined }): AppContext => ({ userId: scope })

/** The untransformed schema (directive in the SDL). */
export function baseSchema(upstream: Upstream, directiveTypeDefs: string): GraphQLSchema {
  return makeExecutableSchema({ typeDefs: [directiveTypeDefs, typeDefs], resolvers: resolvers(upstream) })
}

/** A started ApolloServer over the transformed schema. */
export async function createServer(cache: Cacheback, upstream: Upstream, plugins: ApolloServerPlugin<AppContext>[] = [], start = true) {
  const directive = cachebackDirective({ cache, scope: (ctx: AppContext) => ctx.userId, context: refreshContext })
  const schema = directive.transformer(baseSchema(upstream, directive.typeDefs))
  const server = new ApolloServer<AppContext>({ schema, plugins: [cachebackApolloPlugin(), ...plugins] })
  if (start) await server.start()
  return { server, schema }
}

/** Runs one operation and returns its single result (data, errors, extensions). */
export async function run(server: ApolloServer<AppContext>, query: string, context: AppContext = {}, variables?: Record<string, unknown>) {
  const response = await server.executeOperation({ query, variables }, { contextValue: { ...context } })
  if (response.body.kind !== 'single') throw new Error('expected a single result')
  return response.body.singleResult as { data?: any; errors?: any[]; extensions?: any }
}
