/**
 * The example schema: users, their profiles and tweets, and a signed-in
 * user's timeline, all fetched from the slow upstream. The server and the
 * worker build it alike; the server then applies the `@cacheback`
 * transformer, the worker re-runs its resolvers for refreshes.
 *
 * `Query.user` is cheap on purpose (it returns `{ id }` without calling the
 * upstream), so the upstream is only called by the cached fields below it,
 * and `profile` and `tweets` are fetched side by side.
 */
import { makeExecutableSchema } from '@graphql-tools/schema'
import type { GraphQLResolveInfo, GraphQLSchema } from 'graphql'
import type { Cacheback } from 'graphql-cacheback'
import { type RefreshContextFactory, cacheTags, cachebackTypeDefs } from 'graphql-cacheback/graphql'
import type { Lifetimes } from './settings.js'
import type { UpstreamClient, UpstreamTweet, UpstreamUser } from './upstream.js'

/** The context resolvers get: the upstream client, the signed-in user (`x-user` header), and the cache (for `postTweet`'s invalidation). */
export interface ExampleContext {
  upstream: UpstreamClient
  userId?: string
  cache?: Cacheback
}

/** The example's SDL, with the given lifetimes (and `refreshTimeout`, when given) in the `@cacheback` directives. */
export function exampleTypeDefs(lifetimes: Lifetimes, refreshTimeout?: number): string {
  const timeout = refreshTimeout === undefined ? '' : `, refreshTimeout: ${refreshTimeout}`
  return /* GraphQL */ `
    type Query {
      "A user: ann, bob or cat."
      user(id: ID!): User
      "Latest tweets of the people the signed-in user (the x-user header) follows; null when signed out. Tagged tweets:<author> per tweet, at run time."
      timeline(limit: Int = 3): [Tweet!] @cacheback(lifetime: ${lifetimes.tweets}, ttl: 3600, scope: PRIVATE${timeout})
    }
    type Mutation {
      "Posts a tweet as user, then invalidates every cached value tagged tweets:<user> (soft: served stale once and refreshed; purge: fetched by the next read)."
      postTweet(user: ID!, text: String!, purge: Boolean = false): PostedTweet!
    }
    type PostedTweet {
      tweet: Tweet!
      "Cached values invalidated (the user's tweets, timelines showing their tweets)."
      invalidated: Int!
    }
    type User {
      id: ID!
      "Null for an unknown user."
      profile: Profile @cacheback(lifetime: ${lifetimes.profile}, ttl: 3600${timeout})
      tweets(limit: Int = 3): [Tweet!]! @cacheback(lifetime: ${lifetimes.tweets}, ttl: 3600, tags: ["tweets:{parent.id}"]${timeout})
    }
    type Profile {
      name: String!
      bio: String!
      followers: Int!
    }
    type Tweet {
      id: ID!
      author: ID!
      text: String!
      createdAt: String!
    }
  `
}

const resolvers = {
  Query: {
    user: (_: unknown, { id }: { id: string }) => ({ id }),
    timeline: async (_: unknown, { limit }: { limit: number }, { upstream, userId }: ExampleContext, info: GraphQLResolveInfo) => {
      if (!userId) return null
      const tweets = (await upstream.get<UpstreamTweet[]>(`/users/${encodeURIComponent(userId)}/timeline?limit=${limit}`)) ?? []
      cacheTags(info, ...new Set(tweets.map((tweet) => `tweets:${tweet.author}`)))
      return tweets
    },
  },
  Mutation: {
    postTweet: async (_: unknown, { user, text, purge }: { user: string; text: string; purge: boolean }, { upstream, cache }: ExampleContext) => {
      const tweet = await upstream.post<UpstreamTweet>(`/users/${encodeURIComponent(user)}/tweets`, { text })
      if (!tweet) throw new Error(`no user ${user}`)
      const invalidated = (await cache?.invalidate({ tag: `tweets:${user}` }, { mode: purge ? 'purge' : 'stale' })) ?? 0
      return { tweet, invalidated }
    },
  },
  User: {
    profile: ({ id }: { id: string }, _: unknown, { upstream }: ExampleContext) => upstream.get<Omit<UpstreamUser, 'follows'>>(`/users/${encodeURIComponent(id)}`),
    tweets: async ({ id }: { id: string }, { limit }: { limit: number }, { upstream }: ExampleContext) =>
      (await upstream.get<UpstreamTweet[]>(`/users/${encodeURIComponent(id)}/tweets?limit=${limit}`)) ?? [],
  },
}

/** The untransformed schema (directive in the SDL, original resolvers). */
export function exampleSchema(lifetimes: Lifetimes, refreshTimeout?: number): GraphQLSchema {
  return makeExecutableSchema({ typeDefs: [cachebackTypeDefs, exampleTypeDefs(lifetimes, refreshTimeout)], resolvers })
}

/**
 * The context refreshes run with: never a live request's, but one built from
 * the scope id (for the PRIVATE `timeline`, the signed-in user's id).
 */
export function refreshContext(upstream: UpstreamClient): RefreshContextFactory {
  return ({ scope }): ExampleContext => ({ upstream, userId: scope })
}
