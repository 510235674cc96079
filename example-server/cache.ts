/**
 * The example's `Cacheback`: embedded (memory store, in-process refresh)
 * without `REDIS_URL`, else a Redis store whose stale entries are refreshed
 * by bee-queue workers (`npm run example:worker`).
 */
import { Cacheback, type CachebackEvent, type EventListener } from 'graphql-cacheback'
import { RedisStore } from 'graphql-cacheback/redis'
import { BeeQueueRefresher } from 'graphql-cacheback/bee-queue'
import type { ExampleSettings } from './settings.js'

/** Where the cache lives and who refreshes it. */
export type CacheMode = 'embedded' | 'redis'

/** The cache of the given settings; `onEvent` receives its events. */
export function createExampleCache(settings: ExampleSettings, onEvent?: EventListener): { cache: Cacheback; mode: CacheMode } {
  if (!settings.redisUrl) return { cache: new Cacheback({ namespace: settings.namespace, onEvent }), mode: 'embedded' }
  const cache = new Cacheback({
    store: new RedisStore({ redis: settings.redisUrl }),
    refresher: new BeeQueueRefresher({ redis: settings.redisUrl, queue: settings.queue }),
    namespace: settings.namespace,
    onEvent,
  })
  return { cache, mode: 'redis' }
}

/** `graphql:User.tweets` and its key as `User.tweets [...1a2b3c4d]` (the key tells ann's tweets from bob's). */
function describeEntry(event: CachebackEvent): string {
  const coordinate = event.job?.replace(/^graphql:/, '') ?? '-'
  return event.key ? `${coordinate} [...${event.key.slice(-8)}]` : coordinate
}

/**
 * One log line per stale read, refresh dispatch, completed or failed refresh
 * and store error (hits and misses are left out: they are every request).
 */
export function logCacheEvent(event: CachebackEvent, write: (line: string) => void = console.log): void {
  const entry = describeEntry(event)
  switch (event.type) {
    case 'stale':
      return write(`[cacheback] served stale ${entry}, ${event.age?.toFixed(1)} s old`)
    case 'refresh-dispatched':
      return write(`[cacheback] refresh of ${entry} dispatched (${event.via})`)
    case 'refresh-succeeded':
      return write(`[cacheback] refreshed ${entry}`)
    case 'refresh-failed':
      return write(`[cacheback] refresh of ${entry} failed: ${String((event.error as Error)?.message ?? event.error)}`)
    case 'invalidated':
      return write(`[cacheback] invalidated ${event.count} cached value${event.count === 1 ? '' : 's'} (${event.kind}, ${event.mode})`)
    case 'store-error':
      return write(`[cacheback] store error (${entry}): ${String((event.error as Error)?.message ?? event.error)}`)
  }
}
