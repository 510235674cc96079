/**
 * What a cached field's entry is filed under besides its job and tags: the
 * entity of its parent (type + identity: `keyFields`, else `id`), and, for
 * selectors that name less than a whole entry, groups: a PRIVATE field's
 * entries of one scope, of one parent and scope, of one parent and args
 * (every scope), of one parent and args with `keySelection` (every
 * selection), and an identity-less parent's entries. The writes (the
 * resolver job) and the selectors (`invalidate.ts`) build them here alike.
 */
import { type EntityRef, entityIdString } from '../invalidation/entity.js'
import { type ResolverJobArgs, keyArgsOf, parentIdentity } from './field-keys.js'
import type { FieldPolicy } from './field-policy.js'

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

/** The parent's identity when it has one (its `keyFields` values, else its `id`), else undefined. */
export function entityIdentity(policy: FieldPolicy, parent: unknown): unknown {
  if (policy.root || !isRecord(parent)) return undefined
  if (policy.keyFields) {
    const identity: Record<string, unknown> = {}
    for (const name of policy.keyFields) identity[name] = parent[name]
    return identity
  }
  return parent.id ?? undefined
}

/** The entity a read of this field on `parent` belongs to, if the parent has an identity. */
export function fieldEntity(policy: FieldPolicy, parent: unknown): EntityRef | undefined {
  const id = entityIdentity(policy, parent)
  return id === undefined || entityIdString(id) === undefined ? undefined : { type: policy.parentType, id: id as EntityRef['id'] }
}

/** The parent as groups name it: its identity as a string (ids compare as strings), the whole parent without one, null on a root field. */
function parentId(policy: FieldPolicy, parent: unknown): string | null {
  if (policy.root) return null
  const identity = entityIdentity(policy, parent)
  return entityIdString(identity === undefined ? parentIdentity(policy, parent) : identity) ?? null
}

/** The group names, shared by writes and selectors. */
export const fieldGroup = {
  /** A PRIVATE field's entries of one scope. */
  scope: (scope: string) => ({ scope }),
  /** A PRIVATE field's entries of one parent and scope, all args. */
  parentScope: (parent: string | null, scope: string) => ({ parent, scope }),
  /** A PRIVATE (or `keySelection`) field's entries of one parent and args: every scope, every selection. */
  parentArgs: (parent: string | null, args: Record<string, unknown>) => ({ parent, args }),
  /** A `keySelection` field's entries of one parent, args and scope, every selection. */
  parentArgsScope: (parent: string | null, args: Record<string, unknown>, scope: string) => ({ parent, args, scope }),
  /** The entries of a parent without identity (no entity to reach them by). */
  parent: (parent: string | null) => ({ parent }),
}

/** The groups a read of this field is filed under. */
export function fieldGroups(policy: FieldPolicy, [parent, args, scope]: ResolverJobArgs): unknown[] {
  const groups: unknown[] = []
  const id = parentId(policy, parent)
  if (!policy.root && entityIdentity(policy, parent) === undefined) groups.push(fieldGroup.parent(id))
  if (scope !== null) groups.push(fieldGroup.scope(scope), fieldGroup.parentScope(id, scope), fieldGroup.parentArgs(id, keyArgsOf(policy, args)))
  // With keySelection the selection is part of the key: "one entry" (parent + args) is one group of entries.
  if (policy.keySelection) groups.push(scope === null ? fieldGroup.parentArgs(id, keyArgsOf(policy, args)) : fieldGroup.parentArgsScope(id, keyArgsOf(policy, args), scope))
  return groups
}

/** The group id of a selector's parent (as `fieldGroups` names it). */
export { parentId as groupParentId }
