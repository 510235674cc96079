#!/usr/bin/env node
/**
 * `cacheback-worker --module ./worker-setup.js [--concurrency N] [--queue NAME] [--quiet]`
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
import { DEFAULT_WORKER_CONCURRENCY, DEFAULT_WORKER_CLOSE_TIMEOUT_MS } from '../defaults.js'
import { WORKER_EXTRA_OPTIONS, WORKER_EXTRA_USAGE, startWorkerExtras } from './worker-extras.js'

const USAGE = `usage: cacheback-worker --module <path to worker setup module> [--concurrency N] [--queue NAME] [--quiet] ${WORKER_EXTRA_USAGE}`

function fail(message: string): never {
  process.stderr.write(`cacheback-worker: ${message}\n${USAGE}\n`)
  process.exit(2)
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
  const { values } = parseArgs({ options: { module: { type: 'string' }, concurrency: { type: 'string' }, queue: { type: 'string' }, quiet: { type: 'boolean' }, ...WORKER_EXTRA_OPTIONS } })
  if (!values.module) fail('--module is required')
  const setup = await loadSetup(values.module)
  const concurrency = values.concurrency ? Number(values.concurrency) : setup.concurrency
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) fail(`--concurrency must be a positive integer, got ${values.concurrency}`)
  if (!values.quiet) {
    setup.cache.addListener((event) => {
      if (event.type.startsWith('refresh-') || event.type === 'store-error') process.stdout.write(`${describe(event)}\n`)
    })
  }
  const worker = createRefreshWorker({ ...setup, concurrency, queue: values.queue ?? setup.queue })
  await worker.ready()
  const stopExtras = await startWorkerExtras({ values, cache: setup.cache, worker, redis: setup.redis, schema: setup.schema, context: setup.context, write: (line) => process.stdout.write(`${line}\n`), fail })
  process.stdout.write(`[cacheback-worker] ready: queue "${worker.queue.name}", concurrency ${concurrency ?? DEFAULT_WORKER_CONCURRENCY}\n`)
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    process.stdout.write(`[cacheback-worker] ${signal}: finishing running refreshes\n`)
    await stopExtras().catch(() => undefined)
    await worker.close(DEFAULT_WORKER_CLOSE_TIMEOUT_MS).catch((error) => process.stderr.write(`[cacheback-worker] close: ${String(error)}\n`))
    await setup.cache.close().catch(() => undefined)
    process.exit(0)
  }
  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.on('SIGINT', () => void stop('SIGINT'))
}

main().catch((error) => {
  process.stderr.write(`cacheback-worker: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exit(1)
})
