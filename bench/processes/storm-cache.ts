/**
 * The `Cacheback` of the `stale-storm` servers and of its refresh worker:
 * the same Redis, namespace and queue, from the environment (`REDIS_URL`,
 * `PREFIX`, and `COMMAND_TIMEOUT_MS`, RedisStore's bound, its default when
 * unset).
 */
import { Cacheback, type CachebackEvent } from 'graphql-cacheback'
import { RedisStore } from 'graphql-cacheback/redis'
import { BeeQueueRefresher } from 'graphql-cacheback/bee-queue'
import { env } from './child.js'

/** The cache, reporting to `onEvent`. */
export function stormCache(onEvent: (event: CachebackEvent) => void): Cacheback {
  const redisUrl = env('REDIS_URL')
  const prefix = env('PREFIX')
  const timeout = process.env.COMMAND_TIMEOUT_MS
  return new Cacheback({
    store: new RedisStore({ redis: redisUrl, commandTimeoutMs: timeout ? Number(timeout) : undefined }),
    refresher: new BeeQueueRefresher({ redis: redisUrl, queue: 'storm', prefix: `${prefix}bq` }),
    namespace: `${prefix}storm-cb`,
    onEvent,
  })
}

/** `stale`, `refresh-dispatched:bee-queue`, `store-error:E_STORE_TIMEOUT`, …: how an event is counted. */
export function eventName(event: CachebackEvent): string {
  const code = ('error' in event ? (event.error as { code?: string } | undefined) : undefined)?.code
  return event.type === 'refresh-dispatched' ? `${event.type}:${event.via}` : code ? `${event.type}:${code}` : event.type
}
