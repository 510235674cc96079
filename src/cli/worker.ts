#!/usr/bin/env node
/**
 * `cacheback-worker --module ./worker-setup.js [--concurrency N] [--queue NAME] [--quiet]`
 * (`--help` prints the usage).
 *
 * Runs refresh workers for the setup module's cache. The module exports
 * (named, or as its default export, or as a default function returning them):
 * `cache` (required), `schema`, `jobs`, `context`, `concurrency`, `queue`,
 * `redis`, `stallInterval`, `maxPayloadBytes`. SIGTERM / SIGINT stop taking jobs, let running
 * refreshes finish, close connections and exit.
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import type { Cacheback } from '../cacheback.js'
import type { CachebackEvent } from '../events.js'
import { type CreateRefreshWorkerOptions, createRefreshWorker } from '../bee-queue/create-worker.js'
import type { RefreshWorker } from '../bee-queue/worker.js'
import { BeeQueueRefresher } from '../bee-queue/refresher.js'
import { DEFAULT_REDIS_URL, DEFAULT_WORKER_CONCURRENCY, DEFAULT_WORKER_CLOSE_TIMEOUT_MS } from '../defaults.js'
import { CachebackError, messageOf } from '../errors.js'
import { queueProbe, storeProbe, waitForRedis } from './wait-for-redis.js'
import { WORKER_EXTRA_OPTIONS, WORKER_EXTRA_USAGE, startWorkerExtras } from './worker-extras.js'

/** The schema type the dashboard takes (the setup module's is a GraphQL schema). */
type ExtrasSchema = Parameters<typeof startWorkerExtras>[0]['schema']

const USAGE = `usage: cacheback-worker --module <path to worker setup module> [--concurrency N] [--queue NAME] [--quiet] ${WORKER_EXTRA_USAGE}`

const HELP = `${USAGE}

Runs refresh workers for the cache of a setup module, which exports (named, as
its default export, or from a default function) \`cache\` (required) and
optionally \`schema\`, \`jobs\`, \`context\`, \`concurrency\`, \`queue\`, \`redis\`,
\`stallInterval\`.

  --module PATH      the worker setup module (required)
  --concurrency N    refreshes run at once (default ${DEFAULT_WORKER_CONCURRENCY})
  --queue NAME       queue to consume (default: the setup's, else its refresher's)
  --quiet            no log line per refresh
  --dashboard-port N, --dashboard-host H, --dashboard-token T
                     serve the deployment dashboard (the form needs the token)
  --stats-interval-ms MS, --log-interval-ms MS
                     how often counters are published / refreshes are logged
  -h, --help         print this help

Before it starts, it waits for the queue's Redis and the store, saying every
few seconds which it cannot reach and why; a Redis that refuses the password
is an error (exit 1). It prints a "ready" line once consuming. SIGTERM /
SIGINT stop taking jobs, let running refreshes finish, and exit.
`

const OPTIONS = {
  module: { type: 'string' },
  concurrency: { type: 'string' },
  queue: { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  ...WORKER_EXTRA_OPTIONS,
} as const

/** One line on stderr, exit 2 (a usage error). */
function fail(message: string): never {
  process.stderr.write(`cacheback-worker: ${message} (cacheback-worker --help shows the usage)\n`)
  process.exit(2)
}

/** The command line, or one line saying what is wrong with it. */
function parseCommandLine(): { module?: string; concurrency?: string; queue?: string; quiet?: boolean; help?: boolean } & { [K in keyof typeof WORKER_EXTRA_OPTIONS]?: string } {
  try {
    return parseArgs({ options: OPTIONS, strict: true, allowPositionals: false }).values
  } catch (error) {
    const message = messageOf(error)
    const unknown = /^Unknown option '([^']+)'/.exec(message)
    fail(unknown ? `unknown option ${unknown[1]}` : message.split('. ')[0].replace(/\.$/, ''))
  }
}

async function loadSetup(modulePath: string): Promise<CreateRefreshWorkerOptions> {
  const loaded = (await import(pathToFileURL(resolve(modulePath)).href)) as Record<string, unknown>
  let setup: unknown = loaded.cache ? loaded : loaded.default
  if (typeof setup === 'function') setup = await setup()
  const cache = (setup as { cache?: Cacheback } | undefined)?.cache
  if (!cache || typeof cache.runRefresh !== 'function') fail(`${modulePath} must export \`cache\` (a Cacheback), directly or from its default export`)
  return setup as CreateRefreshWorkerOptions
}

function describe(event: CachebackEvent): string {
  const failure = 'error' in event ? event.error : undefined
  const error = failure instanceof Error ? ` ${(failure as { code?: string }).code ?? failure.name}: ${failure.message}` : ''
  return `[cacheback-worker] ${event.type} ${event.job ?? '-'} ${event.key ?? '-'}${error}`
}

async function main(): Promise<void> {
  const values = parseCommandLine()
  if (values.help) {
    process.stdout.write(HELP)
    return
  }
  if (!values.module) fail('--module is required')
  const setup = await loadSetup(values.module)
  const concurrency = values.concurrency ? Number(values.concurrency) : setup.concurrency
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) fail(`--concurrency must be a positive integer, got ${values.concurrency}`)
  const log = (line: string) => void process.stdout.write(`${line}\n`)
  if (!values.quiet) {
    setup.cache.addListener((event) => {
      if (event.type.startsWith('refresh-') || event.type === 'store-error') log(describe(event))
    })
  }
  // Signals stop the worker at any point, also while it still waits for Redis.
  let worker: RefreshWorker | undefined
  let stopExtras: (() => Promise<void>) | undefined
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    log(`[cacheback-worker] ${signal}: ${worker ? 'finishing running refreshes' : 'stopping'}`)
    await stopExtras?.().catch(() => undefined)
    await worker?.close(DEFAULT_WORKER_CLOSE_TIMEOUT_MS).catch((error) => process.stderr.write(`[cacheback-worker] close: ${String(error)}\n`))
    await setup.cache.close().catch(() => undefined)
    process.exit(0)
  }
  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.on('SIGINT', () => void stop('SIGINT'))
  const producer = setup.cache.refresher instanceof BeeQueueRefresher ? setup.cache.refresher : undefined
  await waitForRedis([queueProbe(setup.redis ?? producer?.redis ?? DEFAULT_REDIS_URL), storeProbe(setup.cache)], { log, stopped: () => stopping })
  if (stopping) return
  worker = createRefreshWorker({ ...setup, concurrency, queue: values.queue ?? setup.queue })
  await worker.ready()
  stopExtras = await startWorkerExtras({ values, cache: setup.cache, worker, redis: setup.redis, schema: setup.schema as ExtrasSchema, context: setup.context, write: log, fail })
  log(`[cacheback-worker] ready: queue "${worker.queue.name}", concurrency ${concurrency ?? DEFAULT_WORKER_CONCURRENCY}`)
}

main().catch((error: unknown) => {
  // Our own errors say what is wrong in one line; anything else (a broken setup module, say) keeps its stack.
  const text = error instanceof CachebackError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)
  process.stderr.write(`cacheback-worker: ${text}\n`)
  process.exit(1)
})
