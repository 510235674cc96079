/**
 * `graphql-list`: a query returning 100 items, each with a `@cacheback`
 * field, all fresh in Redis. Apollo Server + cacheback against the same
 * server without a cache, and Mercurius + mercurius-cache against Mercurius
 * without a cache; requests/s, p99 and Redis commands per query.
 */
import type { Scenario } from '../scenario.js'

export const graphqlList: Scenario = {
  name: 'graphql-list',
  title: '100 cached fields in one query: overhead ratio and Redis round-trips, against mercurius-cache',
  pending: 'waits for the GraphQL layer (src/graphql/)',
}
