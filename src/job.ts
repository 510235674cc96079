/**
 * `Job`: one cached computation, subclassable for full control (the model of
 * django-cacheback's `Job`). A job describes: its name, its hooks and its
 * options. The cache acts on it; its operations (`get`, `set`, …) only hand
 * the job to its cache, which this module knows as the {@link JobCache}
 * interface (no import of `Cacheback`).
 */
import { DEFAULT_FETCH_ON_MISS, DEFAULT_LIFETIME, DEFAULT_REFRESH_AHEAD, DEFAULT_REFRESH_TIMEOUT, DEFAULT_TTL } from './defaults.js'
import { CachebackError } from './errors.js'
import type { EntityRef } from './invalidation/entity.js'
import { NO_TAGS } from './invalidation/tags.js'
import { checkLifetimeTtl, checkRefreshAhead, checkSeconds } from './policy.js'
import type { PeekResult, ReadResult } from './results.js'

/** What a job's operations need from a cache (`Cacheback` implements it). */
export interface JobCache {
  read<T>(job: Job<any[], T>, args: unknown[]): Promise<ReadResult<T>>
  write(job: AnyJob, args: unknown[], value: unknown): Promise<void>
  remove(job: AnyJob, args: unknown[]): Promise<void>
  markStale(job: AnyJob, args: unknown[]): Promise<void>
  refresh<T>(job: Job<any[], T>, args: unknown[]): Promise<T>
  peek<T>(job: Job<any[], T>, args: unknown[]): Promise<PeekResult<T>>
  keyOf(job: AnyJob, args: unknown[]): string
  register(job: AnyJob): void
}

let defaultCache: (() => JobCache) | undefined

/** Sets where jobs without a `cache` option find theirs (`default-cache.ts` sets it). */
export function setDefaultJobCache(provider: () => JobCache): void {
  defaultCache = provider
}

/** Options of a job (and of `cacheback(fn, options)`). Times in seconds. `A`: the job's arguments. */
export interface JobOptions<A extends unknown[] = any[]> {
  /** Stable name that workers use to find the job. @default the class or function name */
  name?: string
  /** The cache to use (a `Cacheback`). @default the `configure`d one, else an embedded one */
  cache?: JobCache
  /** Seconds a value is fresh. @default 600 */
  lifetime?: number
  /** Seconds until a value is gone (a read is a miss). @default 2592000 (30 days) */
  ttl?: number
  /** Seconds one dispatched refresh holds the key's refresh lock. @default 60 */
  refreshTimeout?: number
  /** Fetch synchronously on a miss; when false a miss returns `empty()` and dispatches a refresh. @default true */
  fetchOnMiss?: boolean
  /** Seconds since creation past which (strictly) a stale value is refetched synchronously. @default undefined (always serve stale) */
  fetchOnStaleThreshold?: number
  /** bee-queue queue for this job's refreshes (a worker consumes one queue). @default the refresher's queue */
  queue?: string
  /**
   * Tags of the entries: a list, or a function of the (prepared) arguments.
   * `cache.invalidate({ tag })` reaches every entry carrying the tag.
   * @example { tags: (username) => [`tweets:${username}`] }
   * @default none
   */
  tags?: readonly string[] | ((...args: NoInfer<A>) => readonly string[])
  /**
   * Refresh ahead: β of probabilistic early expiration (XFetch). A fresh read
   * dispatches a refresh early with probability `exp(−t / (δ·β))`, `t` the
   * ms of freshness left and δ the last fetch's duration, so hot entries are
   * refreshed before they go stale. 0 is off; 1 is the paper's choice;
   * larger values refresh earlier (to cover queue latency).
   * @default 0
   */
  refreshAhead?: number
}

function checkOptions(options: JobOptions, name: string): void {
  const tags = options.tags
  if (tags !== undefined && typeof tags !== 'function' && !Array.isArray(tags)) {
    throw new CachebackError('E_INVALID_OPTION', `${name}: option "tags" must be a list of strings or a function of the arguments, got ${typeof tags}`, { job: name })
  }
  checkLifetimeTtl(options.lifetime ?? DEFAULT_LIFETIME, options.ttl ?? DEFAULT_TTL, name)
  checkSeconds(options.refreshTimeout ?? DEFAULT_REFRESH_TIMEOUT, 'refreshTimeout', name)
  if (options.refreshAhead !== undefined) checkRefreshAhead(options.refreshAhead, name)
  if (options.fetchOnStaleThreshold !== undefined) checkSeconds(options.fetchOnStaleThreshold, 'fetchOnStaleThreshold', name)
  if (options.fetchOnMiss !== undefined && typeof options.fetchOnMiss !== 'boolean') {
    throw new CachebackError('E_INVALID_OPTION', `${name}: option "fetchOnMiss" must be a boolean, got ${String(options.fetchOnMiss)}`, { job: name })
  }
}

/** A cached computation. Subclass it and implement `fetch`. */
export abstract class Job<A extends unknown[] = unknown[], T = unknown> {
  /** Stable job name; part of every key and of every refresh payload. */
  readonly name: string
  protected readonly options: Readonly<JobOptions>

  constructor(options: JobOptions<A> = {}) {
    const name = options.name ?? new.target.name
    if (typeof name !== 'string' || name.trim() === '' || /[\s]/.test(name)) {
      throw new CachebackError('E_INVALID_OPTION', `Job name must be a non-empty string without spaces, got ${JSON.stringify(name)}`, { job: String(name) })
    }
    this.name = name
    checkOptions(options as JobOptions, name)
    this.options = { ...(options as JobOptions) }
  }

  /** The cache this job's operations go to (not registered here: the cache registers jobs it is handed). */
  protected cacheOf(): JobCache {
    const cache = this.options.cache ?? defaultCache?.()
    if (!cache) throw new CachebackError('E_INVALID_OPTION', `${this.name}: no cache (pass { cache } or import 'graphql-cacheback' to get the default)`, { job: this.name })
    return cache
  }

  // ---- hooks -------------------------------------------------------------

  /** Computes the value. The only hook without a default. */
  abstract fetch(...args: A): T | Promise<T>

  /** What identifies these (prepared) arguments in the key; the cache hashes it with its namespace and the job name. */
  key(...args: A): unknown {
    return args
  }

  /** Seconds a value fetched for these arguments stays fresh. */
  lifetime(..._args: A): number {
    return this.options.lifetime ?? DEFAULT_LIFETIME
  }

  /** Seconds until a value fetched for these arguments is gone. */
  ttl(..._args: A): number {
    return this.options.ttl ?? DEFAULT_TTL
  }

  /** Seconds one dispatched refresh holds the refresh lock. */
  refreshTimeout(..._args: A): number {
    return this.options.refreshTimeout ?? DEFAULT_REFRESH_TIMEOUT
  }

  /** β of refresh ahead for these arguments (0 = off); see `JobOptions.refreshAhead`. */
  refreshAhead(..._args: A): number {
    return this.options.refreshAhead ?? DEFAULT_REFRESH_AHEAD
  }

  /** Value returned on a miss when the job does not fetch on miss. */
  empty(..._args: A): T | null {
    return null
  }

  /** When (ms epoch) a value created at `createdAt` stops being fresh. */
  expiry(createdAt: number, ...args: A): number {
    return createdAt + checkSeconds(this.lifetime(...args), 'lifetime', this.name) * 1000
  }

  /** Queue this job's refreshes go to; undefined: the refresher's own. */
  get queue(): string | undefined {
    return this.options.queue
  }

  /** Schema coordinate (`Type.field`) when the job caches a GraphQL field; events carry it. */
  get coordinate(): string | undefined {
    return undefined
  }

  /** Normalizes arguments before they are keyed, fetched or queued. */
  prepareArgs(...args: A): A {
    return args
  }

  /** Whether a miss fetches synchronously. */
  shouldFetchOnMiss(..._args: A): boolean {
    return this.options.fetchOnMiss ?? DEFAULT_FETCH_ON_MISS
  }

  /** Whether a stale value of this age (seconds) is refetched synchronously: strictly older than `fetchOnStaleThreshold`. */
  shouldFetchStaleSynchronously(age: number, ..._args: A): boolean {
    const threshold = this.options.fetchOnStaleThreshold
    return threshold !== undefined && age > threshold
  }

  /**
   * Tags of the entry for these arguments; `cache.invalidate({ tag })`
   * reaches every entry carrying one. Asked on every write.
   * @default the `tags` option, else none
   */
  tags(...args: A): readonly string[] {
    const tags = this.options.tags
    return typeof tags === 'function' ? tags(...args) : (tags ?? NO_TAGS)
  }

  /**
   * Tags computed from the fetched value, added to `tags(...args)` on every
   * write: for a query job, each returned row's primary key (`users:42`), so
   * writing a row can invalidate every cached read that returned it.
   * @default none
   */
  valueTags(_value: T, ..._args: A): readonly string[] {
    return NO_TAGS
  }

  /**
   * The entity these arguments read (a type and its id): `cache.invalidate({
   * entity })` reaches the entry. Cached GraphQL fields belong to their parent's.
   * @default none
   */
  entity(..._args: A): EntityRef | undefined {
    return undefined
  }

  /**
   * @internal Groups of this job's entries a selector can name besides the
   * job and its entity (a PRIVATE field's entries of one scope, say): each
   * is an index of its own.
   */
  indexGroups(..._args: A): readonly unknown[] {
    return NO_TAGS
  }

  /**
   * Called when a fetched value cannot be stored faithfully (see
   * `E_UNSERIALIZABLE_VALUE`). Default: throw, so the caller learns at once.
   * Return the value instead to serve it uncached.
   */
  unstorable(error: CachebackError, _value: T): T {
    throw error
  }

  // ---- operations --------------------------------------------------------

  /** Reads through the cache: hit, stale (refresh dispatched) or miss. */
  get(...args: A): Promise<T> {
    try {
      return this.read(...args).then(valueOf) as Promise<T>
    } catch (error) {
      return Promise.reject(error) // no cache, or a throwing prepareArgs: a rejection, as from an async function
    }
  }

  /** Like `get`, with the outcome (status, age, refresh state). */
  read(...args: A): Promise<ReadResult<T>> {
    return this.cacheOf().read(this, this.prepareArgs(...args))
  }

  /** Stores `value` for `args` as freshly fetched now. */
  set(args: A, value: T): Promise<void> {
    return this.cacheOf().write(this, this.prepareArgs(...args), value)
  }

  /** Removes the entry: the next read is a miss. */
  delete(...args: A): Promise<void> {
    return this.cacheOf().remove(this, this.prepareArgs(...args))
  }

  /**
   * Marks the entry stale: the next read serves the old value once and
   * dispatches a refresh (stale-while-revalidate). For read-your-writes use
   * `delete` (the next read fetches) or `refresh` (fetch now).
   */
  invalidate(...args: A): Promise<void> {
    return this.cacheOf().markStale(this, this.prepareArgs(...args))
  }

  /** Fetches now, stores and returns the value. */
  refresh(...args: A): Promise<T> {
    return this.cacheOf().refresh(this, this.prepareArgs(...args))
  }

  /** Looks at the entry without fetching or dispatching. */
  peek(...args: A): Promise<PeekResult<T>> {
    return this.cacheOf().peek(this, this.prepareArgs(...args))
  }

  /** Full cache key of these arguments in this job's cache. */
  keyFor(...args: A): string {
    return this.cacheOf().keyOf(this, this.prepareArgs(...args))
  }
}

const valueOf = (result: ReadResult<unknown>): unknown => result.value

/** Any job, whatever its argument and value types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyJob = Job<any[], any>
