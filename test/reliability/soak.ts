/**
 * `npm run soak`: the long versions of the reliability scenarios, each
 * driving the example server (and its worker processes) over HTTP with
 * bounded request loops, on `redis-server`s this script starts on loopback.
 * Prints each scenario's figures, then a summary with the machine and the
 * date; exits 1 when a promise was broken. About three minutes; not in CI.
 *
 *   1. Redis stopped for 10 s in the middle of a 30 s load.
 *   2. Five worker processes SIGKILLed mid-refresh, one after the other.
 *   3. The workers' upstream failing for 30 s (refreshTimeout 5 s).
 *   4. Five races of two workers on one key (one frozen mid-refresh, redelivered to the other).
 */
import { execFileSync } from 'node:child_process'
import os from 'node:os'
import { DEFAULT_COMMAND_TIMEOUT_MS } from '../../src/redis/redis-store.js'
import { startRedisServer } from '../helpers/redis-server.js'
import type { LatencyFigures } from './harness/load.js'
import { runRedisOutage } from './scenarios/redis-outage.js'
import { runRefreshRace } from './scenarios/refresh-race.js'
import { runUpstreamDown } from './scenarios/upstream-down.js'
import { runWorkerKill } from './scenarios/worker-kill.js'

const UPSTREAM_LATENCY_MS = 300 // the example's default
const WAIT_MS = 20_000

const summary: string[] = []
let broken = 0

/** Records one promise: its figure and whether it held. */
function check(scenario: string, promise: string, held: boolean, figure: string): void {
  if (!held) broken++
  summary.push(`  ${held ? 'ok    ' : 'BROKEN'} ${scenario}: ${promise} — ${figure}`)
}

const ms = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '-' : `${n.toFixed(0)} ms`)
const latency = (l: LatencyFigures) => `p50 ${ms(l.p50)}, p99 ${ms(l.p99)}, max ${ms(l.max)} (${l.count} answers)`
const say = (line: string) => console.log(`  ${line}`)

function machine(): string {
  const cpus = os.cpus()
  const redis = execFileSync('redis-server', ['--version']).toString().match(/v=(\S+)/)?.[1] ?? '?'
  return `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}, redis-server ${redis}`
}

async function outage(): Promise<void> {
  console.log('\n1. Redis stopped for 10 s in the middle of a 30 s load (8 clients, every cached field)')
  const r = await runRedisOutage({ beforeMs: 10_000, outageMs: 10_000, hitsWithinMs: 10_000, afterMs: 10_000, upstreamLatencyMs: UPSTREAM_LATENCY_MS, tweetsLifetime: 3, clients: 8, log: say })
  say(`answers ${r.samples.length}, failed ${r.failures.length}${r.failures[0] ? ` (first: ${r.failures[0].failure})` : ''}`)
  say(`before:  ${latency(r.latency.before)}`)
  say(`outage:  ${latency(r.latency.outage)}; hits among them ${r.outageHits}; refreshes run in-process ${r.inProcessRefreshesDuringOutage}`)
  say(`after:   ${latency(r.latency.after)}`)
  say(`hits again ${ms(r.hitsResumedAfterMs)} after Redis returned; the worker refreshed from the queue again after ${ms(r.workerRefreshAfterMs)} (${r.workerRefreshesAfterReturn} refreshes after the return, ${r.queuedRefreshesAfterReturn} dispatched to the queue)`)
  say(`read back: ${r.contents.entries.length} entries, ${r.contents.locks.length} locks, ${r.contents.corrupt.length} corrupt`)
  const bound = UPSTREAM_LATENCY_MS + DEFAULT_COMMAND_TIMEOUT_MS
  check('Redis outage', 'zero failed responses', r.failures.length === 0, `${r.failures.length} of ${r.samples.length}`)
  check('Redis outage', `p99 during the outage <= upstream latency + command timeout (${bound} ms)`, r.latency.outage.p99 <= bound, ms(r.latency.outage.p99))
  check('Redis outage', 'hits within 2 s of Redis returning', (r.hitsResumedAfterMs ?? Infinity) <= 2000, ms(r.hitsResumedAfterMs))
  check('Redis outage', 'no corrupt entry afterwards', r.contents.corrupt.length === 0 && r.contents.entries.length > 0, `${r.contents.entries.length} entries decoded, ${r.contents.corrupt.length} corrupt`)
  check('Redis outage', 'both processes alive, worker refreshing again', r.processesAlive && r.workerRefreshAfterMs !== undefined, `worker back after ${ms(r.workerRefreshAfterMs)}`)
}

async function workerKill(redisUrl: string): Promise<void> {
  console.log('\n2. A worker SIGKILLed mid-refresh, five times (2 workers, STALL_INTERVAL_MS 1000, 4 clients on one key)')
  const r = await runWorkerKill({ redisUrl, rounds: 5, upstreamLatencyMs: UPSTREAM_LATENCY_MS, tweetsLifetime: 3, stallIntervalMs: 1000, waitMs: WAIT_MS, log: say })
  const rerun = r.rounds.map((x) => x.killToRerunMs)
  const fresh = r.rounds.map((x) => x.killToFreshMs)
  const stale = r.rounds.reduce((n, x) => n + x.staleOld, 0)
  const unexpected = r.rounds.reduce((n, x) => n + x.unexpected.length, 0)
  say(`answers ${r.samples.length}, failed ${r.failures.length}; kill to rerun ${ms(Math.min(...rerun))}–${ms(Math.max(...rerun))}, kill to fresh ${ms(Math.min(...fresh))}–${ms(Math.max(...fresh))}; ${stale} answers meanwhile stale with the old value, ${unexpected} otherwise`)
  check('worker killed', 'zero failed responses', r.failures.length === 0, `${r.failures.length} of ${r.samples.length}`)
  check('worker killed', 'the refresh runs again (once) after each kill', r.rounds.every((x) => x.upstreamFetches === 2), `upstream calls per round: ${r.rounds.map((x) => x.upstreamFetches).join(', ')}`)
  check('worker killed', 'stale value served meanwhile', unexpected === 0 && r.rounds.every((x) => x.staleOld > 0), `${stale} stale answers, ${unexpected} others`)
  check('worker killed', 'entry ends fresh with the rerun value', r.contents.corrupt.length === 0 && r.refreshFailures === 0, `kill to fresh ≤ ${ms(Math.max(...fresh))}, ${r.refreshFailures} refresh-failed`)
}

async function upstreamDown(redisUrl: string): Promise<void> {
  const refreshTimeout = 5
  const failMs = 30_000
  console.log(`\n3. The workers' upstream failing for ${failMs / 1000} s (refreshTimeout ${refreshTimeout} s, lifetime 2 s, 6 clients on 3 keys)`)
  const r = await runUpstreamDown({ redisUrl, failMs, refreshTimeout, tweetsLifetime: 2, upstreamLatencyMs: UPSTREAM_LATENCY_MS, waitMs: WAIT_MS, log: say })
  for (const k of r.keys) {
    say(`${k.user}: ${k.served} answers while failing (${k.stale} stale, ${k.valueChanges} value changes), ${k.attempts} refresh attempts (closest ${ms(k.minGapMs)} apart), fresh again ${ms(k.recoveredAfterMs)} after the upstream returned (${k.attemptsToRecover} attempt)`)
  }
  const attempts = r.keys.reduce((n, k) => n + k.attempts, 0)
  const most = Math.ceil(failMs / (refreshTimeout * 1000)) + 1
  say(`answers ${r.samples.length}, failed ${r.failures.length}; refresh-failed lines ${r.refreshFailedLines} for ${attempts} attempts`)
  check('upstream failing', 'zero failed responses, last good value served', r.failures.length === 0 && r.keys.every((k) => k.valueChanges === 0 && k.stale > 0), `${r.failures.length} failed, ${r.keys.reduce((n, k) => n + k.stale, 0)} stale answers`)
  check('upstream failing', `at most one attempt per key per refreshTimeout (<= ${most} in ${failMs / 1000} s, >= ${refreshTimeout} s apart)`, r.keys.every((k) => k.attempts <= most && !(k.minGapMs < refreshTimeout * 1000 - 100)), r.keys.map((k) => `${k.user} ${k.attempts}, ${ms(k.minGapMs)} apart`).join('; '))
  check('upstream failing', 'refresh-failed counted', r.refreshFailedLines === attempts, `${r.refreshFailedLines} events, ${attempts} attempts`)
  check('upstream failing', 'recovery on the first success', r.keys.every((k) => k.recoveredAfterMs !== undefined && k.attemptsToRecover === 1), r.keys.map((k) => `${k.user} ${ms(k.recoveredAfterMs)}`).join(', '))
}

async function refreshRace(redisUrl: string): Promise<void> {
  console.log('\n4. Two workers racing on one key, five times (the first frozen mid-refresh by SIGSTOP, its job redelivered to the other, then resumed)')
  const r = await runRefreshRace({ redisUrl, rounds: 5, upstreamLatencyMs: UPSTREAM_LATENCY_MS, tweetsLifetime: 3, stallIntervalMs: 1000, waitMs: WAIT_MS, log: say })
  say(`answers ${r.samples.length}, failed ${r.failures.length}; read back ${r.contents.entries.length} entry, ${r.contents.corrupt.length} corrupt`)
  check('two workers racing', 'zero failed responses', r.failures.length === 0, `${r.failures.length} of ${r.samples.length}`)
  check('two workers racing', 'the newest value wins (compare-and-set)', r.rounds.every((x) => x.winner === x.fast && x.slowValueServed === 0), r.rounds.map((x) => `${x.fast} over ${x.slow} (${ms(x.finishedLaterMs)} later)`).join(', '))
}

async function main(): Promise<void> {
  const started = Date.now()
  console.log(`graphql-cacheback soak — ${new Date(started).toISOString()}\n${machine()}`)
  await outage()
  const redis = await startRedisServer()
  try {
    await workerKill(redis.url)
    await upstreamDown(redis.url)
    await refreshRace(redis.url)
  } finally {
    await redis.stop()
  }
  console.log(`\nSummary (${((Date.now() - started) / 1000).toFixed(0)} s, ${new Date().toISOString()}; ${machine()}; upstream latency ${UPSTREAM_LATENCY_MS} ms, store command timeout ${DEFAULT_COMMAND_TIMEOUT_MS} ms)`)
  console.log(summary.join('\n'))
  console.log(broken ? `\n${broken} promise(s) broken` : '\nall promises held')
  process.exit(broken ? 1 : 0)
}

main().catch((error) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error)
  process.exit(1)
})
