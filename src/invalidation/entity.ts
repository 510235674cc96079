/**
 * Entities: a type plus its identity. Every cached GraphQL field read on a
 * parent of type T with identity I belongs to entity (T, I); a job may say
 * which entity its arguments read (`Job.entity`). Ids compare as strings
 * (`1` and `'1'` are one entity); a composite identity is an object of its
 * key fields' values, and a one-field object is that field's value.
 */
import { stableSerialize } from '../keys.js'

/** An entity's identity: its id, or an object of its key fields' values (composite). */
export type EntityId = string | number | bigint | boolean | Readonly<Record<string, unknown>>

/** One entity: a type name and its identity. */
export interface EntityRef {
  /** The type name (`User`). */
  type: string
  /** The identity (`'ann'`, `42`, `{ org: 'acme', slug: 'ann' }`). */
  id: EntityId
}

function partString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined
  return typeof value === 'object' ? stableSerialize(value) : String(value)
}

/**
 * The identity as one string, the same for every spelling of it (`1`, `'1'`,
 * `{ id: 1 }`); undefined when a part is missing (null or undefined).
 */
export function entityIdString(id: unknown): string | undefined {
  if (typeof id !== 'object' || id === null) {
    const part = partString(id)
    return part === undefined ? undefined : stableSerialize(part)
  }
  const names = Object.keys(id).filter((name) => (id as Record<string, unknown>)[name] !== undefined)
  if (names.length === 1) return entityIdString((id as Record<string, unknown>)[names[0]])
  const parts: Record<string, string> = {}
  for (const name of names) {
    const part = partString((id as Record<string, unknown>)[name])
    if (part === undefined) return undefined
    parts[name] = part
  }
  return names.length === 0 ? undefined : stableSerialize(parts)
}
