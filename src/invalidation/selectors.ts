/**
 * What `cache.invalidate(selector)` takes, and what each selector reaches in
 * the store: an index (a tag's, an entity's, a job's entries) or one key.
 * GraphQL coordinates are the directive's (`cachebackDirective(...).invalidate`),
 * which resolves them to the same targets.
 */
import type { CacheCore } from '../core.js'
import { CachebackError } from '../errors.js'
import type { InvalidationKind } from '../events.js'
import type { AnyJob } from '../job.js'
import type { InvalidationMode, InvalidationTarget } from '../stores/store.js'
import { type EntityRef, entityIdString } from './entity.js'
import { entityIndex, jobIndex, tagIndex } from './index-keys.js'

export type { InvalidationMode } from '../stores/store.js'

/** Options of an invalidation. */
export interface InvalidateOptions {
  /**
   * `stale`: the next read serves the old value once and dispatches a
   * refresh (the same lock and queue as any stale entry). `purge`: the next
   * read is a miss (with `fetchOnMiss` it fetches: a mutation reads its own write).
   * @default 'stale'
   */
  mode?: InvalidationMode
}

/** Every entry carrying a tag (jobs', functions' and fields' tags are one namespace). */
export interface TagSelector {
  tag: string
}
/** Every entry read on an entity: every cached field of that parent (all args, all scopes), and jobs naming it. */
export interface EntitySelector {
  entity: EntityRef
}
/** A job's entries: all of them, or the one of `args` (the job's arguments, `prepareArgs` applied as `job.invalidate` does). */
export interface JobSelector {
  /** The job, or its registered name. */
  job: string | AnyJob
  args?: unknown[]
}

/** What `cache.invalidate` takes. */
export type InvalidationSelector = TagSelector | EntitySelector | JobSelector

/** A selector resolved: what the store is asked to reach, and what the event says. */
export interface ResolvedSelector {
  target: InvalidationTarget
  kind: InvalidationKind
  job?: string
  coordinate?: string
}

/** `E_INVALID_SELECTOR` with what was wrong. */
export function selectorError(message: string, context: { job?: string; coordinate?: string } = {}): CachebackError {
  return new CachebackError('E_INVALID_SELECTOR', `invalidate: ${message}`, context)
}

function describe(selector: unknown): string {
  try {
    return JSON.stringify(selector) ?? String(selector)
  } catch {
    return String(selector)
  }
}

/** The only one of `names` that `selector` has, else `E_INVALID_SELECTOR`. */
export function selectorKind<N extends string>(selector: unknown, names: readonly N[]): N {
  const given = typeof selector === 'object' && selector !== null ? names.filter((name) => name in selector) : []
  if (given.length !== 1) throw selectorError(`a selector names exactly one of ${names.map((n) => `{ ${n} }`).join(', ')}; got ${describe(selector)}`)
  return given[0]
}

/** The entity index a `{ entity }` selector reaches (the type is not checked here: the directive checks it against its schema). */
export function entityTarget(namespace: string, entity: unknown): ResolvedSelector {
  const { type, id } = (entity ?? {}) as Partial<EntityRef>
  if (typeof type !== 'string' || type === '') throw selectorError(`{ entity } needs a type name, got ${describe(entity)}`)
  const idString = entityIdString(id)
  if (idString === undefined) throw selectorError(`{ entity: { type: '${type}' } } needs an id (a value, or an object of key field values, none null), got ${describe(id)}`)
  return { target: { index: entityIndex(namespace, type, idString) }, kind: 'entity' }
}

/** The tag index a `{ tag }` selector reaches. */
export function tagTarget(namespace: string, tag: unknown): ResolvedSelector {
  if (typeof tag !== 'string' || tag === '') throw selectorError(`{ tag } needs a non-empty string, got ${describe(tag)}`)
  return { target: { index: tagIndex(namespace, tag) }, kind: 'tag' }
}

function jobTarget(core: CacheCore, { job: given, args }: JobSelector): ResolvedSelector {
  const job = typeof given === 'string' ? core.registry.get(given) : given
  if (!job) throw new CachebackError('E_UNKNOWN_JOB', `invalidate: no job named "${String(given)}" is registered with this cache`, { job: String(given) })
  const about = { job: job.name, coordinate: job.coordinate }
  if (args === undefined) return { target: { index: jobIndex(core.namespace, job.name) }, kind: 'coordinate', ...about }
  if (!Array.isArray(args)) throw selectorError(`{ job, args } needs args as an array of the job's arguments, got ${describe(args)}`, about)
  return { target: { keys: [core.keyOf(job, job.prepareArgs(...args))] }, kind: 'key', ...about }
}

/** Resolves a `cache.invalidate` selector; `E_INVALID_SELECTOR` / `E_UNKNOWN_JOB` for a bad one. */
export function resolveSelector(core: CacheCore, selector: InvalidationSelector): ResolvedSelector {
  switch (selectorKind(selector, ['tag', 'entity', 'job'] as const)) {
    case 'tag':
      return tagTarget(core.namespace, (selector as TagSelector).tag)
    case 'entity':
      return entityTarget(core.namespace, (selector as EntitySelector).entity)
    case 'job':
      return jobTarget(core, selector as JobSelector)
  }
}

/** The mode of `options`, checked. */
export function modeOf(options: InvalidateOptions | undefined): InvalidationMode {
  const mode = options?.mode ?? 'stale'
  if (mode !== 'stale' && mode !== 'purge') throw selectorError(`mode must be 'stale' or 'purge', got ${describe(mode)}`)
  return mode
}
