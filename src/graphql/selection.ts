/**
 * `keySelection: true`: the normalized selection set of a field — fragments
 * inlined, aliases dropped, fields and fragments sorted, duplicates merged —
 * printed as compact GraphQL, with the values of the variables it uses. It is
 * part of the field's key, so queries selecting different subfields never
 * share a value shaped by another's selection, and it travels in the refresh
 * payload, so the worker's resolver gets an `info` with the field's nodes and
 * variables.
 */
import {
  type ArgumentNode,
  type DirectiveNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type InlineFragmentNode,
  Kind,
  type SelectionNode,
  type SelectionSetNode,
  getNamedType,
  isInterfaceType,
  isObjectType,
  print,
  stripIgnoredCharacters,
  visit,
} from 'graphql'

/** The normalized selection of one field read. */
export interface FieldSelection {
  /** The selection set, compact GraphQL: `{author{name}title}`. */
  selection: string
  /** Values of the variables the selection uses. */
  variables: Record<string, unknown>
}

interface Group {
  fields: Map<string, { node: FieldNode; children: SelectionSetNode[] }>
  fragments: Map<string, { typeName: string; directives: readonly DirectiveNode[]; children: SelectionSetNode[] }>
}

interface Walk {
  schema: GraphQLSchema
  fragments: Record<string, FragmentDefinitionNode>
}

const printed = (nodes: readonly (ArgumentNode | DirectiveNode)[] | undefined): string =>
  (nodes ?? [])
    .map((node) => print(node))
    .sort()
    .join(',')

const sorted = <T extends ArgumentNode | DirectiveNode>(nodes: readonly T[] | undefined): T[] => [...(nodes ?? [])].sort((a, b) => print(a).localeCompare(print(b)))

function collect(walk: Walk, sets: readonly SelectionSetNode[], type: GraphQLNamedType | undefined, group: Group): void {
  for (const set of sets) for (const selection of set.selections) add(walk, selection, type, group)
}

function add(walk: Walk, selection: SelectionNode, type: GraphQLNamedType | undefined, group: Group): void {
  if (selection.kind === Kind.FIELD) {
    const signature = `${selection.name.value}(${printed(selection.arguments)})${printed(selection.directives)}`
    let field = group.fields.get(signature)
    if (!field) group.fields.set(signature, (field = { node: selection, children: [] }))
    if (selection.selectionSet) field.children.push(selection.selectionSet)
    return
  }
  let typeName: string | undefined
  let children: SelectionSetNode
  if (selection.kind === Kind.FRAGMENT_SPREAD) {
    const fragment = walk.fragments[selection.name.value]
    if (!fragment) return
    typeName = fragment.typeCondition.name.value
    children = fragment.selectionSet
  } else {
    typeName = selection.typeCondition?.name.value
    children = selection.selectionSet
  }
  const directives = selection.directives ?? []
  if (directives.length === 0 && (typeName === undefined || typeName === type?.name)) {
    collect(walk, [children], type, group)
    return
  }
  const name = typeName ?? type?.name ?? ''
  const signature = `${name}${printed(directives)}`
  let fragment = group.fragments.get(signature)
  if (!fragment) group.fragments.set(signature, (fragment = { typeName: name, directives, children: [] }))
  fragment.children.push(children)
}

function fieldType(type: GraphQLNamedType | undefined, name: string): GraphQLNamedType | undefined {
  if (!isObjectType(type) && !isInterfaceType(type)) return undefined
  const field = type.getFields()[name]
  return field ? getNamedType(field.type) : undefined
}

function normalize(walk: Walk, sets: readonly SelectionSetNode[], type: GraphQLNamedType | undefined): SelectionSetNode {
  const group: Group = { fields: new Map(), fragments: new Map() }
  collect(walk, sets, type, group)
  const selections: SelectionNode[] = []
  for (const signature of [...group.fields.keys()].sort()) {
    const { node, children } = group.fields.get(signature)!
    const field: FieldNode = {
      kind: Kind.FIELD,
      name: node.name,
      arguments: sorted(node.arguments),
      directives: sorted(node.directives),
      selectionSet: children.length > 0 ? normalize(walk, children, fieldType(type, node.name.value)) : undefined,
    }
    selections.push(field)
  }
  for (const signature of [...group.fragments.keys()].sort()) {
    const { typeName, directives, children } = group.fragments.get(signature)!
    const fragment: InlineFragmentNode = {
      kind: Kind.INLINE_FRAGMENT,
      typeCondition: typeName ? { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: typeName } } : undefined,
      directives,
      selectionSet: normalize(walk, children, walk.schema.getType(typeName) ?? undefined),
    }
    selections.push(fragment)
  }
  return { kind: Kind.SELECTION_SET, selections }
}

interface Normalized {
  nodes: readonly FieldNode[]
  selection: string
  variableNames: string[]
}

/** Normalized selections by the field's first node (the document's AST, kept by servers across requests). */
const normalizedByNode = new WeakMap<FieldNode, Normalized>()

function sameNodes(a: readonly FieldNode[], b: readonly FieldNode[]): boolean {
  return a.length === b.length && a.every((node, i) => node === b[i])
}

/** The normalized selection of the field `info` resolves. */
export function fieldSelection(info: GraphQLResolveInfo): FieldSelection {
  const first = info.fieldNodes[0]
  let normalized = normalizedByNode.get(first)
  if (!normalized || !sameNodes(normalized.nodes, info.fieldNodes)) {
    const sets = info.fieldNodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []))
    const selectionSet = normalize({ schema: info.schema, fragments: info.fragments }, sets, getNamedType(info.returnType))
    const names = new Set<string>()
    visit(selectionSet, { Variable: (node) => void names.add(node.name.value) })
    normalized = { nodes: info.fieldNodes, selection: stripIgnoredCharacters(print(selectionSet)), variableNames: [...names].sort() }
    normalizedByNode.set(first, normalized)
  }
  const variables: Record<string, unknown> = {}
  for (const name of normalized.variableNames) variables[name] = info.variableValues[name]
  return { selection: normalized.selection, variables }
}
