/**
 * Resolver jobs: one `Job` per cached field coordinate. A refresh re-runs the
 * original resolver with the stored parent and args, a context from the
 * `context({ coordinate, scope })` factory (never a live request's), and a
 * minimal `info`.
 */
import { MapperKind, mapSchema } from '@graphql-tools/utils'
import {
  type FieldNode,
  type GraphQLFieldConfig,
  type GraphQLFieldResolver,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  defaultFieldResolver,
  parse,
} from 'graphql'
import type { Cacheback } from '../cacheback.js'
import { CachebackError } from '../errors.js'
import type { EntityRef } from '../invalidation/entity.js'
import { NO_TAGS } from '../invalidation/tags.js'
import { Job } from '../job.js'
import { withFoundTags } from './cache-tags.js'
import { fieldEntity, fieldGroups } from './field-index.js'
import { type ResolverJobArgs, fieldKeyParts } from './field-keys.js'
import { hideFromSupergraph } from './federation.js'
import { type FieldPolicy, fieldPolicy } from './field-policy.js'
import type { FieldSelection } from './selection.js'
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

/** What a {@link ResolverJob} is made of. */
export interface ResolverJobOptions {
  /** The field's policy (from its `@cacheback`). */
  policy: FieldPolicy
  /** The field's own resolver. */
  resolve: GraphQLFieldResolver<unknown, unknown>
  /** The resolve info a refresh passes to the resolver (given the field's selection with `keySelection: true`). */
  info: (selection?: FieldSelection) => GraphQLResolveInfo
  /** The context a refresh passes to the resolver. */
  context: RefreshContextFactory
  cache: Cacheback
}

/** One cached field. */
export class ResolverJob extends Job<ResolverJobArgs, unknown> {
  readonly policy: FieldPolicy
  private readonly original: GraphQLFieldResolver<unknown, unknown>
  private readonly info: (selection?: FieldSelection) => GraphQLResolveInfo
  private readonly context: RefreshContextFactory

  constructor({ policy, resolve, info, context, cache }: ResolverJobOptions) {
    super({ name: jobNameOf(policy.coordinate), cache, lifetime: policy.lifetime, ttl: policy.ttl, refreshTimeout: policy.refreshTimeout, fetchOnMiss: policy.fetchOnMiss, queue: policy.queue, refreshAhead: policy.refreshAhead })
    this.policy = policy
    this.original = resolve
    this.info = info
    this.context = context
  }

  override key(...args: ResolverJobArgs): unknown {
    return fieldKeyParts(this.policy, args)
  }

  override get coordinate(): string {
    return this.policy.coordinate
  }

  /** The refresh: the original resolver, with a factory context (a root field gets `undefined` as parent), and the tags it adds with `cacheTags`. */
  async fetch(parent: unknown, args: Record<string, unknown>, scope: string | null, selection?: FieldSelection): Promise<unknown> {
    const context = await this.context({ coordinate: this.policy.coordinate, scope: scope ?? undefined })
    const info = this.info(selection)
    return withFoundTags(await this.original(this.policy.root ? undefined : parent, args, context, info), info)
  }

  /** The `tags` templates, filled (`E_INVALID_TAG` when one names an absent value). */
  override tags(parent: unknown, args: Record<string, unknown>, scope: string | null, _selection?: FieldSelection): readonly string[] {
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

/** Where a refresh's `info` is built: the schema and the field. */
export interface RefreshInfoInput {
  schema: GraphQLSchema
  typeName: string
  fieldName: string
  /** The field's normalized selection (`keySelection: true`). */
  selection?: FieldSelection
}

/**
 * The `info` a refresh gets: field name, parent and return type, schema,
 * path; with a selection (`keySelection: true`) also the field's node with
 * its selection set (fragments inlined), an operation holding it, and the
 * variables it uses. Without one, `fieldNodes` is empty.
 */
export function refreshInfo({ schema, typeName, fieldName, selection }: RefreshInfoInput): GraphQLResolveInfo {
  const parentType = schema.getType(typeName) as GraphQLObjectType
  const field = parentType.getFields()[fieldName]
  let operation: OperationDefinitionNode | undefined
  if (selection) {
    const definition = parse(`{ ${fieldName} ${selection.selection} }`, { noLocation: true }).definitions[0]
    if (definition.kind === Kind.OPERATION_DEFINITION) operation = definition
  }
  const fieldNode = operation?.selectionSet.selections[0] as FieldNode | undefined
  return {
    fieldName,
    fieldNodes: fieldNode ? [fieldNode] : [],
    returnType: field.type,
    parentType,
    path: { prev: undefined, key: fieldName, typename: typeName },
    schema,
    fragments: {},
    rootValue: undefined,
    operation: operation as never,
    variableValues: { ...selection?.variables },
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
      const policy = existing?.policy ?? fieldPolicy({ schema, type, fieldName, field: config, hasScopeFunction })
      if (!policy) return hideFromSupergraph(type === schema.getQueryType(), fieldName, config)
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
    const job = new ResolverJob({ policy: found.policy, resolve: found.resolve, info: (selection) => refreshInfo({ schema, typeName: type.name, fieldName, selection }), context, cache: options.cache })
    registerFieldJob(options.cache, job)
    jobs.push(job)
  })
  return jobs
}
