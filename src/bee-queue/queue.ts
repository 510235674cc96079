/**
 * The bee-queue side shared by the producer (`BeeQueueRefresher`) and the
 * workers: connection settings and the reload of bee-queue's Lua scripts
 * after a reconnect. Internal: its types (bee-queue's, which need
 * `@types/redis`) never reach the public declarations.
 */
import { createRequire } from 'node:module'
import type Queue from 'bee-queue'
import { reconnectDelayMs } from '../defaults.js'
import type { BeeQueueRedis } from './connection.js'

/**
 * Reconnect delay of the queue's node-redis clients unless the connection
 * options set `retry_strategy`: like `RedisStore`'s, capped at 1 s. (node-redis
 * alone multiplies the delay by 1.7 per attempt without a cap: after a
 * one-minute outage the queue would come back about 40 s after Redis.)
 */
function queueRetryStrategy({ attempt }: { attempt: number }): number {
  return reconnectDelayMs(attempt)
}

/** Queue settings shared by the producer and the workers. */
export function queueSettings(redis: BeeQueueRedis, prefix: string, extra: Record<string, unknown>): Queue.QueueSettings {
  const connection = typeof redis === 'string' ? { url: redis } : { ...redis }
  const settings = { retry_strategy: queueRetryStrategy, ...connection }
  return { redis: settings as Queue.QueueSettings['redis'], prefix, removeOnSuccess: true, removeOnFailure: true, ...extra }
}

/** bee-queue's loader of its Lua scripts (CommonJS, no typings). */
const beeQueueScripts = createRequire(import.meta.url)('bee-queue/lib/lua/index.js') as { buildCache(client: unknown): Promise<unknown> }

/**
 * bee-queue loads its Lua scripts once, when a queue connects, and then runs
 * them by SHA only (EVALSHA). A Redis that restarts comes back with an empty
 * script cache, so every enqueue and stall check would fail with NOSCRIPT
 * until the process restarts. This loads them again each time the queue's
 * command client is ready after a reconnect; `onError` gets a failed load.
 */
export function reloadScriptsOnReconnect(queue: Queue, onError: (error: unknown) => void): void {
  queue.ready().then(
    () => {
      const client = (queue as unknown as { client?: NodeJS.EventEmitter }).client
      client?.on('ready', () => void beeQueueScripts.buildCache(client).catch(onError))
    },
    () => undefined, // a queue that never connected reports it on its own calls
  )
}
