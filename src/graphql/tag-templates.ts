/**
 * Tag templates of `@cacheback(tags: [...])`: text with placeholders over the
 * parent, the arguments and the scope (`"tweets:{parent.id}"`,
 * `"lang:{args.lang}"`, `"inbox:{scope}"`, nested `{args.filter.kind}`).
 * Parsed and checked against the schema at transform time (a placeholder
 * naming no parent field, argument or scope is a schema error naming the
 * coordinate); filled on every read and write of the field.
 */
import {
  type GraphQLArgumentConfig,
  type GraphQLFieldConfig,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLObjectType,
  getNamedType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isObjectType,
} from 'graphql'
import { CachebackError } from '../errors.js'
import { stableSerialize } from '../keys.js'

/** A placeholder: where its value comes from, and the path inside it. */
interface Placeholder {
  source: 'parent' | 'args' | 'scope'
  path: string[]
  /** As written, for messages. */
  text: string
}

/** One parsed template: literal text and placeholders, in order. */
export interface TagTemplate {
  text: string
  parts: (string | Placeholder)[]
}

/** What a template is checked against. */
export interface TemplateScope {
  coordinate: string
  parentType: GraphQLObjectType
  field: GraphQLFieldConfig<unknown, unknown>
  scope: 'PUBLIC' | 'PRIVATE'
  keyFields?: string[]
}

const PLACEHOLDER = /\{([^{}]*)\}/g

function schemaError(coordinate: string, message: string): CachebackError {
  return new CachebackError('E_SCHEMA', `@cacheback on ${coordinate}: ${message}`, { coordinate })
}

/** Parses and checks the templates of one field; throws `E_SCHEMA` naming the coordinate. */
export function parseTagTemplates(templates: readonly string[], scope: TemplateScope): TagTemplate[] {
  return templates.map((text) => {
    if (text === '') throw schemaError(scope.coordinate, 'tags holds an empty string')
    const parts: (string | Placeholder)[] = []
    let at = 0
    for (const match of text.matchAll(PLACEHOLDER)) {
      if (match.index > at) parts.push(text.slice(at, match.index))
      parts.push(placeholder(match[1].trim(), text, scope))
      at = match.index + match[0].length
    }
    if (at < text.length) parts.push(text.slice(at))
    for (const part of parts) {
      if (typeof part === 'string' && /[{}]/.test(part)) throw schemaError(scope.coordinate, `tag "${text}" has an unmatched brace`)
    }
    return { text, parts }
  })
}

function placeholder(inner: string, text: string, scope: TemplateScope): Placeholder {
  const [source, ...path] = inner.split('.')
  const where = `tag "${text}": {${inner}}`
  if (source === 'scope' && path.length === 0) {
    if (scope.scope !== 'PRIVATE') throw schemaError(scope.coordinate, `${where} names the scope, but the field is PUBLIC`)
    return { source, path, text: inner }
  }
  if ((source !== 'parent' && source !== 'args') || path.length === 0 || path.some((name) => name === '')) {
    throw schemaError(scope.coordinate, `${where} names no parent field, argument or scope (write {parent.<field>}, {args.<argument>} or {scope})`)
  }
  if (source === 'parent') checkParentPath(path, where, scope)
  else checkArgsPath(path, where, scope)
  return { source, path, text: inner }
}

function checkParentPath(path: string[], where: string, scope: TemplateScope): void {
  if (scope.keyFields && !scope.keyFields.includes(path[0])) {
    throw schemaError(scope.coordinate, `${where}: "${path[0]}" is not one of keyFields (${scope.keyFields.join(', ')}), so a refresh's parent would lack it`)
  }
  let type: GraphQLNamedType = scope.parentType
  for (const [i, name] of path.entries()) {
    const fields: Record<string, { type: GraphQLOutputType }> | undefined = isObjectType(type) || isInterfaceType(type) ? type.getFields() : undefined
    if (!fields?.[name]) throw schemaError(scope.coordinate, `${where}: ${i === 0 ? `${scope.parentType.name} has no field "${name}"` : `"${name}" is not a field of ${type.name}`}`)
    type = getNamedType(fields[name].type)
  }
  if (!isLeafType(type)) throw schemaError(scope.coordinate, `${where} names an object (${type.name}); name one of its scalar fields`)
}

function checkArgsPath(path: string[], where: string, scope: TemplateScope): void {
  const args = scope.field.args ?? {}
  const first: GraphQLArgumentConfig | undefined = args[path[0]]
  if (!first) throw schemaError(scope.coordinate, `${where}: the field has no argument "${path[0]}" (arguments: ${Object.keys(args).join(', ') || 'none'})`)
  let type: GraphQLNamedType = getNamedType(first.type)
  for (const name of path.slice(1)) {
    const fields: Record<string, { type: GraphQLInputType }> | undefined = isInputObjectType(type) ? type.getFields() : undefined
    if (!fields?.[name]) throw schemaError(scope.coordinate, `${where}: "${name}" is not a field of ${type.name}`)
    type = getNamedType(fields[name].type)
  }
  if (!isLeafType(type)) throw schemaError(scope.coordinate, `${where} names an input object (${type.name}); name one of its scalar fields`)
}

function valueAt(source: unknown, path: readonly string[]): unknown {
  let value = source
  for (const name of path) {
    if (typeof value !== 'object' || value === null) return undefined
    value = (value as Record<string, unknown>)[name]
  }
  return value
}

/** The text of a filled placeholder value. */
function textOf(value: unknown): string {
  return typeof value === 'object' ? stableSerialize(value) : String(value)
}

/**
 * The tags of one read: each template filled from the parent, the
 * arguments and the scope id. A placeholder whose value is absent (null or
 * undefined) is `E_INVALID_TAG` naming the coordinate and the placeholder.
 */
export function fillTagTemplates(templates: readonly TagTemplate[], coordinate: string, input: { parent: unknown; args: unknown; scope: string | null }): string[] {
  return templates.map(({ text, parts }) => {
    let tag = ''
    for (const part of parts) {
      if (typeof part === 'string') {
        tag += part
        continue
      }
      const value = part.source === 'scope' ? input.scope : valueAt(part.source === 'parent' ? input.parent : input.args, part.path)
      if (value === undefined || value === null) {
        throw new CachebackError('E_INVALID_TAG', `${coordinate}: tag "${text}" names {${part.text}}, which is absent in this read; served uncached`, { coordinate })
      }
      tag += textOf(value)
    }
    return tag
  })
}
