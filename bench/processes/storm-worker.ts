/**
 * The worker setup module of `stale-storm`, for the worker command
 * (`node --import tsx src/cli/worker.ts --module bench/processes/storm-worker.ts
 * --concurrency N --quiet`): the servers' schema, Redis, namespace and queue.
 * It prints one line per failed refresh or store error (the command's own
 * per-refresh lines are off with `--quiet`) and, at exit, how many refreshes
 * it ran.
 *
 * Environment: `REDIS_URL`, `PREFIX`, `UPSTREAM_URL`, `LIFETIME` (seconds),
 * `COMMAND_TIMEOUT_MS` (optional).
 */
import { makeExecutableSchema } from '@graphql-tools/schema'
import { cachebackTypeDefs } from 'graphql-cacheback/graphql'
import { env } from './child.js'
import { stormResolvers, stormTypeDefs } from './schemas.js'
import { eventName, stormCache } from './storm-cache.js'

const counts: Record<string, number> = {}

export const cache = stormCache((event) => {
  if (event.type === 'hit') return
  const name = eventName(event)
  counts[name] = (counts[name] ?? 0) + 1
  if (event.type === 'store-error' || event.type === 'refresh-failed') process.stdout.write(`[storm-worker] ${name} ${String((event.error as Error | undefined)?.message)}\n`)
})
export const schema = makeExecutableSchema({ typeDefs: [cachebackTypeDefs, stormTypeDefs(true, Number(env('LIFETIME')))], resolvers: stormResolvers(env('UPSTREAM_URL')) })

process.on('exit', () => process.stdout.write(`[storm-worker] counts ${JSON.stringify(counts)}\n`))
