/**
 * What identifies one cached field value: the coordinate (the job name), the
 * parent's identity, the key arguments and, for PRIVATE fields, the scope id.
 */
import type { FieldPolicy } from './field-policy.js'

/** The arguments of a resolver job: what a refresh needs to re-run the resolver. */
export type ResolverJobArgs = [parent: unknown, args: Record<string, unknown>, scope: string | null]

function pick(source: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const name of names) out[name] = source[name]
  return out
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

/**
 * The parent as sent to a refresh: its `keyFields` projection when the policy
 * names them, else the whole parent (the resolver may need any of it).
 */
export function parentForRefresh(policy: FieldPolicy, parent: unknown): unknown {
  if (policy.keyFields && isRecord(parent)) return pick(parent, policy.keyFields)
  return parent ?? null
}

/** The parent's identity in the key: keyFields, else `id` when it has one, else the whole parent. */
export function parentIdentity(policy: FieldPolicy, parent: unknown): unknown {
  if (!isRecord(parent)) return parent ?? null
  if (policy.keyFields) return pick(parent, policy.keyFields)
  if (parent.id !== undefined && parent.id !== null) return { id: parent.id }
  return parent
}

/** The key parts of one field read. */
export function fieldKeyParts(policy: FieldPolicy, [parent, args, scope]: ResolverJobArgs): unknown[] {
  const keyArgs = policy.keyArgs ? pick(args, policy.keyArgs) : args
  return scope === null ? [parentIdentity(policy, parent), keyArgs] : [parentIdentity(policy, parent), keyArgs, { scope }]
}
