/**
 * Registers a schema's cached fields with a cache unless they already are
 * (a worker's jobs carry its refresh context: they are never replaced), so
 * field and entity selectors and field keys resolve in an ops process.
 */
import type { GraphQLSchema } from 'graphql'
import type { Cacheback } from '../cacheback.js'

export async function registerFieldJobs(cache: Cacheback, schema: GraphQLSchema): Promise<void> {
  const { forEachCachedField, jobNameOf, resolverJobs } = await import('../graphql/resolver-jobs.js')
  let missing = false
  forEachCachedField(schema, true, (type, fieldName) => {
    if (!cache.findJob(jobNameOf(`${type.name}.${fieldName}`))) missing = true
  })
  if (missing) resolverJobs(schema, { cache })
}
