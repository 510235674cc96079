/**
 * The cache key of one field read, as the directive builds it: the field's
 * job (from the schema's `@cacheback` fields), the parent, the arguments
 * coerced to their GraphQL types with the schema's defaults applied, and the
 * scope id for PRIVATE fields.
 */
import { type GraphQLSchema, coerceInputValue, isObjectType } from 'graphql'
import type { Cacheback } from '../cacheback.js'
import { parentForRefresh } from '../graphql/field-keys.js'
import { registerFieldJobs } from '../dashboard/field-jobs.js'
import { jobNameOf, type ResolverJob } from '../graphql/resolver-jobs.js'
import { UsageError } from './setup.js'

/** One field read to locate. */
export interface FieldRead {
  coordinate: string
  parent?: unknown
  args?: Record<string, unknown>
  scope?: string
}

/** The key of a field read; a usage error when the schema has no such cached field. */
export async function fieldKey(cache: Cacheback, schema: GraphQLSchema, read: FieldRead): Promise<string> {
  const [typeName, fieldName] = read.coordinate.split('.')
  const type = schema.getType(typeName)
  const field = isObjectType(type) ? type.getFields()[fieldName] : undefined
  if (!field) throw new UsageError(`the schema has no field ${read.coordinate}`)
  await registerFieldJobs(cache, schema)
  const job = cache.findJob(jobNameOf(read.coordinate)) as ResolverJob | undefined
  if (!job) throw new UsageError(`${read.coordinate} is not a @cacheback field`)
  const given = read.args ?? {}
  const args: Record<string, unknown> = {}
  for (const arg of field.args) {
    if (given[arg.name] !== undefined) args[arg.name] = coerceInputValue(given[arg.name], arg.type)
    else if (arg.defaultValue !== undefined) args[arg.name] = arg.defaultValue
  }
  const unknown = Object.keys(given).filter((name) => !field.args.some((arg) => arg.name === name))
  if (unknown.length) throw new UsageError(`${read.coordinate} has no argument ${unknown.join(', ')}`)
  if (job.policy.scope === 'PRIVATE' && read.scope === undefined) throw new UsageError(`${read.coordinate} is PRIVATE: give --scope`)
  const scope = job.policy.scope === 'PRIVATE' ? String(read.scope) : null
  return cache.keyOf(job, [parentForRefresh(job.policy, read.parent), args, scope])
}
