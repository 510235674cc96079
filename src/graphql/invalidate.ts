/**
 * The directive's selectors: `{ coordinate, parent?, args?, scope? }` (one
 * field's entries: all, of one parent, of one scope, or one entry), plus
 * `{ entity }` and `{ tag }` as `cache.invalidate` takes them, checked
 * against the transformed schema (an unknown coordinate or type is a coded
 * error naming it) and resolved to the store targets the field's writes
 * are filed under (`field-index.ts`).
 */
import { type GraphQLField, type GraphQLSchema, coerceInputValue, isNonNullType } from 'graphql'
import type { Cacheback } from '../cacheback.js'
import { CachebackError, messageOf } from '../errors.js'
import { groupIndex, jobIndex } from '../invalidation/index-keys.js'
import { type EntitySelector, type ResolvedSelector, type TagSelector, entityTarget, selectorError, selectorKind, tagTarget } from '../invalidation/selectors.js'
import { entityIdentity, fieldGroup, groupParentId } from './field-index.js'
import { keyArgsOf, parentForRefresh } from './field-keys.js'
import type { ResolverJob } from './resolver-jobs.js'

/** One field's entries: all of them, of one parent, of one scope, or (with `args`) one entry. */
export interface FieldSelector {
  /** `Type.field`. */
  coordinate: string
  /** The parent object, or its identity fields (`{ id: 'ann' }`, or its `keyFields`). Omitted: every parent. */
  parent?: Record<string, unknown>
  /** The field's arguments as a client would send them (defaults applied, as the key does). Omitted: all arguments. */
  args?: Record<string, unknown>
  /** A PRIVATE field's scope id. Omitted: every scope. */
  scope?: string | number
}

/** What `cachebackDirective(...).invalidate` takes. */
export type DirectiveSelector = FieldSelector | EntitySelector | TagSelector

/** What the directive knows of the schema it transformed last. */
export class DirectiveFields {
  schema: GraphQLSchema | undefined
  readonly jobs = new Map<string, ResolverJob>()

  /** Forgets the previous schema's fields (a transformer run starts over). */
  reset(schema: GraphQLSchema): void {
    this.schema = schema
    this.jobs.clear()
  }
}

/** Resolves a directive selector; `E_UNKNOWN_COORDINATE`, `E_UNKNOWN_TYPE` or `E_INVALID_SELECTOR` for a bad one. */
export function resolveDirectiveSelector(cache: Cacheback, fields: DirectiveFields, selector: DirectiveSelector): ResolvedSelector {
  switch (selectorKind(selector, ['coordinate', 'entity', 'tag'] as const)) {
    case 'tag':
      return tagTarget(cache.namespace, (selector as TagSelector).tag)
    case 'entity': {
      const { entity } = selector as EntitySelector
      checkType(fields, entity?.type)
      return entityTarget(cache.namespace, entity)
    }
    case 'coordinate':
      return fieldTarget(cache, fields, selector as FieldSelector)
  }
}

function checkType(fields: DirectiveFields, type: unknown): void {
  if (typeof type !== 'string') return // entityTarget says what is wrong
  const cached = [...fields.jobs.values()].some((job) => job.policy.parentType === type)
  if (cached) return
  const known = fields.schema?.getType(type) !== undefined
  throw new CachebackError('E_UNKNOWN_TYPE', `invalidate: ${known ? `type ${type} has no cached field` : `no type ${type} in the schema`}${fields.schema ? '' : ' (no schema transformed yet)'}`)
}

function fieldTarget(cache: Cacheback, fields: DirectiveFields, selector: FieldSelector): ResolvedSelector {
  const { coordinate } = selector
  const job = fields.jobs.get(coordinate)
  if (!job) {
    const why = fields.schema ? 'is not a cached field of the schema' : 'is unknown: no schema transformed yet'
    throw new CachebackError('E_UNKNOWN_COORDINATE', `invalidate: ${String(coordinate)} ${why}`, { coordinate: String(coordinate) })
  }
  const { policy } = job
  const about = { job: job.name, coordinate }
  const scope = selector.scope === undefined ? undefined : String(selector.scope)
  if (scope !== undefined && policy.scope !== 'PRIVATE') throw selectorError(`${coordinate} is PUBLIC: a scope selects nothing`, about)
  if (selector.parent !== undefined && (typeof selector.parent !== 'object' || selector.parent === null)) throw selectorError(`${coordinate}: parent must be an object (its identity fields)`, about)
  const parent = policy.root ? undefined : selector.parent
  const group = (name: unknown): ResolvedSelector => ({ target: { index: groupIndex(cache.namespace, job.name, name) }, kind: 'coordinate', ...about })
  if (selector.args !== undefined) {
    if (!policy.root && parent === undefined) throw selectorError(`${coordinate}: args select one parent's entries; give the parent too`, about)
    const args = coerceArgs(job, fields, selector.args)
    const id = groupParentId(policy, parent)
    if (policy.keySelection) return group(scope === undefined ? fieldGroup.parentArgs(id, keyArgsOf(policy, args)) : fieldGroup.parentArgsScope(id, keyArgsOf(policy, args), scope))
    if (policy.scope === 'PUBLIC' || scope !== undefined) {
      return { target: { keys: [cache.keyOf(job, [parentForRefresh(policy, parent), args, scope ?? null])] }, kind: 'key', ...about }
    }
    return group(fieldGroup.parentArgs(id, keyArgsOf(policy, args)))
  }
  if (parent === undefined) return scope === undefined ? { target: { index: jobIndex(cache.namespace, job.name) }, kind: 'coordinate', ...about } : group(fieldGroup.scope(scope))
  if (scope !== undefined) return group(fieldGroup.parentScope(groupParentId(policy, parent), scope))
  if (entityIdentity(policy, parent) === undefined) return group(fieldGroup.parent(groupParentId(policy, parent)))
  const entity = entityTarget(cache.namespace, { type: policy.parentType, id: entityIdentity(policy, parent) })
  return { ...entity, target: { ...entity.target, prefix: `${cache.namespace}:${job.name}:` }, kind: 'coordinate', ...about }
}

/** The field's arguments as the resolver gets them: coerced, defaults applied. */
function coerceArgs(job: ResolverJob, fields: DirectiveFields, given: Record<string, unknown>): Record<string, unknown> {
  const { coordinate, parentType } = job.policy
  const about = { job: job.name, coordinate }
  if (typeof given !== 'object' || given === null) throw selectorError(`${coordinate}: args must be an object`, about)
  const type = fields.schema?.getType(parentType) as { getFields?: () => Record<string, GraphQLField<unknown, unknown>> } | undefined
  const field = type?.getFields?.()[coordinate.slice(parentType.length + 1)]
  if (!field) throw selectorError(`${coordinate}: the field is not in the transformed schema`, about)
  for (const name of Object.keys(given)) {
    if (!field.args.some((arg) => arg.name === name)) throw selectorError(`${coordinate} has no argument "${name}" (arguments: ${field.args.map((a) => a.name).join(', ') || 'none'})`, about)
  }
  const args: Record<string, unknown> = {}
  for (const arg of field.args) {
    if (given[arg.name] !== undefined) {
      try {
        args[arg.name] = coerceInputValue(given[arg.name], arg.type)
      } catch (cause) {
        throw new CachebackError('E_INVALID_SELECTOR', `invalidate: ${coordinate}(${arg.name}:): ${messageOf(cause)}`, { ...about, cause })
      }
    } else if (arg.defaultValue !== undefined) args[arg.name] = arg.defaultValue
    else if (isNonNullType(arg.type)) throw selectorError(`${coordinate}: argument "${arg.name}" is required`, about)
  }
  return args
}
