/**
 * Scenario 2, short version (`npm run soak` kills five workers in a row): the
 * example server and two worker processes on the suite's Redis, clients
 * querying one cached field. When the entry goes stale, the worker that
 * takes the refresh is SIGKILLed while its upstream call is under way. The
 * other worker reruns the refresh once bee-queue's stall detection
 * (`STALL_INTERVAL_MS`, 500 ms here) hands it the job; meanwhile every
 * answer is the old value, served stale; afterwards the entry is fresh with
 * the survivor's value. Waits are on events (a proxied upstream call, a log
 * line, an answer), each bounded; the durations are printed, not asserted.
 */
import { expect, inject, it } from 'vitest'
import { runWorkerKill } from './scenarios/worker-kill.js'

it('reruns the refresh of a worker killed mid-refresh, serving the stale value meanwhile, and ends fresh', async () => {
  const result = await runWorkerKill({ redisUrl: inject('redisUrl'), rounds: 1, upstreamLatencyMs: 200, tweetsLifetime: 2, stallIntervalMs: 500, waitMs: 15_000 })
  const [round] = result.rounds
  console.log(
    `[reliability] worker ${round.victim} SIGKILLed mid-refresh: ${round.survivor} refetched ${round.killToRerunMs.toFixed(0)} ms later (stall interval 500 ms), ` +
      `fresh ${round.killToFreshMs.toFixed(0)} ms after the kill; ${round.staleOld} of ${round.answers} answers until then were the old value, stale, the others the new one, a hit; ${result.failures.length} failed of ${result.samples.length}`,
  )
  expect(result.failures.slice(0, 5)).toEqual([])
  expect(round.unexpected).toEqual([])
  expect(round.staleOld).toBeGreaterThan(0)
  expect(round.upstreamFetches).toBe(2) // the killed fetch and the rerun
  expect(result.refreshFailures).toBe(0)
  expect(result.contents.corrupt).toEqual([])
  expect(result.contents.entries).toHaveLength(1)
  expect(JSON.stringify(result.contents.entries[0].value)).toContain(`[${round.survivor}]`)
  expect(result.contents.entries[0].freshUntil).toBeGreaterThan(Date.now() - 1000) // written by the rerun, moments ago
}, 90_000)
