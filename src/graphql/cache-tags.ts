/**
 * `cacheTags(info, ...tags)`: a resolver of a cached field adds tags to the
 * value it is computing, found only at run time (the author of each tweet it
 * loaded, say). The tags are kept for this field resolution (its `info`)
 * and filed with the entry when the value is stored.
 */
import type { GraphQLResolveInfo } from 'graphql'
import { CachebackError } from '../errors.js'
import { Tagged } from '../invalidation/tags.js'

const found = new WeakMap<object, string[]>()

/**
 * Adds tags to the value the resolver of a cached field is computing (call
 * it before the resolver returns). Outside a cached field it does nothing.
 * @example cacheTags(info, ...tweets.map((t) => `tweet:${t.id}`))
 */
export function cacheTags(info: GraphQLResolveInfo, ...tags: string[]): void {
  for (const tag of tags) {
    if (typeof tag !== 'string' || tag === '') {
      throw new CachebackError('E_INVALID_TAG', `cacheTags on ${info.parentType?.name}.${info.fieldName}: a tag must be a non-empty string, got ${JSON.stringify(tag) ?? String(tag)}`, { coordinate: `${info.parentType?.name}.${info.fieldName}` })
    }
  }
  let list = found.get(info)
  if (!list) found.set(info, (list = []))
  list.push(...tags)
}

/** The value with the tags its resolver added through `info`, for the cache to file them (and forget them here). */
export function withFoundTags(value: unknown, info: object): unknown {
  const tags = found.get(info)
  if (!tags) return value
  found.delete(info)
  return new Tagged(value, tags)
}
