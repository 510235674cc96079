/**
 * `Job`: one cached computation, subclassable for full control (the model of
 * django-cacheback's `Job`). Every hook can be overridden; every operation
 * goes through the job's `Cacheback`.
 */
import type { Cacheback, PeekResult, ReadResult } from './cacheback.js'
import { getDefaultCache } from './default-cache.js'
import { CachebackError } from './errors.js'
import { DEFAULT_LIFETIME, DEFAULT_REFRESH_TIMEOUT, DEFAULT_TTL, checkLifetimeTtl, checkSeconds } from './policy.js'

/** Options of a job (and of `cacheback(fn, options)`). Times in seconds. */
export interface JobOptions {
  /** Stable name that workers use to find the job. @default the class or function name */
  name?: string
  /** The cache to use. @default the `configure`d one, else an embedded one */
  cache?: Cacheback
  /** Seconds a value is fresh. @default 600 */
  lifetime?: number
  /** Seconds until a value is gone (a read is a miss). @default 2592000 (30 days) */
  ttl?: number
  /** Seconds one dispatched refresh holds the key's refresh lock. @default 60 */
  refreshTimeout?: number
  /** Fetch synchronously on a miss; when false a miss returns `empty()` and dispatches a refresh. @default true */
  fetchOnMiss?: boolean
  /** Seconds since creation past which a stale value is refetched synchronously. @default undefined (always serve stale) */
  fetchOnStaleThreshold?: number
  /** bee-queue queue for this job's refreshes (a worker consumes one queue). @default the refresher's queue */
  queue?: string
}

/** A cached computation. Subclass it and implement `fetch`. */
export abstract class Job<A extends unknown[] = unknown[], T = unknown> {
  /** Stable job name; part of every key and of every refresh payload. */
  readonly name: string
  protected readonly options: Readonly<JobOptions>

  constructor(options: JobOptions = {}) {
    const name = options.name ?? new.target.name
    if (typeof name !== 'string' || name.trim() === '' || /[\s]/.test(name)) {
      throw new CachebackError('E_INVALID_OPTION', `Job name must be a non-empty string without spaces, got ${JSON.stringify(name)}`, { job: String(name) })
    }
    this.name = name
    const lifetime = options.lifetime ?? DEFAULT_LIFETIME
    checkLifetimeTtl(lifetime, options.ttl ?? DEFAULT_TTL, name)
    checkSeconds(options.refreshTimeout ?? DEFAULT_REFRESH_TIMEOUT, 'refreshTimeout', name)
    if (options.fetchOnStaleThreshold !== undefined) checkSeconds(options.fetchOnStaleThreshold, 'fetchOnStaleThreshold', name)
    if (options.fetchOnMiss !== undefined && typeof options.fetchOnMiss !== 'boolean') {
      throw new CachebackError('E_INVALID_OPTION', `${name}: option "fetchOnMiss" must be a boolean, got ${String(options.fetchOnMiss)}`, { job: name })
    }
    this.options = { ...options }
  }

  /** The cache this job uses (registering the job there on first use). */
  get cache(): Cacheback {
    const cache = this.options.cache ?? getDefaultCache()
    cache.register(this)
    return cache
  }

  // ---- hooks -------------------------------------------------------------

  /** Computes the value. The only hook without a default. */
  abstract fetch(...args: A): T | Promise<T>

  /** Full cache key of these (prepared) arguments. */
  key(...args: A): string {
    return this.cache.keyFor(this.name, args)
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

  /** Normalizes arguments before they are keyed, fetched or queued. */
  prepareArgs(...args: A): A {
    return args
  }

  /** Whether a miss fetches synchronously. */
  shouldFetchOnMiss(..._args: A): boolean {
    return this.options.fetchOnMiss ?? true
  }

  /** Whether a stale value of this age (seconds) is refetched synchronously instead of served. */
  shouldFetchStaleSynchronously(age: number, ..._args: A): boolean {
    const threshold = this.options.fetchOnStaleThreshold
    return threshold !== undefined && age >= threshold
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
  async get(...args: A): Promise<T> {
    return (await this.read(...args)).value as T
  }

  /** Like `get`, with the outcome (status, age, refresh state). */
  read(...args: A): Promise<ReadResult<T>> {
    return this.cache.read(this, this.prepareArgs(...args))
  }

  /** Stores `value` for `args` as freshly fetched now. */
  set(args: A, value: T): Promise<void> {
    return this.cache.write(this, this.prepareArgs(...args), value)
  }

  /** Removes the entry: the next read is a miss. */
  delete(...args: A): Promise<void> {
    return this.cache.remove(this, this.prepareArgs(...args))
  }

  /** Marks the entry stale: the next read serves it and dispatches a refresh. */
  invalidate(...args: A): Promise<void> {
    return this.cache.invalidate(this, this.prepareArgs(...args))
  }

  /** Fetches now, stores and returns the value. */
  refresh(...args: A): Promise<T> {
    return this.cache.refreshNow(this, this.prepareArgs(...args))
  }

  /** Looks at the entry without fetching or dispatching. */
  peek(...args: A): Promise<PeekResult<T>> {
    return this.cache.peek(this, this.prepareArgs(...args))
  }
}

/** Any job, whatever its argument and value types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyJob = Job<any[], any>
