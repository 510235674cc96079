/**
 * What `cacheback-worker` runs beside the refreshes: it publishes its
 * counters and its queue's depth for the dashboard, logs the refreshes of
 * every interval, and with `--dashboard-port` serves the dashboard itself.
 */
import type { Cacheback } from '../cacheback.js'
import type { RefreshWorker } from '../bee-queue/worker.js'
import { publishStats, type StatsPublisher } from '../dashboard/publisher.js'
import { type Dashboard, type DashboardOptions, startDashboard } from '../dashboard/server.js'
import { DEFAULT_STATS_INTERVAL_MS, DEFAULT_WORKER_LOG_INTERVAL_MS } from '../defaults.js'
import { addDuration, type Buckets, countOf, quantileMs } from '../dashboard/histogram.js'
import { duration } from './format.js'

/** The worker command's options for these (parseArgs). */
export const WORKER_EXTRA_OPTIONS = {
  'dashboard-port': { type: 'string' },
  'dashboard-host': { type: 'string' },
  'dashboard-token': { type: 'string' },
  'stats-interval-ms': { type: 'string' },
  'log-interval-ms': { type: 'string' },
} as const

export const WORKER_EXTRA_USAGE = '[--dashboard-port N [--dashboard-host H] [--dashboard-token T]] [--stats-interval-ms MS] [--log-interval-ms MS]'

type ExtraValues = { [K in keyof typeof WORKER_EXTRA_OPTIONS]?: string }

/** What the setup module gave that matters here. */
interface ExtrasInput {
  values: ExtraValues
  cache: Cacheback
  worker: RefreshWorker
  /** The setup's queue Redis (a URL is used for the stats when the store is not Redis). */
  redis?: unknown
  /** The setup's schema and refresh context: the dashboard's field and entity selectors use them. */
  schema?: DashboardOptions['schema']
  context?: DashboardOptions['context']
  write: (line: string) => void
  fail: (message: string) => never
}

function msOption(input: ExtrasInput, name: keyof ExtraValues, fallback: number): number {
  const text = input.values[name]
  if (text === undefined) return fallback
  const ms = Number(text)
  if (!Number.isFinite(ms) || ms < 50) input.fail(`--${name} must be a number of ms >= 50, got ${text}`)
  return ms
}

/** Starts publishing, logging and (with a port) the dashboard; resolves with what stops them. */
export async function startWorkerExtras(input: ExtrasInput): Promise<() => Promise<void>> {
  const { cache, worker, values } = input
  const storeIsRedis = typeof (cache.store as { client?: { hset?: unknown } }).client?.hset === 'function'
  const redis = storeIsRedis ? undefined : typeof input.redis === 'string' ? input.redis : undefined
  let publisher: StatsPublisher | undefined
  if (storeIsRedis || redis) publisher = publishStats({ cache, redis, role: 'worker', queue: worker.queue, intervalMs: msOption(input, 'stats-interval-ms', DEFAULT_STATS_INTERVAL_MS) })
  const stopLog = logRefreshes(cache, worker, msOption(input, 'log-interval-ms', DEFAULT_WORKER_LOG_INTERVAL_MS), input.write)
  let dashboard: Dashboard | undefined
  if (values['dashboard-port'] !== undefined) {
    const port = Number(values['dashboard-port'])
    if (!Number.isInteger(port) || port < 0 || port > 65535) input.fail(`--dashboard-port must be a port number (0 picks a free one), got ${values['dashboard-port']}`)
    const token = values['dashboard-token'] ?? (process.env.CACHEBACK_DASHBOARD_TOKEN || undefined)
    dashboard = await startDashboard({ cache, redis, schema: input.schema, context: input.context, port, host: values['dashboard-host'], token })
    input.write(`[cacheback-worker] dashboard at ${dashboard.url} (invalidation ${token ? 'on' : 'off: no --dashboard-token'})`)
  }
  void publisher?.publish().catch(() => undefined) // the first figures at once, not one interval later
  return async () => {
    stopLog()
    await dashboard?.close()
    await publisher?.stop()
  }
}

/** Every `intervalMs`: `[cacheback-worker] last 60 s: 12 refreshes, 1 failed, p50 40 ms, p99 300 ms; queue waiting 0, active 1, failed 0`. */
function logRefreshes(cache: Cacheback, worker: RefreshWorker, intervalMs: number, write: (line: string) => void): () => void {
  let succeeded = 0
  let failed = 0
  let latency: Buckets = {}
  const remove = cache.addListener((event) => {
    if (event.type === 'refresh-succeeded') succeeded++
    else if (event.type === 'refresh-failed') failed++
    else return
    if (event.refreshMs !== undefined) addDuration(latency, event.refreshMs)
  })
  const timer = setInterval(() => {
    const line = `[cacheback-worker] last ${Math.round(intervalMs / 1000)} s: ${succeeded + failed} refreshes, ${failed} failed`
    const times = countOf(latency) ? `, p50 ${duration(quantileMs(latency, 0.5))}, p99 ${duration(quantileMs(latency, 0.99))}` : ''
    ;[succeeded, failed, latency] = [0, 0, {}]
    worker.queue.checkHealth().then(
      (h) => write(`${line}${times}; queue waiting ${h.waiting}, active ${h.active}, failed ${h.failed}`),
      () => write(`${line}${times}; queue unreachable`),
    )
  }, intervalMs)
  timer.unref()
  return () => {
    clearInterval(timer)
    remove()
  }
}
