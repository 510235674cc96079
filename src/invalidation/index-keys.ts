/**
 * Index keys: where an entry is filed so that an invalidation finds it with
 * no scan. Every entry is filed under its job, its entity (when its job
 * names one), its job's groups (a PRIVATE field's entries of one scope, say)
 * and each of its tags. An index is named by a hash of what it indexes; the
 * hash sits in a Redis hash tag (`{…}`) so an index and its stamp key share
 * one Cluster slot.
 */
import { CachebackError, messageOf } from '../errors.js'
import type { AnyJob } from '../job.js'
import { hashParts } from '../keys.js'
import { entityIdString } from './entity.js'
import { checkTags } from './tags.js'

/** What an index gathers: a job's entries, an entity's, a job's group, a tag's. */
export type IndexKind = 'job' | 'entity' | 'group' | 'tag'

/** Hex digits of the hash in an index key: 128 bits, as unique as a key needs, and a shorter Redis key per index. */
const INDEX_HASH_HEX = 32

/** Key of an index (Redis: a sorted set of entry keys scored by their `expiresAt`). */
export function indexKey(namespace: string, kind: IndexKind, parts: unknown): string {
  return `${namespace}:index:${kind}:{${hashParts([namespace, kind, parts]).slice(0, INDEX_HASH_HEX)}}`
}

/** Key of an index's invalidation stamps (Redis: a hash, `s` and `p`, in the index's slot). */
export function stampKeyOf(index: string): string {
  return `${index}:at`
}

/** Index of every entry of a job (of a cached field). */
export const jobIndex = (namespace: string, job: string): string => indexKey(namespace, 'job', job)
/** Index of every entry carrying a tag. */
export const tagIndex = (namespace: string, tag: string): string => indexKey(namespace, 'tag', tag)
/** Index of every entry read on an entity (`id`: its {@link entityIdString}). */
export const entityIndex = (namespace: string, type: string, id: string): string => indexKey(namespace, 'entity', [type, id])
/** Index of a job's entries of one group (see `Job.indexGroups`). */
export const groupIndex = (namespace: string, job: string, group: unknown): string => indexKey(namespace, 'group', [job, group])

/** What an entry is filed under, from its job's hooks, its arguments and value, and run-time tags. */
export interface EntryIndexInput {
  namespace: string
  job: AnyJob
  args: readonly unknown[]
  value: unknown
  /** Tags found while fetching (a resolver's `cacheTags`). */
  extraTags?: readonly string[]
}

/**
 * The index keys of one entry. A hook that throws or returns something
 * other than strings is `E_INVALID_TAG` naming the job (the value is then
 * not stored, like an unstorable value).
 */
export function entryIndexes({ namespace, job, args, value, extraTags }: EntryIndexInput): string[] {
  const keys = new Set([jobIndex(namespace, job.name)])
  try {
    const entity = job.entity(...args)
    const id = entity && entityIdString(entity.id)
    if (entity && id !== undefined) keys.add(entityIndex(namespace, entity.type, id))
    for (const group of job.indexGroups(...args)) keys.add(groupIndex(namespace, job.name, group))
    for (const tag of checkTags(job.tags(...args), 'tags()', job)) keys.add(tagIndex(namespace, tag))
    for (const tag of checkTags(job.valueTags(value, ...args), 'valueTags()', job)) keys.add(tagIndex(namespace, tag))
  } catch (cause) {
    if (cause instanceof CachebackError) throw cause
    throw new CachebackError('E_INVALID_TAG', `${job.coordinate ?? job.name}: its tags or entity cannot be computed: ${messageOf(cause)}`, { job: job.name, coordinate: job.coordinate, cause })
  }
  for (const tag of extraTags ?? []) keys.add(tagIndex(namespace, tag))
  return [...keys]
}
