/**
 * `cachebackDirective({ cache, scope, context })`: the `@cacheback` schema
 * transformer. It returns a new schema whose annotated resolvers (or default
 * property resolvers) read through the cache; the input is not mutated.
 */
import type { GraphQLFieldResolver, GraphQLResolveInfo, GraphQLSchema } from 'graphql'
import type { Cacheback } from '../cacheback.js'
import type { ReadResult } from '../results.js'
import { getDefaultCache } from '../default-cache.js'
import { CachebackError, messageOf } from '../errors.js'
import { storeErrorEvent } from '../events.js'
import { type ResolverJobArgs, parentForRefresh } from './field-keys.js'
import type { FieldPolicy } from './field-policy.js'
import { readField, recordField } from './read-batch.js'
import { type CachedFieldExtension, type RefreshContextFactory, ResolverJob, forEachCachedField, refreshInfo, registerFieldJob } from './resolver-jobs.js'
import { cachebackTypeDefs } from './type-defs.js'

/** Options of `cachebackDirective`. */
export interface CachebackDirectiveOptions {
  /** The cache fields read through. @default the `configure`d (or embedded) default */
  cache?: Cacheback
  /**
   * The scope id of a request, for `PRIVATE` fields (a user id, say). A
   * request whose scope is undefined bypasses the cache for those fields.
   * Required when any field is `PRIVATE`.
   */
  scope?: (context: any) => string | number | undefined | null
  /** Context of in-process refreshes. @default () => ({}) */
  context?: RefreshContextFactory
}

/** The directive's SDL and its schema transformer. */
export interface CachebackDirective {
  typeDefs: string
  transformer: (schema: GraphQLSchema) => GraphQLSchema
}

interface WrapInput {
  cache: Cacheback
  job: ResolverJob
  resolve: GraphQLFieldResolver<unknown, unknown>
  scope?: CachebackDirectiveOptions['scope']
}

/** Lowers Apollo's cache-control hint of the field to its remaining freshness. */
function restrictCacheHint(info: GraphQLResolveInfo, policy: FieldPolicy, result: ReadResult<unknown>): void {
  const control = (info as { cacheControl?: { cacheHint?: { restrict(hint: object): void } } }).cacheControl
  if (!control?.cacheHint) return
  const remaining = result.status === 'hit' ? Math.max(0, Math.floor(policy.lifetime - (result.age ?? 0))) : result.status === 'miss' ? policy.lifetime : 0
  control.cacheHint.restrict(policy.scope === 'PRIVATE' ? { maxAge: remaining, scope: 'PRIVATE' } : { maxAge: remaining })
}

function wrapResolver({ cache, job, resolve, scope }: WrapInput): GraphQLFieldResolver<unknown, unknown> {
  const { policy } = job
  return async function cachedResolver(parent, args, context, info) {
    let scopeId: string | null = null
    if (policy.scope === 'PRIVATE') {
      const id = scope!(context)
      if (id === undefined || id === null) return resolve(parent, args, context, info)
      scopeId = String(id)
    }
    const jobArgs: ResolverJobArgs = [parentForRefresh(policy, parent), args, scopeId]
    let key: string
    try {
      key = cache.keyOf(job, jobArgs)
    } catch (error) {
      cache.emit(storeErrorEvent(new CachebackError('E_INVALID_PAYLOAD', `${policy.coordinate}: cannot key this read (${messageOf(error)}); served uncached`, { coordinate: policy.coordinate, job: job.name, cause: error }), job))
      return resolve(parent, args, context, info)
    }
    const result = await readField(context, cache, job, key, jobArgs, () => resolve(parent, args, context, info))
    recordField(context, result, info.path, policy.coordinate)
    restrictCacheHint(info, policy, result)
    return result.value
  }
}

/** Creates the `@cacheback` directive's typeDefs and transformer. */
export function cachebackDirective(options: CachebackDirectiveOptions = {}): CachebackDirective {
  const refreshContext = options.context ?? (() => ({}))
  const transformer = (schema: GraphQLSchema): GraphQLSchema => {
    const cache = options.cache ?? getDefaultCache()
    let transformed: GraphQLSchema | undefined
    const result = forEachCachedField(schema, options.scope !== undefined, (type, fieldName, config, found) => {
      const job = new ResolverJob(found.policy, found.resolve, () => refreshInfo(transformed!, type.name, fieldName), refreshContext, cache)
      registerFieldJob(cache, job)
      const extension: CachedFieldExtension = { policy: found.policy, resolve: found.resolve }
      return { ...config, resolve: wrapResolver({ cache, job, resolve: found.resolve, scope: options.scope }), extensions: { ...config.extensions, cacheback: extension } }
    })
    transformed = result
    return result
  }
  return { typeDefs: cachebackTypeDefs, transformer }
}
