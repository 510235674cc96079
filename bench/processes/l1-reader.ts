/**
 * The other process of `l1-invalidation`: a `Cacheback` with an in-process
 * tier on `REDIS_URL` (namespace `NAMESPACE`, its bus the store's) that
 * reads one key in a loop, yielding to I/O between reads (`setImmediate`),
 * and tells the parent over IPC when its reads stop being in-process hits of
 * the value it held (`left`, with the time, `performance.timeOrigin +
 * performance.now()` ms, comparable across processes of one machine) and
 * when they are in-process hits again (`back`). Ready once its bus listens.
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import { Cacheback, cacheback } from '../../src/index.js'
import { RedisStore } from '../../src/redis/index.js'
import { env } from './child.js'

const cache = new Cacheback({ store: new RedisStore({ redis: env('REDIS_URL') }), namespace: env('NAMESPACE'), l1: { maxEntries: 100 } })
let fetches = 0
// The parent's job of the same name writes `{ version }`; a fetch here (after a removal) writes `{ version: -n }`.
const value = cacheback(async (id: number) => ({ id, version: -++fetches }), { name: 'hotValue', lifetime: 3600, cache })

await new Promise<void>((resolve) => (cache.l1!.serving ? resolve() : cache.addListener((event) => event.type === 'bus-up' && resolve())))
process.once('disconnect', () => process.exit(0))
process.send!({ ready: true })

let inTier = false
for (;;) {
  const read = await value.read(0)
  const now = performance.timeOrigin + performance.now()
  const hit = read.status === 'hit' && read.tier === 'l1'
  if (hit !== inTier) {
    inTier = hit
    process.send!(hit ? { type: 'back', version: read.value!.version } : { type: 'left', at: now, status: read.status, version: read.value?.version })
  }
  await nextTurn()
}
