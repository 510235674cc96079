/**
 * Scenario 1, short version (`npm run soak` stops Redis for 10 s in a 30 s
 * load): the example server and a worker process under a constant load,
 * their Redis stopped for 5 s and started again, empty. Every answer must be
 * a complete, correct GraphQL response; hits come back once Redis does; the
 * worker takes refreshes from the queue again; no key of the namespace holds
 * anything the entry decoder refuses. The latency figures are printed, not
 * asserted (see test/RELIABILITY-NOTES.md).
 */
import { expect, it } from 'vitest'
import { runRedisOutage } from './scenarios/redis-outage.js'

const UPSTREAM_LATENCY_MS = 200

it('answers every request through a 5 s Redis outage, hits again once Redis is back, and leaves no corrupt entry', async () => {
  const result = await runRedisOutage({ beforeMs: 3000, outageMs: 5000, hitsWithinMs: 10_000, afterMs: 0, upstreamLatencyMs: UPSTREAM_LATENCY_MS, tweetsLifetime: 2 })
  const { before, outage, after } = result.latency
  const ms = (n: number | undefined) => (n === undefined ? '-' : n.toFixed(0))
  console.log(
    `[reliability] Redis outage 5 s under load (upstream ${UPSTREAM_LATENCY_MS} ms): ${result.samples.length} answers, ${result.failures.length} failed; ` +
      `p50/p99/max ms before ${ms(before.p50)}/${ms(before.p99)}/${ms(before.max)}, during ${ms(outage.p50)}/${ms(outage.p99)}/${ms(outage.max)} (${outage.count} answers), ` +
      `after ${ms(after.p50)}/${ms(after.p99)}/${ms(after.max)}; hits again ${ms(result.hitsResumedAfterMs)} ms after Redis returned, worker refreshing again after ${ms(result.workerRefreshAfterMs)} ms; ` +
      `${result.contents.entries.length} entries and ${result.contents.locks.length} locks read back, ${result.contents.corrupt.length} corrupt`,
  )
  const logs = `server:\n${result.serverLogAfterReturn.slice(-20).join('\n')}\nworker:\n${result.workerLogAfterReturn.slice(-20).join('\n')}`
  expect(result.failures.slice(0, 5)).toEqual([])
  expect(outage.count).toBeGreaterThan(50) // the load went on through the outage
  expect(result.outageHits).toBe(0) // ...and really had no store
  expect(result.hitsResumedAfterMs, logs).toBeDefined()
  expect(result.workerRefreshAfterMs, logs).toBeDefined() // the queue works again (bee-queue's scripts reloaded)
  expect(result.processesAlive, logs).toBe(true)
  expect(result.contents.corrupt).toEqual([])
  expect(result.contents.entries.length).toBeGreaterThan(0)
}, 90_000)
