/**
 * Tags: names an entry is filed under, one namespace per `Cacheback`, so
 * `cache.invalidate({ tag })` reaches tagged jobs, functions and fields
 * alike. A job's `tags(...args)` and `valueTags(value, ...args)` hooks give
 * them; a fetch adds run-time tags by returning a {@link Tagged} value.
 */
import { CachebackError } from '../errors.js'

/** A fetched value with tags found while fetching it (GraphQL's `cacheTags(info, ...)`). The cache stores `value`. */
export class Tagged<T = unknown> {
  constructor(
    readonly value: T,
    readonly tags: readonly string[],
  ) {}
}

/** No tags. */
export const NO_TAGS: readonly string[] = Object.freeze([])

/** Checks that a hook returned a list of non-empty strings; `E_INVALID_TAG` naming the job otherwise. */
export function checkTags(tags: unknown, hook: string, owner: { name: string; coordinate?: string }): readonly string[] {
  if (!Array.isArray(tags)) {
    throw new CachebackError('E_INVALID_TAG', `${owner.coordinate ?? owner.name}: ${hook} must return a list of strings, got ${typeof tags}`, { job: owner.name, coordinate: owner.coordinate })
  }
  for (const tag of tags) {
    if (typeof tag !== 'string' || tag === '') {
      throw new CachebackError('E_INVALID_TAG', `${owner.coordinate ?? owner.name}: ${hook} returned ${JSON.stringify(tag) ?? String(tag)}, not a non-empty string`, { job: owner.name, coordinate: owner.coordinate })
    }
  }
  return tags as readonly string[]
}
