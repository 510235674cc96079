/**
 * `cacheback(fn, options)`: the decorator of the reference design. Wraps an
 * async function in a `Job` and returns a callable with the job's operations.
 */
import { CachebackError } from './errors.js'
import { Job, type JobOptions } from './job.js'
import type { PeekResult, ReadResult } from './results.js'

/** A decorated function: call it to read through the cache. `R` is what a read returns (`T`, or `T | null` without fetchOnMiss). */
export interface CachedFunction<A extends unknown[], T, R = T> {
  (...args: A): Promise<R>
  /** The underlying job. */
  readonly job: Job<A, T>
  /** Like calling it, with the outcome (status, age, refresh state). */
  read(...args: A): Promise<ReadResult<T>>
  /**
   * Marks stale: the next read serves the old value once and refreshes
   * (stale-while-revalidate). For read-your-writes use `delete` or `refresh`.
   */
  invalidate(...args: A): Promise<void>
  /** Removes: the next read is a miss. */
  delete(...args: A): Promise<void>
  /** Fetches now, stores and returns. */
  refresh(...args: A): Promise<T>
  /** Stores a value for these arguments. */
  set(args: A, value: T): Promise<void>
  /** Looks without fetching or dispatching. */
  peek(...args: A): Promise<PeekResult<T>>
  /** The full cache key of these arguments. */
  key(...args: A): string
}

/** The job behind a decorated function. */
export class FunctionJob<A extends unknown[], T> extends Job<A, T> {
  constructor(
    readonly target: (...args: A) => T | Promise<T>,
    options: JobOptions<A>,
  ) {
    super({ ...options, name: options.name ?? target.name })
  }

  fetch(...args: A): T | Promise<T> {
    return this.target(...args)
  }
}

/** Caches `fn` with stale-while-revalidate semantics. With `fetchOnMiss: false` a miss resolves to `null`. */
export function cacheback<A extends unknown[], T>(fn: (...args: A) => T | Promise<T>, options: JobOptions<A> & { fetchOnMiss: false }): CachedFunction<A, T, T | null>
export function cacheback<A extends unknown[], T>(fn: (...args: A) => T | Promise<T>, options?: JobOptions<A> & { fetchOnMiss?: true }): CachedFunction<A, T>
export function cacheback<A extends unknown[], T>(fn: (...args: A) => T | Promise<T>, options?: JobOptions<A>): CachedFunction<A, T, T | null>
export function cacheback<A extends unknown[], T>(fn: (...args: A) => T | Promise<T>, options: JobOptions<A> = {}): CachedFunction<A, T, T | null> {
  if (typeof fn !== 'function') {
    throw new CachebackError('E_INVALID_OPTION', `cacheback(fn): fn must be a function, got ${typeof fn}`, { job: options.name })
  }
  if (!options.name && !fn.name) {
    throw new CachebackError('E_INVALID_OPTION', 'cacheback(fn): an anonymous function needs a `name` option (workers find jobs by name)')
  }
  const job = new FunctionJob(fn, options)
  // A given cache knows the job at once, so a worker sharing it can run its refreshes.
  options.cache?.register(job)
  const call = (...args: A) => job.get(...args)
  return Object.assign(call, {
    job,
    read: (...args: A) => job.read(...args),
    invalidate: (...args: A) => job.invalidate(...args),
    delete: (...args: A) => job.delete(...args),
    refresh: (...args: A) => job.refresh(...args),
    set: (args: A, value: T) => job.set(args, value),
    peek: (...args: A) => job.peek(...args),
    key: (...args: A) => job.keyFor(...args),
  })
}
