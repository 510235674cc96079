import { startRedisServer } from '../test/helpers/redis-server.js'
import { cachebackContender, msgpackFloor } from './support/hit-contenders.js'
import { makeProfile } from './support/payload.js'
import { runLoad } from './support/stats.js'
const server = await startRedisServer()
const profiles = Array.from({ length: 10000 }, (_, id) => makeProfile(id, 1024))
const setup = { redisUrl: server.url, prefix: 'p:', profiles }
const ours = await cachebackContender(setup)
const which = process.argv[2] ?? 'cacheback'
const c = which === 'floor' ? msgpackFloor(setup, ours.keys) : ours
await runLoad(c.read, 20000, 100)
for (let r = 0; r < 3; r++) { const res = await runLoad(c.read, 100000, 100); console.log(which, Math.round(res.opsPerSec), res.p50.toFixed(2), res.p99.toFixed(2)) }
await ours.close(); await c.close(); await server.stop(); process.exit(0)
