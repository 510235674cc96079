/**
 * The server side of the dashboard's invalidation form, in one function:
 * the posted fields become a selector for `cache.invalidate(selector, { mode })`.
 */
import { CachebackError } from '../errors.js'

/** What `cache.invalidate` takes (SPEC section 5). */
export type InvalidationSelector =
  | { entity: { type: string; id: unknown } }
  | { coordinate: string; parent?: unknown; args?: Record<string, unknown>; scope?: string }
  | { tag: string }

/** Invalidation modes: `stale` serves the old value once and refreshes; `purge` makes the next read a miss. */
export type InvalidationMode = 'stale' | 'purge'

/** A cache that can invalidate by selector. */
export interface Invalidator {
  invalidate(selector: InvalidationSelector, options: { mode: InvalidationMode }): Promise<number | undefined | void>
}

/** What an invalidation did. */
export interface FormInvalidation {
  selector: InvalidationSelector
  mode: InvalidationMode
  /** Entries reached, when known. */
  count?: number
}

const text = (value: unknown): string => (typeof value === 'string' ? value.trim() : '')

/**
 * Invalidates through `target` (the cache, or a directive over it) what the form names: `kind` entity (`type`, `id`), field
 * (`coordinate`, optional parent `id`) or tag (`tag`); `mode` stale or purge.
 * Throws `E_INVALID_OPTION` for a form that names nothing.
 */
export async function invalidateFromForm(target: Partial<Invalidator>, form: Record<string, unknown>): Promise<FormInvalidation> {
  const bad = (why: string) => new CachebackError('E_INVALID_OPTION', `invalidate: ${why}`)
  const mode = text(form.mode) || 'stale'
  if (mode !== 'stale' && mode !== 'purge') throw bad(`mode must be "stale" or "purge", got "${mode}"`)
  const [type, id, coordinate, tag] = [text(form.type), text(form.id), text(form.coordinate), text(form.tag)]
  let selector: InvalidationSelector
  if (form.kind === 'entity' && type && id) selector = { entity: { type, id } }
  else if (form.kind === 'field' && /^[_A-Za-z]\w*\.[_A-Za-z]\w*$/.test(coordinate)) selector = id ? { coordinate, parent: { id } } : { coordinate }
  else if (form.kind === 'tag' && tag) selector = { tag }
  else throw bad('give an entity (type and id), a field (coordinate Type.field, optional parent id) or a tag')
  if (typeof target.invalidate !== 'function') throw bad('this cache has no invalidate(selector) operation')
  const count = await target.invalidate(selector, { mode })
  return typeof count === 'number' ? { selector, mode, count } : { selector, mode }
}
