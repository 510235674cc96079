/**
 * The benchmark runner: `npm run bench` runs every scenario, `npm run bench
 * -- <name> [<name>…]` the named ones; `--rounds N` sets the measured rounds
 * (default 5). Uses `REDIS_URL` when set, else starts its own redis-server.
 * Prints each scenario's tables and writes `bench/RESULTS.md`.
 */
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { Scenario, ScenarioReport } from './scenario.js'
import { scenarios } from './scenarios/index.js'
import { markdownReport, textReport } from './support/format.js'
import { describeMachine } from './support/machine.js'
import { benchClient, deleteMatching, openBenchRedis } from './support/redis.js'
import { type SectionContent, renderResults, updateResults, writeResults } from './support/results.js'

const RESULTS_PATH = fileURLToPath(new URL('./RESULTS.md', import.meta.url))
const DEFAULT_ROUNDS = 5

/** A mistake on the command line: reported without a stack trace. */
class UsageError extends Error {}

function log(message: string): void {
  process.stderr.write(`${message}\n`)
}

/** The scenarios named on the command line (all when none), or an error naming the known ones. */
function select(names: string[]): Scenario[] {
  if (names.length === 0) return [...scenarios]
  const known = new Map(scenarios.map((s) => [s.name, s]))
  const unknown = names.filter((name) => !known.has(name))
  if (unknown.length > 0) throw new UsageError(`Unknown scenario ${unknown.join(', ')}; known: ${[...known.keys()].join(', ')}`)
  const pending = names.map((name) => known.get(name)!).filter((s) => s.pending)
  if (pending.length > 0) throw new UsageError(pending.map((s) => `Scenario ${s.name} is not runnable yet: ${s.pending}`).join('\n'))
  return names.map((name) => known.get(name)!)
}

async function runScenario(scenario: Scenario, redisUrl: string, rounds: number): Promise<{ report: ScenarioReport; seconds: number; load: [number, number] }> {
  const prefix = `bench-${scenario.name}-${process.pid}:`
  const started = Date.now()
  const loadAtStart = os.loadavg()[0]
  log(`\n== ${scenario.name}: ${scenario.title}`)
  try {
    const report = await scenario.run!({ redisUrl, rounds, prefix, log: (message) => log(`   ${message}`) })
    return { report, seconds: (Date.now() - started) / 1000, load: [loadAtStart, os.loadavg()[0]] }
  } finally {
    const client = benchClient(redisUrl)
    await deleteMatching(client, `${prefix}*`).finally(() => client.disconnect())
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { rounds: { type: 'string' } } })
  const rounds = values.rounds === undefined ? DEFAULT_ROUNDS : Number(values.rounds)
  if (!Number.isInteger(rounds) || rounds < 1) throw new UsageError(`--rounds must be a positive whole number, got ${values.rounds}`)
  const selected = select(positionals)
  const partial = positionals.length > 0
  const redis = await openBenchRedis()
  const started = Date.now()
  try {
    const machine = await describeMachine(redis.url)
    log(`Redis ${machine.redis} at ${redis.url} (${redis.origin}); ${machine.cpuCount} × ${machine.cpuModel}; Node ${machine.node}`)
    const sections: SectionContent[] = []
    for (const scenario of selected) {
      const date = new Date().toISOString()
      if (scenario.pending) {
        log(`\n== ${scenario.name}: pending (${scenario.pending})`)
        sections.push({ scenario, date, markdown: `_Pending: ${scenario.pending}._` })
        continue
      }
      const { report, seconds, load } = await runScenario(scenario, redis.url, rounds)
      process.stdout.write(`\n${scenario.name}\n${textReport(report)}\n`)
      sections.push({ scenario, date, markdown: markdownReport(report), elapsedSeconds: seconds, load })
    }
    const totalSeconds = (Date.now() - started) / 1000
    const origin = redis.origin === 'started' ? 'started by the run (`redis-server`, no persistence)' : 'given by `REDIS_URL`'
    const full = () => renderResults(machine, origin, new Date(started).toISOString(), rounds, sections, totalSeconds)
    if (partial) updateResults(RESULTS_PATH, sections, full)
    else writeResults(RESULTS_PATH, full())
    log(`\nDone in ${totalSeconds.toFixed(0)} s; results in ${RESULTS_PATH}`)
  } finally {
    await redis.stop()
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(error instanceof UsageError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error))
    process.exit(1)
  },
)
