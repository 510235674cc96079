/**
 * What an ops process (the dashboard, `cacheback inspect` / `invalidate`)
 * needs of the schema: its cached fields registered with the cache, and an
 * invalidator that understands field and entity selectors.
 */
import type { GraphQLSchema } from 'graphql'
import type { Cacheback } from '../cacheback.js'
import type { Invalidator } from './invalidate.js'

/** Registers the schema's cached fields unless they already are (a worker's jobs carry its refresh context: never replaced). */
export async function registerFieldJobs(cache: Cacheback, schema: GraphQLSchema): Promise<void> {
  const { forEachCachedField, jobNameOf, resolverJobs } = await import('../graphql/resolver-jobs.js')
  let missing = false
  forEachCachedField(schema, true, (type, fieldName) => {
    if (!cache.findJob(jobNameOf(`${type.name}.${fieldName}`))) missing = true
  })
  if (missing) resolverJobs(schema, { cache })
}

/** Options of {@link invalidatorFor}. */
export interface InvalidatorOptions {
  cache: Cacheback
  /** With a schema, field (`coordinate`) and entity selectors are checked against it and resolved as the directive does. */
  schema?: GraphQLSchema
  /** The refresh context of the field jobs the directive registers (a worker's own). @default () => ({}) */
  context?: (input: { coordinate: string; scope: string | undefined }) => object | Promise<object>
}

/** The cache, or with a schema a directive over it, as what invalidates. */
export async function invalidatorFor(options: InvalidatorOptions): Promise<Invalidator> {
  const { cache, schema } = options
  if (!schema) return cache as unknown as Invalidator
  const { cachebackDirective } = await import('../graphql/directive.js')
  // A scope function only so PRIVATE fields transform: selectors without `scope` reach every scope.
  const directive = cachebackDirective({ cache, scope: () => undefined, context: options.context })
  directive.transformer(schema)
  return directive as unknown as Invalidator
}
