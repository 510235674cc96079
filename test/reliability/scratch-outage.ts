import { runRedisOutage } from './scenarios/redis-outage.js'
const r = await runRedisOutage({ beforeMs: 3000, outageMs: 5000, hitsWithinMs: 10000, afterMs: 500, upstreamLatencyMs: 200, tweetsLifetime: 2, log: console.log })
const { samples, serverLogAfterReturn, workerLogAfterReturn, ...rest } = r
console.log(JSON.stringify({ ...rest, failures: r.failures.slice(0, 5), contents: { entries: r.contents.entries.length, locks: r.contents.locks.length, corrupt: r.contents.corrupt } }))
const slow = samples.filter(s => s.ms > 300).map(s => ({ q: s.query, start: (s.startedAt - r.stoppedAt).toFixed(0), ms: s.ms.toFixed(0), cb: JSON.stringify(s.cacheback && { h: s.cacheback.hit, s: s.cacheback.stale, m: s.cacheback.miss, r: s.cacheback.staleFields.map(f => f.refresh) }) }))
console.log('returned at', (r.returnedAt - r.stoppedAt).toFixed(0))
console.table(slow)
process.exit(0)
