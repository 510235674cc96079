import { startRedisServer } from '../helpers/redis-server.js'
import { runWorkerKill } from './scenarios/worker-kill.js'
const redis = await startRedisServer()
const r = await runWorkerKill({ redisUrl: redis.url, rounds: Number(process.argv[2] ?? 1), upstreamLatencyMs: 200, tweetsLifetime: 2, stallIntervalMs: 500, waitMs: 15000, log: console.log })
const { samples, ...rest } = r
console.log(JSON.stringify({ ...rest, failures: r.failures.slice(0, 5), contents: { entries: r.contents.entries.map(e => [e.key, e.createdAt, JSON.stringify(e.value).slice(0, 200)]), locks: r.contents.locks.length, corrupt: r.contents.corrupt } }, null, 1))
console.log('total', samples.length)
await redis.stop()
process.exit(0)
