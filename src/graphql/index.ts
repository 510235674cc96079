/** `graphql-cacheback/graphql`: the `@cacheback` directive (peers: `graphql`, `@graphql-tools/utils`). */
export { cachebackTypeDefs } from './type-defs.js'
export { cachebackDirective, type CachebackDirective, type CachebackDirectiveOptions } from './directive.js'
export type { OperationReads, StaleField } from './read-batch.js'
export { operationReads } from './read-batch.js'
export { resolverJobs, ResolverJob, type ResolverJobOptions, type RefreshContextFactory, type ResolverJobsOptions } from './resolver-jobs.js'
export type { FieldPolicy } from './field-policy.js'
export type { ResolverJobArgs } from './field-keys.js'
