/**
 * The worker setup module of the example, for the worker command:
 *
 *   REDIS_URL=redis://127.0.0.1:6379 npm run example:worker
 *   (= tsx src/cli/worker.ts --module example-server/worker.ts;
 *    installed as a dependency: cacheback-worker --module ./worker.js)
 *
 * Same schema, Redis, namespace and queue as the server; its refreshes call
 * the upstream the server started (`UPSTREAM_URL`, default
 * http://127.0.0.1:4001). The command logs one line per refresh.
 */
import { createExampleCache } from './cache.js'
import { exampleSchema, refreshContext } from './schema.js'
import { readSettings } from './settings.js'
import { upstreamClient } from './upstream.js'

const settings = readSettings()
const redisUrl = settings.redisUrl ?? 'redis://127.0.0.1:6379'
const upstreamUrl = settings.upstreamUrl ?? 'http://127.0.0.1:4001'
process.stdout.write(`[example-worker] Redis ${redisUrl}, queue "${settings.queue}", upstream ${upstreamUrl}\n`)

export const { cache } = createExampleCache({ ...settings, redisUrl })
export const schema = exampleSchema(settings.lifetimes, settings.refreshTimeout)
export const context = refreshContext(upstreamClient(upstreamUrl))
/** Ms between stalled-job checks (`STALL_INTERVAL_MS`): how soon a refresh of a worker that died is run again. */
export const stallInterval = settings.stallIntervalMs
