/**
 * The SDL of the `@cacheback` directive and its `CachebackScope` enum, the
 * same text as `schema-directives/cacheback.graphql` (a test keeps them equal).
 */
export const cachebackTypeDefs = /* GraphQL */ `
"""
Who may share a cached value: PUBLIC values are shared by every request;
PRIVATE values are keyed by the request's scope id (see \`scope\` in
\`cachebackDirective\`) and never served to another scope.
"""
enum CachebackScope {
  PUBLIC
  PRIVATE
}

"""
Serves the field (or every field of the type) from the graphql-cacheback
cache with stale-while-revalidate: fresh for \`lifetime\` seconds, then served
stale at once while a worker refreshes it, gone after \`ttl\` seconds.
"""
directive @cacheback(
  "Seconds a value is fresh."
  lifetime: Int = 600
  "Seconds until a value is gone (a read is a miss). Must be >= lifetime."
  ttl: Int = 2592000
  "On a miss, run the resolver now (true) or return null and refresh in the background (false; nullable fields only)."
  fetchOnMiss: Boolean = true
  "Seconds one dispatched refresh holds the key's refresh lock."
  refreshTimeout: Int = 60
  "PUBLIC: shared by all requests. PRIVATE: keyed by the request's scope id."
  scope: CachebackScope = PUBLIC
  "Arguments that make up the key. Default: all arguments."
  keyArgs: [String!]
  "Fields of the parent that identify it. Default: id when the parent has one, else the whole parent."
  keyFields: [String!]
  "bee-queue queue for this field's refreshes; a worker started with that queue runs them. Default: the refresher's queue."
  queue: String
) on FIELD_DEFINITION | OBJECT
`
