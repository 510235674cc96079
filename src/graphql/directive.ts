/**
 * `cachebackDirective({ cache, scope, context })`: the `@cacheback` schema
 * transformer. It returns a new schema whose annotated resolvers (or default
 * property resolvers) read through the cache; the input is not mutated.
 */
import type { GraphQLFieldResolver, GraphQLResolveInfo, GraphQLSchema } from 'graphql'
import type { Cacheback } from '../cacheback.js'
import type { ReadResult } from '../results.js'
import { getDefaultCache } from '../default-cache.js'
import { CachebackError, isCachebackError, messageOf } from '../errors.js'
import { storeErrorEvent } from '../events.js'
import { type InvalidateOptions, modeOf } from '../invalidation/selectors.js'
import { withFoundTags } from './cache-tags.js'
import { type ResolverJobArgs, keyIdOf, parentForRefresh, scopeIdOf } from './field-keys.js'
import type { FieldPolicy } from './field-policy.js'
import { recordHit, recordRead } from './cache-reads.js'
import { AHEAD } from '../l1/field-hit.js'
import type { MemoId } from '../l1/key-memo.js'
import { ageSeconds } from '../policy.js'
import { readField } from './read-batch.js'
import { type CachedFieldExtension, type RefreshContextFactory, ResolverJob, forEachCachedField, refreshInfo, registerFieldJob } from './resolver-jobs.js'
import { fieldSelection } from './selection.js'
import { type DirectiveSelector, DirectiveFields, resolveDirectiveSelector } from './invalidate.js'
import { rememberSchemaCache } from './schema-directives.js'
import { cachebackTypeDefs } from './type-defs.js'

/** Options of `cachebackDirective`. */
export interface CachebackDirectiveOptions {
  /** The cache fields read through. @default the `configure`d (or embedded) default */
  cache?: Cacheback
  /**
   * The scope id of a request, for `PRIVATE` fields (a user id, say): a
   * string or a finite number, returned synchronously. A request whose scope
   * is undefined or null bypasses the cache for those fields; anything else
   * (an object, a Promise, NaN…) is `E_INVALID_SCOPE`: the field is served
   * uncached and the error reported (`store-error` event). Required when any
   * field is `PRIVATE`.
   */
  scope?: (context: any) => string | number | undefined | null
  /** Context of in-process refreshes. @default () => ({}) */
  context?: RefreshContextFactory
}

/** The directive's SDL, its schema transformer, and invalidation of the fields it caches. */
export interface CachebackDirective {
  typeDefs: string
  transformer: (schema: GraphQLSchema) => GraphQLSchema
  /**
   * Invalidates cached fields of the schema transformed last:
   * `{ entity: { type, id } }` (every cached field of that parent: all args,
   * all scopes), `{ coordinate, parent?, args?, scope? }` (one field's
   * entries: all, of one parent, of one scope, or with `args` one entry;
   * `args` as a client sends them, defaults applied), or `{ tag }`. Mode
   * `stale` (default) or `purge`. Resolves with the number of stored
   * entries marked or removed. An unknown coordinate or type is
   * `E_UNKNOWN_COORDINATE` / `E_UNKNOWN_TYPE`.
   * @example await cb.invalidate({ entity: { type: 'User', id: 'ann' } }, { mode: 'purge' })
   */
  invalidate: (selector: DirectiveSelector, options?: InvalidateOptions) => Promise<number>
  /** The cache the fields read through. */
  readonly cache: Cacheback
  /** @internal The cached fields of the schema transformed last. */
  readonly fields: DirectiveFields
}

interface WrapInput {
  cache: Cacheback
  job: ResolverJob
  resolve: GraphQLFieldResolver<unknown, unknown>
  scope?: CachebackDirectiveOptions['scope']
}

/** Lowers Apollo's cache-control hint of the field to its remaining freshness (`age`: of a hit, seconds). */
function restrictCacheHint(info: GraphQLResolveInfo, policy: FieldPolicy, status: ReadResult<unknown>['status'], age = 0): void {
  const control = (info as { cacheControl?: { cacheHint?: { restrict(hint: object): void } } }).cacheControl
  if (!control?.cacheHint) return
  const remaining = status === 'hit' ? Math.max(0, Math.floor(policy.lifetime - age)) : status === 'miss' ? policy.lifetime : 0
  control.cacheHint.restrict(policy.scope === 'PRIVATE' ? { maxAge: remaining, scope: 'PRIVATE' } : { maxAge: remaining })
}

/** The read of one field: its job arguments and key; undefined when it bypasses the cache (no scope). Throws the coded error of a read that cannot be keyed. */
function prepareRead({ cache, job, scope }: WrapInput, { parent, args, context, info }: { parent: unknown; args: Record<string, unknown>; context: unknown; info: GraphQLResolveInfo }): { jobArgs: ResolverJobArgs; key: string } | undefined {
  const { policy } = job
  let scopeId: string | null = null
  if (policy.scope === 'PRIVATE') {
    const id = scopeIdOf(policy, scope!(context))
    if (id === undefined) return undefined
    scopeId = id
  }
  const jobArgs: ResolverJobArgs = [parentForRefresh(policy, parent), args, scopeId]
  if (policy.keySelection) jobArgs.push(fieldSelection(info))
  const id = cache.l1 === undefined ? undefined : keyIdOf(policy, parent, args, scopeId) // the memo exists only with l1
  const key = id === undefined ? cache.keyOf(job, jobArgs) : cache.keyOfId(job, id, jobArgs)
  if (policy.tags) job.tags(...jobArgs) // a template naming an absent value (E_INVALID_TAG): served uncached
  return { jobArgs, key }
}

/** Records a served field and its cache hint; returns its value. */
function served(context: unknown, info: GraphQLResolveInfo, policy: FieldPolicy, result: ReadResult<unknown>): unknown {
  recordRead(context, result, info.path, policy.coordinate)
  restrictCacheHint(info, policy, result.status, result.age)
  return result.value
}

/** The error reported for a read served uncached because it cannot be keyed, naming the coordinate. */
function unkeyableRead(job: ResolverJob, error: unknown): CachebackError {
  const { coordinate } = job.policy
  if (isCachebackError(error) && error.coordinate === coordinate) return error
  const code = isCachebackError(error) ? error.code : 'E_INVALID_KEY'
  return new CachebackError(code, `${coordinate}: cannot key this read (${messageOf(error)}); served uncached`, { coordinate, job: job.name, cause: error })
}

/** The resolvers this module made (integrations check that a server kept them). */
const cachedResolvers = new WeakSet<object>()

/** @internal Whether `resolve` is a field resolver made by a `cachebackDirective` transformer. */
export function isCachedResolver(resolve: unknown): boolean {
  return typeof resolve === 'function' && cachedResolvers.has(resolve)
}

function wrapResolver(input: WrapInput): GraphQLFieldResolver<unknown, unknown> {
  const { cache, job, resolve } = input
  const { policy } = job
  // Not async: a fresh hit from the in-process tier is answered with the value itself, no promise.
  // The fast path of a fresh in-process hit: a PUBLIC field without tags or keySelection, keyed by its parent's id alone, the key remembered.
  const remembered = policy.scope !== 'PRIVATE' && !policy.tags && !policy.keySelection ? cache.l1?.memo?.keysOf(job) : undefined
  const cachedResolver: GraphQLFieldResolver<unknown, unknown> = function cachedResolver(parent, args, context, info) {
    let drewAhead = false
    if (remembered !== undefined) {
      const id = keyIdOf(policy, parent, args, null)
      const key = id === undefined ? undefined : remembered.get(id as MemoId)
      const held = key === undefined ? undefined : cache.fieldHitL1(job, key, policy.refreshAhead)
      if (held === AHEAD) drewAhead = true
      else if (held !== undefined) {
        recordHit(context)
        restrictCacheHint(info, policy, 'hit', ageSeconds(held, cache.now()))
        return cache.heldValue(held)
      }
    }
    let read: ReturnType<typeof prepareRead>
    try {
      read = prepareRead(input, { parent, args, context, info })
    } catch (error) {
      cache.emit(storeErrorEvent(unkeyableRead(job, error), job))
      return resolve(parent, args, context, info)
    }
    if (!read) return resolve(parent, args, context, info)
    const local = drewAhead ? cache.readL1Ahead(job, read.key, read.jobArgs) : cache.readL1(job, read.key, read.jobArgs)
    if (local !== undefined) return served(context, info, policy, local)
    return readField(info, cache, { job, key: read.key, args: read.jobArgs, fetch: async () => withFoundTags(await resolve(parent, args, context, info), info) }).then((result) => served(context, info, policy, result))
  }
  cachedResolvers.add(cachedResolver)
  return cachedResolver
}

/** Creates the `@cacheback` directive's typeDefs and transformer. */
export function cachebackDirective(options: CachebackDirectiveOptions = {}): CachebackDirective {
  const refreshContext = options.context ?? (() => ({}))
  const fields = new DirectiveFields()
  const cacheOf = () => options.cache ?? getDefaultCache()
  const transformer = (schema: GraphQLSchema): GraphQLSchema => {
    const cache = cacheOf()
    let transformed: GraphQLSchema | undefined
    const jobs = new Map<string, ResolverJob>()
    const result = forEachCachedField(schema, options.scope !== undefined, (type, fieldName, config, found) => {
      const job = new ResolverJob({ policy: found.policy, resolve: found.resolve, info: (selection) => refreshInfo({ schema: transformed!, typeName: type.name, fieldName, selection }), context: refreshContext, cache })
      registerFieldJob(cache, job)
      jobs.set(found.policy.coordinate, job)
      const extension: CachedFieldExtension = { policy: found.policy, resolve: found.resolve }
      return { ...config, resolve: wrapResolver({ cache, job, resolve: found.resolve, scope: options.scope }), extensions: { ...config.extensions, cacheback: extension } }
    })
    transformed = result
    fields.reset(result)
    for (const [coordinate, job] of jobs) fields.jobs.set(coordinate, job)
    rememberSchemaCache(result, directive)
    return result
  }
  const directive: CachebackDirective = {
    typeDefs: cachebackTypeDefs,
    transformer,
    invalidate: async (selector, invalidateOptions) => {
      const cache = cacheOf()
      return cache.invalidateResolved(resolveDirectiveSelector(cache, fields, selector), modeOf(invalidateOptions))
    },
    get cache() {
      return cacheOf()
    },
    fields,
  }
  return directive
}
