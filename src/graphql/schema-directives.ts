/**
 * Which directive transformed a schema, so that server plugins given only
 * the schema (`invalidateOnMutation: true`) find the cached fields and their
 * cache. Weak: a schema no one holds is forgotten.
 */
import type { GraphQLSchema } from 'graphql'
import type { Cacheback } from '../cacheback.js'
import type { InvalidateOptions } from '../invalidation/selectors.js'
import type { DirectiveFields, DirectiveSelector } from './invalidate.js'

/** What a plugin needs of the directive that transformed a schema. */
export interface SchemaCache {
  readonly cache: Cacheback
  invalidate(selector: DirectiveSelector, options?: InvalidateOptions): Promise<number>
  /** The cached fields of the schema transformed last. */
  readonly fields: DirectiveFields
}

const bySchema = new WeakMap<GraphQLSchema, SchemaCache>()

/** Remembers that `directive` made `schema`. */
export function rememberSchemaCache(schema: GraphQLSchema, directive: SchemaCache): void {
  bySchema.set(schema, directive)
}

/** The directive that made `schema`, if it was one of ours. */
export function schemaCacheOf(schema: GraphQLSchema): SchemaCache | undefined {
  return bySchema.get(schema)
}
