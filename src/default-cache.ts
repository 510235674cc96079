/**
 * The process-wide default `Cacheback`: the `configure`d one, else an
 * embedded one (memory store, in-process refresh) made on first use. Jobs
 * without a `cache` option find it through `setDefaultJobCache`.
 */
import { Cacheback, type CachebackOptions } from './cacheback.js'
import { setDefaultJobCache } from './job.js'

let defaultCache: Cacheback | undefined

/** Creates a `Cacheback`, makes it the process-wide default and returns it. */
export function configure(options: CachebackOptions = {}): Cacheback {
  defaultCache = new Cacheback(options)
  return defaultCache
}

/** The process-wide default `Cacheback` (an embedded one if none was configured). */
export function getDefaultCache(): Cacheback {
  defaultCache ??= new Cacheback()
  return defaultCache
}

setDefaultJobCache(getDefaultCache)
