/**
 * `invalidateMutationResult`: after a mutation resolves, every object with an
 * identity in its result invalidates its entity (the `invalidateOnMutation`
 * option of the server plugins). The result is walked with the operation's
 * selection sets and the schema's types, so aliases, fragments and nested
 * objects count; an object's identity is read from the fields it selected
 * (`id`, or the `keyFields` of its type's cached fields). A union or
 * interface value needs `__typename` in its selection to be recognized.
 */
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type SelectionSetNode,
  getNamedType,
  getNullableType,
  getOperationAST,
  isAbstractType,
  isListType,
  isObjectType,
} from 'graphql'
import { type EntityRef, entityIdString } from '../invalidation/entity.js'
import type { InvalidationMode } from '../invalidation/selectors.js'
import { type SchemaCache, schemaCacheOf } from './schema-directives.js'

/** One executed operation and its result, as a server plugin sees them. */
export interface MutationExecution {
  schema: GraphQLSchema
  document: DocumentNode
  operationName?: string | null
  /** The result's `data`. */
  data: Record<string, unknown> | null | undefined
}

/** Options of {@link invalidateMutationResult}. */
export interface MutationInvalidationOptions {
  /** The directive whose fields to invalidate. @default the one that transformed `schema` */
  directive?: SchemaCache
  /** @default 'stale' */
  mode?: InvalidationMode
}

interface Walk {
  schema: GraphQLSchema
  fragments: Record<string, FragmentDefinitionNode>
  /** Identity field lists per type name (`['id']`, or a field's keyFields). */
  identities: Map<string, string[][]>
  found: Map<string, EntityRef>
}

/**
 * Invalidates the entity of every object with an identity in a mutation's
 * result. Resolves with the number of stored entries marked or removed; 0
 * for a query, or a schema no cacheback directive made (and no `directive`).
 */
export async function invalidateMutationResult(execution: MutationExecution, options: MutationInvalidationOptions = {}): Promise<number> {
  const directive = options.directive ?? schemaCacheOf(execution.schema)
  const operation = getOperationAST(execution.document, execution.operationName ?? undefined)
  const root = execution.schema.getMutationType()
  if (!directive || !root || operation?.operation !== 'mutation' || !execution.data) return 0
  const fragments: Walk['fragments'] = {}
  for (const definition of execution.document.definitions) if (definition.kind === 'FragmentDefinition') fragments[definition.name.value] = definition
  const walk: Walk = { schema: execution.schema, fragments, identities: identitiesOf(directive), found: new Map() }
  visitObject(walk, root, operation.selectionSet, execution.data)
  const counts = await Promise.all([...walk.found.values()].map((entity) => directive.invalidate({ entity }, { mode: options.mode })))
  return counts.reduce((sum, count) => sum + count, 0)
}

function identitiesOf(directive: SchemaCache): Map<string, string[][]> {
  const identities = new Map<string, string[][]>()
  for (const { policy } of directive.fields.jobs.values()) {
    if (policy.root) continue
    const fields = policy.keyFields ?? ['id']
    const known = identities.get(policy.parentType) ?? []
    if (!known.some((other) => other.join('\0') === fields.join('\0'))) known.push(fields)
    identities.set(policy.parentType, known)
  }
  return identities
}

/** Visits one object of the result: records its entities and walks its selected fields. */
function visitObject(walk: Walk, type: GraphQLObjectType, selectionSet: SelectionSetNode, data: Record<string, unknown>): void {
  const byName: Record<string, unknown> = {}
  collectFields(walk, { type, data, byName }, selectionSet)
  for (const fields of walk.identities.get(type.name) ?? []) {
    const id = fields.length === 1 ? byName[fields[0]] : Object.fromEntries(fields.map((name) => [name, byName[name]]))
    const idString = entityIdString(id)
    if (idString !== undefined) walk.found.set(`${type.name}\0${idString}`, { type: type.name, id: id as EntityRef['id'] })
  }
}

/** One object of the result being read: its type, its data (by response key), and its leaf values by field name. */
interface VisitedObject {
  type: GraphQLObjectType
  data: Record<string, unknown>
  byName: Record<string, unknown>
}

function collectFields(walk: Walk, object: VisitedObject, selectionSet: SelectionSetNode): void {
  const { type, data, byName } = object
  for (const selection of selectionSet.selections) {
    if (selection.kind === 'Field') {
      const name = selection.name.value
      const value = data[selection.alias?.value ?? name]
      const field = type.getFields()[name]
      if (value === undefined || !field) continue
      if (!selection.selectionSet) byName[name] ??= value
      else visitValue(walk, field.type, selection.selectionSet, value)
      continue
    }
    const fragment = selection.kind === 'InlineFragment' ? selection : walk.fragments[selection.name.value]
    if (fragment && applies(walk.schema, fragment.typeCondition?.name.value, type)) collectFields(walk, object, fragment.selectionSet)
  }
}

function visitValue(walk: Walk, type: GraphQLOutputType, selectionSet: SelectionSetNode, value: unknown): void {
  if (value === null || typeof value !== 'object') return
  const nullable = getNullableType(type)
  if (isListType(nullable)) {
    if (Array.isArray(value)) for (const item of value) visitValue(walk, nullable.ofType, selectionSet, item)
    return
  }
  const named = getNamedType(nullable)
  const concrete = isObjectType(named) ? named : isAbstractType(named) ? runtimeType(walk.schema, (value as { __typename?: unknown }).__typename) : undefined
  if (concrete) visitObject(walk, concrete, selectionSet, value as Record<string, unknown>)
}

function runtimeType(schema: GraphQLSchema, typename: unknown): GraphQLObjectType | undefined {
  const type = typeof typename === 'string' ? schema.getType(typename) : undefined
  return isObjectType(type) ? type : undefined
}

function applies(schema: GraphQLSchema, condition: string | undefined, type: GraphQLObjectType): boolean {
  if (!condition) return true
  const conditionType = schema.getType(condition)
  return conditionType === type || (isAbstractType(conditionType) && schema.isSubType(conditionType, type))
}
