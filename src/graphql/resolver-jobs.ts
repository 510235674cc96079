/**
 * Resolver jobs: one `Job` per cached field coordinate. A refresh re-runs the
 * original resolver with the stored parent and args, a context from the
 * `context({ coordinate, scope })` factory (never a live request's), and a
 * minimal `info`.
 */
import { MapperKind, mapSchema } from '@graphql-tools/utils'
import {
  type GraphQLFieldConfig,
  type GraphQLFieldResolver,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  defaultFieldResolver,
} from 'graphql'
import type { Cacheback } from '../cacheback.js'
import { CachebackError } from '../errors.js'
import type { EntityRef } from '../invalidation/entity.js'
import { NO_TAGS } from '../invalidation/tags.js'
import { Job } from '../job.js'
import { withFoundTags } from './cache-tags.js'
import { fieldEntity, fieldGroups } from './field-index.js'
import { type ResolverJobArgs, fieldKeyParts } from './field-keys.js'
import { type FieldPolicy, fieldPolicy } from './field-policy.js'
import { fillTagTemplates } from './tag-templates.js'

/** Builds the context a refresh runs with. @default () => ({}) */
export type RefreshContextFactory = (input: { coordinate: string; scope: string | undefined }) => object | Promise<object>

/** What the transformer leaves on a wrapped field, for workers to find. */
export interface CachedFieldExtension {
  policy: FieldPolicy
  resolve: GraphQLFieldResolver<unknown, unknown>
}

/** Prefix of the job names of cached fields. */
export const FIELD_JOB_PREFIX = 'graphql:'

/** Job name of a field coordinate. */
export function jobNameOf(coordinate: string): string {
  return `${FIELD_JOB_PREFIX}${coordinate}`
}

/** Registers a field job with its cache, and how to explain a payload naming a field the cache lacks. */
export function registerFieldJob(cache: Cacheback, job: ResolverJob): void {
  cache.addJobFamily(FIELD_JOB_PREFIX, unknownFieldError)
  cache.register(job)
}

function unknownFieldError(name: string, key: string): CachebackError {
  const coordinate = name.slice(FIELD_JOB_PREFIX.length)
  return new CachebackError('E_UNKNOWN_COORDINATE', `No cached field ${coordinate} in this worker's schema (is the worker's schema the server's, with @cacheback on ${coordinate}?)`, { job: name, key, coordinate })
}

/** One cached field. */
export class ResolverJob extends Job<ResolverJobArgs, unknown> {
  constructor(
    readonly policy: FieldPolicy,
    private readonly original: GraphQLFieldResolver<unknown, unknown>,
    private readonly info: () => GraphQLResolveInfo,
    private readonly context: RefreshContextFactory,
    cache: Cacheback,
  ) {
    super({ name: jobNameOf(policy.coordinate), cache, lifetime: policy.lifetime, ttl: policy.ttl, refreshTimeout: policy.refreshTimeout, fetchOnMiss: policy.fetchOnMiss, queue: policy.queue })
  }

  override key(...args: ResolverJobArgs): unknown {
    return fieldKeyParts(this.policy, args)
  }

  override get coordinate(): string {
    return this.policy.coordinate
  }

  /** The refresh: the original resolver, with a factory context (and the tags it adds with `cacheTags`). */
  async fetch(parent: unknown, args: Record<string, unknown>, scope: string | null): Promise<unknown> {
    const context = await this.context({ coordinate: this.policy.coordinate, scope: scope ?? undefined })
    const info = this.info()
    return withFoundTags(await this.original(parent, args, context, info), info)
  }

  /** The `tags` templates, filled (`E_INVALID_TAG` when one names an absent value). */
  override tags(parent: unknown, args: Record<string, unknown>, scope: string | null): readonly string[] {
    return this.policy.tags ? fillTagTemplates(this.policy.tags, this.policy.coordinate, { parent, args, scope }) : NO_TAGS
  }

  /** The parent's entity: its type and identity (`keyFields`, else `id`). */
  override entity(parent: unknown): EntityRef | undefined {
    return fieldEntity(this.policy, parent)
  }

  override indexGroups(...args: ResolverJobArgs): readonly unknown[] {
    return fieldGroups(this.policy, args)
  }

  /** A value the store would change is served uncached (already reported as store-error). */
  override unstorable(_error: CachebackError, value: unknown): unknown {
    return value
  }

}

/** The `info` a refresh gets: field name, parent and return type, schema, path. */
export function refreshInfo(schema: GraphQLSchema, typeName: string, fieldName: string): GraphQLResolveInfo {
  const parentType = schema.getType(typeName) as GraphQLObjectType
  const field = parentType.getFields()[fieldName]
  return {
    fieldName,
    fieldNodes: [],
    returnType: field.type,
    parentType,
    path: { prev: undefined, key: fieldName, typename: typeName },
    schema,
    fragments: {},
    rootValue: undefined,
    operation: undefined as never,
    variableValues: {},
  } as GraphQLResolveInfo
}

/** Visits every cached field: (type, field name, field config, policy, original resolver). */
export function forEachCachedField(
  schema: GraphQLSchema,
  hasScopeFunction: boolean,
  visit: (type: GraphQLObjectType, fieldName: string, config: GraphQLFieldConfig<unknown, unknown>, found: CachedFieldExtension) => GraphQLFieldConfig<unknown, unknown> | void,
): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (config, fieldName, typeName) => {
      const type = schema.getType(typeName) as GraphQLObjectType
      const existing = config.extensions?.cacheback as CachedFieldExtension | undefined
      const policy = existing?.policy ?? fieldPolicy(schema, type, fieldName, config, hasScopeFunction)
      if (!policy) return config
      return visit(type, fieldName, config, existing ?? { policy, resolve: config.resolve ?? defaultFieldResolver }) ?? config
    },
  })
}

/** Options of `resolverJobs`. */
export interface ResolverJobsOptions {
  cache: Cacheback
  /** Context factory for refreshes. @default () => ({}) */
  context?: RefreshContextFactory
}

/** The resolver jobs of every cached field of a schema (transformed or not), registered with the cache. */
export function resolverJobs(schema: GraphQLSchema, options: ResolverJobsOptions): ResolverJob[] {
  const jobs: ResolverJob[] = []
  const context = options.context ?? (() => ({}))
  forEachCachedField(schema, true, (type, fieldName, _config, found) => {
    const job = new ResolverJob(found.policy, found.resolve, () => refreshInfo(schema, type.name, fieldName), context, options.cache)
    registerFieldJob(options.cache, job)
    jobs.push(job)
  })
  return jobs
}
