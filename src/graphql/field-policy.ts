/**
 * Reads the `@cacheback` directive of a field (or of its type) into a policy
 * and rejects every bad case at transform time, naming the coordinate.
 */
import { getDirective } from '@graphql-tools/utils'
import { type GraphQLFieldConfig, type GraphQLObjectType, type GraphQLSchema, getNamedType, isLeafType, isNonNullType } from 'graphql'
import { DEFAULT_FETCH_ON_MISS, DEFAULT_LIFETIME, DEFAULT_REFRESH_AHEAD, DEFAULT_REFRESH_TIMEOUT, DEFAULT_TTL } from '../defaults.js'
import { CachebackError, messageOf } from '../errors.js'
import { entityKeyFields, isFederationRootField, requiredFields } from './federation.js'
import { type TagTemplate, parseTagTemplates } from './tag-templates.js'

/** The directive's arguments for one field, defaults applied. Times in seconds. */
export interface FieldPolicy {
  coordinate: string
  lifetime: number
  ttl: number
  fetchOnMiss: boolean
  refreshTimeout: number
  scope: 'PUBLIC' | 'PRIVATE'
  keyArgs?: string[]
  keyFields?: string[]
  queue?: string
  /** Parsed `tags` templates (`tweets:{parent.id}`). */
  tags?: TagTemplate[]
  /** The field's normalized selection set is part of the key and of the refresh payload. */
  keySelection: boolean
  /** β of refresh ahead (0 = off). */
  refreshAhead: number
  /** A field of the query type: its key does not depend on `rootValue`, its refresh gets `undefined` as parent; its fields read no entity. */
  root: boolean
  /** The parent type's name (`User` of `User.tweets`). */
  parentType: string
}

const DIRECTIVE = 'cacheback'
const KNOWN_ARGS = new Set(['lifetime', 'ttl', 'fetchOnMiss', 'refreshTimeout', 'scope', 'keyArgs', 'keyFields', 'queue', 'tags', 'keySelection', 'refreshAhead'])

function schemaError(coordinate: string, message: string): CachebackError {
  return new CachebackError('E_SCHEMA', `@cacheback on ${coordinate}: ${message}`, { coordinate })
}

/** The directive arguments on a field or type, or undefined when it has none. */
function directiveArgs(schema: GraphQLSchema, node: Parameters<typeof getDirective>[1], coordinate: string): Record<string, unknown> | undefined {
  let found: Record<string, unknown>[] | undefined
  try {
    found = getDirective(schema, node, DIRECTIVE)
  } catch (cause) {
    // Argument values of the wrong type, in a schema built without SDL validation.
    throw new CachebackError('E_SCHEMA', `@cacheback on ${coordinate}: ${messageOf(cause)}`, { coordinate, cause })
  }
  if (!found || found.length === 0) return undefined
  if (found.length > 1) throw schemaError(coordinate, 'the directive is given more than once')
  const args = found[0]
  for (const name of Object.keys(args)) if (!KNOWN_ARGS.has(name)) throw schemaError(coordinate, `unknown argument "${name}"`)
  return args
}

/** A field whose policy is asked for. */
export interface FieldPolicyInput {
  schema: GraphQLSchema
  type: GraphQLObjectType
  fieldName: string
  field: GraphQLFieldConfig<unknown, unknown>
  /** Whether the directive was given a `scope` function (PRIVATE fields need one). */
  hasScopeFunction: boolean
}

/**
 * The policy of `typeName.fieldName`: the field's own directive, else its
 * type's, else undefined (not cached). Throws `E_SCHEMA` for bad cases.
 */
export function fieldPolicy({ schema, type, fieldName, field, hasScopeFunction }: FieldPolicyInput): FieldPolicy | undefined {
  const coordinate = `${type.name}.${fieldName}`
  const root = type === schema.getQueryType()
  const own = directiveArgs(schema, field, coordinate)
  if (!own && root && isFederationRootField(fieldName)) return undefined
  const args = own ?? directiveArgs(schema, type, type.name)
  if (!args) return undefined
  const rootKind = type === schema.getMutationType() ? 'Mutation' : type === schema.getSubscriptionType() ? 'Subscription' : undefined
  if (rootKind) throw schemaError(coordinate, `${rootKind} fields are never cached`)
  const policy: FieldPolicy = {
    coordinate,
    lifetime: (args.lifetime as number | undefined) ?? DEFAULT_LIFETIME,
    ttl: (args.ttl as number | undefined) ?? DEFAULT_TTL,
    fetchOnMiss: (args.fetchOnMiss as boolean | undefined) ?? DEFAULT_FETCH_ON_MISS,
    refreshTimeout: (args.refreshTimeout as number | undefined) ?? DEFAULT_REFRESH_TIMEOUT,
    scope: (args.scope as 'PUBLIC' | 'PRIVATE' | undefined) ?? 'PUBLIC',
    keyArgs: args.keyArgs as string[] | undefined,
    keyFields: (args.keyFields as string[] | undefined) ?? entityKeyFields(type),
    queue: args.queue as string | undefined,
    keySelection: (args.keySelection as boolean | undefined) ?? false,
    refreshAhead: (args.refreshAhead as number | undefined) ?? DEFAULT_REFRESH_AHEAD,
    root,
    parentType: type.name,
  }
  checkPolicy(policy, type, field, hasScopeFunction)
  const tags = args.tags as string[] | undefined
  if (tags && tags.length > 0) policy.tags = parseTagTemplates(tags, { coordinate, parentType: type, field, scope: policy.scope, keyFields: policy.keyFields })
  return policy
}

function checkPolicy(policy: FieldPolicy, type: GraphQLObjectType, field: GraphQLFieldConfig<unknown, unknown>, hasScopeFunction: boolean): void {
  const { coordinate } = policy
  for (const name of ['lifetime', 'ttl', 'refreshTimeout'] as const) {
    const value = policy[name]
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw schemaError(coordinate, `${name} must be a positive number of seconds, got ${String(value)}`)
  }
  const beta = policy.refreshAhead
  if (typeof beta !== 'number' || !Number.isFinite(beta) || beta < 0) throw schemaError(coordinate, `refreshAhead must be a finite number ≥ 0 (0 = off), got ${String(beta)}`)
  if (policy.ttl < policy.lifetime) throw schemaError(coordinate, `ttl (${policy.ttl}) must not be shorter than lifetime (${policy.lifetime})`)
  if (!policy.fetchOnMiss && isNonNullType(field.type)) {
    throw schemaError(coordinate, `fetchOnMiss: false needs a nullable field (a miss returns null), but the type is ${String(field.type)}`)
  }
  if (policy.scope === 'PRIVATE' && !hasScopeFunction) {
    throw schemaError(coordinate, 'scope: PRIVATE needs a `scope` function in cachebackDirective({ scope }) to key values by user')
  }
  const argNames = new Set(Object.keys(field.args ?? {}))
  for (const name of policy.keyArgs ?? []) {
    if (!argNames.has(name)) throw schemaError(coordinate, `keyArgs names "${name}", which is not an argument of the field (arguments: ${[...argNames].join(', ') || 'none'})`)
  }
  const fieldNames = new Set(Object.keys(type.getFields()))
  for (const name of policy.keyFields ?? []) {
    if (!fieldNames.has(name)) throw schemaError(coordinate, `keyFields names "${name}", which is not a field of ${type.name}`)
  }
  checkShape(policy, field)
}

/** Root fields, `keySelection` and federation's `@requires`: what a refresh needs must be in its payload. */
function checkShape(policy: FieldPolicy, field: GraphQLFieldConfig<unknown, unknown>): void {
  const { coordinate } = policy
  if (policy.root && !field.resolve) {
    throw schemaError(coordinate, 'a cached root field needs a resolver: without one its value comes from rootValue, which a refresh does not have')
  }
  if (policy.keySelection && isLeafType(getNamedType(field.type))) {
    throw schemaError(coordinate, `keySelection: true needs a field with subfields, but the type is ${String(field.type)}`)
  }
  const required = requiredFields(field)
  if (required && policy.keyFields) {
    const missing = required.filter((name) => !policy.keyFields!.includes(name))
    if (missing.length > 0) {
      throw schemaError(
        coordinate,
        `@requires(${missing.join(', ')}) names fields its refresh would not have: the refresh parent is keyFields (${policy.keyFields.join(', ')}). Add them: keyFields: [${[...policy.keyFields, ...missing].map((n) => `"${n}"`).join(', ')}]`,
      )
    }
  }
}
