/**
 * What identifies one cached field value: the coordinate (the job name), the
 * parent's identity (none for a root field: `rootValue` is not part of it),
 * the key arguments, for PRIVATE fields the scope id and, with
 * `keySelection`, the field's normalized selection.
 */
import { CachebackError } from '../errors.js'
import type { FieldPolicy } from './field-policy.js'
import type { FieldSelection } from './selection.js'

/**
 * The arguments of a resolver job: what a refresh needs to re-run the
 * resolver. The selection is there only with `keySelection: true`.
 */
export type ResolverJobArgs = [parent: unknown, args: Record<string, unknown>, scope: string | null, selection?: FieldSelection]

function pick(source: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const name of names) out[name] = source[name]
  return out
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

/** What a bad scope id is, without its content (it may be a user object). */
function describeScope(id: unknown): string {
  if (typeof id === 'number') return String(id)
  if (typeof id !== 'object') return `a ${typeof id}`
  if (typeof (id as { then?: unknown }).then === 'function') return 'a Promise (an async scope function is not awaited)'
  return Array.isArray(id) ? 'an array' : 'an object'
}

/**
 * The scope id of a PRIVATE read: a string, or a finite number as a string;
 * undefined when the scope function gave undefined or null (the read bypasses
 * the cache). Anything else throws `E_INVALID_SCOPE`: coerced, every object
 * would be one "[object Object]" scope shared by every user.
 */
export function scopeIdOf(policy: FieldPolicy, id: unknown): string | undefined {
  if (id === undefined || id === null) return undefined
  if (typeof id === 'string') return id
  if (typeof id === 'number' && Number.isFinite(id)) return String(id)
  if (id instanceof Promise) id.catch(() => undefined) // never awaited: keep its rejection off the process
  const { coordinate } = policy
  throw new CachebackError('E_INVALID_SCOPE', `${coordinate}: the scope function returned ${describeScope(id)}, not a string or a finite number; the field is served uncached`, { coordinate, job: `graphql:${coordinate}` })
}

/**
 * The parent as sent to a refresh: its `keyFields` projection when the policy
 * names them, else the whole parent (the resolver may need any of it).
 */
export function parentForRefresh(policy: FieldPolicy, parent: unknown): unknown {
  if (policy.root) return null
  if (policy.keyFields && isRecord(parent)) return pick(parent, policy.keyFields)
  return parent ?? null
}

/**
 * The parent's identity in the key: keyFields, else `id` when it has one, else
 * the whole parent. A key field the parent lacks (undefined or null, as when a
 * resolver computes it) throws `E_MISSING_KEY_FIELD`: left out, every such
 * parent would share one key.
 */
export function parentIdentity(policy: FieldPolicy, parent: unknown): unknown {
  if (policy.root) return null
  if (policy.keyFields) {
    for (const name of policy.keyFields) {
      const value = isRecord(parent) ? parent[name] : undefined
      if (value === undefined || value === null) throw missingKeyField(policy, name, value)
    }
    return pick(parent as Record<string, unknown>, policy.keyFields)
  }
  if (!isRecord(parent)) return parent ?? null
  if (parent.id !== undefined && parent.id !== null) return { id: parent.id }
  return parent
}

function missingKeyField(policy: FieldPolicy, name: string, value: unknown): CachebackError {
  const { coordinate } = policy
  const message = `${coordinate}: key field "${name}" is ${value === null ? 'null' : 'missing'} on the parent (keyFields: ${policy.keyFields!.join(', ')}); the field is served uncached`
  return new CachebackError('E_MISSING_KEY_FIELD', message, { coordinate, job: `graphql:${coordinate}` })
}

/** The arguments that make up the key (`keyArgs`, default all). */
export function keyArgsOf(policy: FieldPolicy, args: Record<string, unknown>): Record<string, unknown> {
  return policy.keyArgs ? pick(args, policy.keyArgs) : args
}

/** The key parts of one field read. */
export function fieldKeyParts(policy: FieldPolicy, [parent, args, scope, selection]: ResolverJobArgs): unknown[] {
  const keyArgs = keyArgsOf(policy, args)
  const parts = scope === null ? [parentIdentity(policy, parent), keyArgs] : [parentIdentity(policy, parent), keyArgs, { scope }]
  if (selection) parts.push({ selection })
  return parts
}

/**
 * The parent `id` that alone determines a read's key, for the key memo: a
 * PUBLIC field without `keyFields`, read without arguments, on a parent with
 * an `id`. Undefined otherwise (the key is built from all its parts).
 */
export function keyIdOf(policy: FieldPolicy, parent: unknown, args: Record<string, unknown>, scope: string | null): unknown {
  if (scope !== null || policy.keyFields || policy.keySelection || policy.root || !isRecord(parent)) return undefined
  for (const _ in args) return undefined
  const id = parent.id
  return id === null ? undefined : id
}
