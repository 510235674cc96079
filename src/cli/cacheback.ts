#!/usr/bin/env node
/**
 * `cacheback <command>`: operating a deployment. `stats`, `inspect`,
 * `invalidate`, `dashboard`, and `worker` (= `cacheback-worker`). Each takes
 * `--help`. Exit codes: 0 done, 1 failed, 2 usage error.
 */
import { DASHBOARD_HELP, dashboardCommand } from './dashboard-command.js'
import { INSPECT_HELP, inspectCommand } from './inspect-command.js'
import { INVALIDATE_HELP, invalidateCommand } from './invalidate-command.js'
import { UsageError } from './setup.js'
import { STATS_HELP, statsCommand } from './stats-command.js'

const HELP = `usage: cacheback <command> [options]   (cacheback <command> --help for its options)

commands:
  stats        the deployment's figures (reads per field and job, refreshes, queue, errors), from Redis
  inspect      decode one entry: status, age, size, lock, tags, value (by key, field coordinate or job)
  invalidate   mark stale or purge by entity, field coordinate or tag
  dashboard    serve the dashboard page (also: cacheback-worker --dashboard-port N)
  worker       run refresh workers: the same as cacheback-worker (cacheback worker --help)`

const COMMANDS: Record<string, { help: string; run: (args: string[]) => Promise<void> }> = {
  stats: { help: STATS_HELP, run: statsCommand },
  inspect: { help: INSPECT_HELP, run: inspectCommand },
  invalidate: { help: INVALIDATE_HELP, run: invalidateCommand },
  dashboard: { help: DASHBOARD_HELP, run: dashboardCommand },
}

async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') return void process.stdout.write(`${HELP}\n`)
  if (name === 'worker') {
    // The worker command reads process.argv itself: hand it the rest, as `cacheback-worker` would get it.
    process.argv = [process.argv[0], process.argv[1], ...args]
    await import('./worker.js')
    return
  }
  const command = COMMANDS[name]
  if (!command) throw new UsageError(`unknown command "${name}"\n\n${HELP}`)
  if (args.includes('--help') || args.includes('-h')) return void process.stdout.write(`${command.help}\n`)
  try {
    await command.run(args)
  } catch (error) {
    const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    if (usage) throw new UsageError(`${(error as Error).message}\n\n${command.help}`)
    throw error
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const usage = error instanceof UsageError
  process.stderr.write(`cacheback: ${usage ? (error as Error).message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exit(usage ? 2 : 1)
})
