/**
 * `cacheback(fn, options)`: the decorator of the reference design. Wraps an
 * async function in a `Job` and returns a callable with the job's operations.
 */
import type { PeekResult, ReadResult } from './cacheback.js'
import { CachebackError } from './errors.js'
import { Job, type JobOptions } from './job.js'

/** A decorated function: call it to read through the cache. */
export interface CachedFunction<A extends unknown[], T> {
  (...args: A): Promise<T>
  /** The underlying job. */
  readonly job: Job<A, T>
  /** Like calling it, with the outcome (status, age, refresh state). */
  read(...args: A): Promise<ReadResult<T>>
  /** Marks stale: the next read serves it and refreshes. */
  invalidate(...args: A): Promise<void>
  /** Removes: the next read is a miss. */
  delete(...args: A): Promise<void>
  /** Fetches now, stores and returns. */
  refresh(...args: A): Promise<T>
  /** Stores a value for these arguments. */
  set(args: A, value: T): Promise<void>
  /** Looks without fetching or dispatching. */
  peek(...args: A): Promise<PeekResult<T>>
}

/** The job behind a decorated function. */
export class FunctionJob<A extends unknown[], T> extends Job<A, T> {
  constructor(
    readonly target: (...args: A) => T | Promise<T>,
    options: JobOptions,
  ) {
    super({ ...options, name: options.name ?? target.name })
  }

  fetch(...args: A): T | Promise<T> {
    return this.target(...args)
  }
}

/** Caches `fn` with stale-while-revalidate semantics. */
export function cacheback<A extends unknown[], T>(fn: (...args: A) => T | Promise<T>, options: JobOptions = {}): CachedFunction<A, T> {
  if (typeof fn !== 'function') {
    throw new CachebackError('E_INVALID_OPTION', `cacheback(fn): fn must be a function, got ${typeof fn}`, { job: options.name })
  }
  if (!options.name && !fn.name) {
    throw new CachebackError('E_INVALID_OPTION', 'cacheback(fn): an anonymous function needs a `name` option (workers find jobs by name)')
  }
  const job = new FunctionJob(fn, options)
  if (options.cache) options.cache.register(job)
  const call = (...args: A) => job.get(...args)
  return Object.assign(call, {
    job,
    read: (...args: A) => job.read(...args),
    invalidate: (...args: A) => job.invalidate(...args),
    delete: (...args: A) => job.delete(...args),
    refresh: (...args: A) => job.refresh(...args),
    set: (args: A, value: T) => job.set(args, value),
    peek: (...args: A) => job.peek(...args),
  })
}
