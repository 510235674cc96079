/** `graphql-cacheback/graphql`: the `@cacheback` directive (peers: `graphql`, `@graphql-tools/utils`). */
export { cachebackTypeDefs } from './type-defs.js'
export { cachebackDirective, type CachebackDirective, type CachebackDirectiveOptions } from './directive.js'
export { takeCacheReads, type CacheReads, type StaleField } from './cache-reads.js'
export { resolverJobs, ResolverJob, type ResolverJobOptions, type RefreshContextFactory, type ResolverJobsOptions } from './resolver-jobs.js'
export type { FieldPolicy } from './field-policy.js'
export type { ResolverJobArgs } from './field-keys.js'
export type { FieldSelection } from './selection.js'
