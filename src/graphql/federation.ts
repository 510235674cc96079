/**
 * Apollo Federation subgraphs. An entity type's first `@key` gives the
 * default `keyFields` of its cached fields (the gateway hands a subgraph its
 * entities as key fields, plus `@requires` fields); a cached field whose
 * `@requires` fields are not in its refresh parent is a schema error (its
 * refresh would compute without them and store a wrong value); and the
 * directive's SDL (`@cacheback`, `CachebackScope`) is left out of the
 * subgraph's `_service { sdl }`, so it never reaches the supergraph.
 * The federation directives are read from the schema's AST: no
 * `@apollo/subgraph` import.
 */
import {
  type ConstDirectiveNode,
  type DocumentNode,
  type GraphQLFieldConfig,
  type GraphQLFieldResolver,
  type GraphQLObjectType,
  Kind,
  parse,
  print,
  visit,
} from 'graphql'

const KEY = new Set(['key', 'federation__key'])
const REQUIRES = new Set(['requires', 'federation__requires'])

/** Top-level field names of a federation field set (`"id"`, `"org slug"`, `"owner { id }"` -> owner). */
export function fieldSetNames(fields: string): string[] {
  const document = parse(`{ ${fields} }`, { noLocation: true })
  const operation = document.definitions[0]
  if (operation.kind !== Kind.OPERATION_DEFINITION) return []
  return operation.selectionSet.selections.flatMap((selection) => (selection.kind === Kind.FIELD ? [selection.name.value] : []))
}

function fieldsArgument(directive: ConstDirectiveNode): string | undefined {
  const arg = directive.arguments?.find((a) => a.name.value === 'fields')
  return arg?.value.kind === Kind.STRING ? arg.value.value : undefined
}

function findDirectives(nodes: readonly ({ directives?: readonly ConstDirectiveNode[] } | null | undefined)[], names: Set<string>): ConstDirectiveNode[] {
  return nodes.flatMap((node) => (node?.directives ?? []).filter((d) => names.has(d.name.value)))
}

/** The fields of the type's first `@key`, or undefined when it is not an entity. */
export function entityKeyFields(type: GraphQLObjectType): string[] | undefined {
  const [key] = findDirectives([type.astNode, ...type.extensionASTNodes], KEY)
  const fields = key && fieldsArgument(key)
  return fields === undefined ? undefined : fieldSetNames(fields)
}

/** The top-level fields a field's `@requires` names, or undefined when it has none. */
export function requiredFields(field: GraphQLFieldConfig<unknown, unknown>): string[] | undefined {
  const [requires] = findDirectives([field.astNode], REQUIRES)
  const fields = requires && fieldsArgument(requires)
  return fields === undefined ? undefined : fieldSetNames(fields)
}

/** Whether a root field is one the federation library adds (`_service`, `_entities`): never cached by a type's directive. */
export function isFederationRootField(fieldName: string): boolean {
  return fieldName === '_service' || fieldName === '_entities'
}

const DIRECTIVE = 'cacheback'
const SCOPE_ENUM = 'CachebackScope'

/** The SDL without the `@cacheback` definition, its uses and the `CachebackScope` enum. */
export function withoutCachebackSdl(sdl: string): string {
  const document: DocumentNode = visit(parse(sdl), {
    DirectiveDefinition: (node) => (node.name.value === DIRECTIVE ? null : undefined),
    Directive: (node) => (node.name.value === DIRECTIVE ? null : undefined),
    EnumTypeDefinition: (node) => (node.name.value === SCOPE_ENUM ? null : undefined),
  })
  return print(document)
}

/**
 * The `Query._service` field of a subgraph, with its resolver answering an
 * SDL without the directive's definitions; the config unchanged elsewhere.
 */
export function hideFromSupergraph(onQueryType: boolean, fieldName: string, config: GraphQLFieldConfig<unknown, unknown>): GraphQLFieldConfig<unknown, unknown> {
  if (fieldName !== '_service' || !onQueryType || !config.resolve) return config
  const resolve: GraphQLFieldResolver<unknown, unknown> = config.resolve
  let last: { sdl: string; cleaned: string } | undefined // the SDL is one string per schema
  const serviceResolver: GraphQLFieldResolver<unknown, unknown> = async (parent, args, context, info) => {
    const service = (await resolve(parent, args, context, info)) as { sdl?: unknown } | null
    if (!service || typeof service.sdl !== 'string') return service
    if (last?.sdl !== service.sdl) last = { sdl: service.sdl, cleaned: withoutCachebackSdl(service.sdl) }
    return { ...service, sdl: last.cleaned }
  }
  return { ...config, resolve: serviceResolver }
}
