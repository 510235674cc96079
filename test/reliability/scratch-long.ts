import { runRedisOutage } from './scenarios/redis-outage.js'
for (const outageMs of (process.argv[2] ?? '25000').split(',').map(Number)) {
  const r = await runRedisOutage({ beforeMs: 2000, outageMs, hitsWithinMs: 10000, afterMs: 0, upstreamLatencyMs: 300, tweetsLifetime: 2 })
  console.log(outageMs, 'failures', r.failures.length, 'hitsResumedAfterMs', r.hitsResumedAfterMs?.toFixed(0), 'workerRefreshAfterMs', r.workerRefreshAfterMs?.toFixed(0), 'outage p99', r.latency.outage.p99.toFixed(0))
}
process.exit(0)
