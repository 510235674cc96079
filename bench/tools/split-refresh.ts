/**
 * `refresh-throughput`'s cacheback contender in two phases, to tell the
 * dispatch side's CPU from the worker's: 5,000 stale reads dispatch with no
 * worker running (the jobs wait in the queue), then a worker starts and runs
 * them. `NODE_ENV=production tsx bench/tools/split-refresh.ts [concurrency] [rounds]`.
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { performance } from 'node:perf_hooks'
import { Cacheback, cacheback } from 'graphql-cacheback'
import { RedisStore } from 'graphql-cacheback/redis'
import { BeeQueueRefresher, createRefreshWorker } from 'graphql-cacheback/bee-queue'
import { makeProfile } from '../support/payload.js'
import { benchClient, openBenchRedis } from '../support/redis.js'
import { runLoad } from '../support/stats.js'
import { Countdown, inBatches } from '../support/util.js'
import { collectGarbage } from '../support/gc.js'

const KEYS = 5000
let profiles = 0
const concurrency = Number(process.argv[2] ?? 16)
const rounds = Number(process.argv[3] ?? 3)
const redis = await openBenchRedis()
const values = Array.from({ length: KEYS }, (_, id) => makeProfile(id))
const queue = { redis: redis.url, queue: 'split', prefix: 'splitbq' }
const fetchValue = async (id: number) => values[id]
const readerClient = benchClient(redis.url)
const workerClient = benchClient(redis.url)
const reader = new Cacheback({ namespace: 'split', store: new RedisStore({ redis: readerClient }), refresher: new BeeQueueRefresher(queue) })
const workerCache = new Cacheback({ namespace: 'split', store: new RedisStore({ redis: workerClient }), onEvent: () => undefined })
const read = cacheback(fetchValue, { name: 'refreshTarget', cache: reader, lifetime: 3600 })
const workerJob = cacheback(fetchValue, { name: 'refreshTarget', cache: workerCache, lifetime: 3600 })
await inBatches(KEYS, (id) => read.set([id], values[id]))

const session = new Session()
session.connect()
await session.post('Profiler.enable')
await session.post('Profiler.setSamplingInterval', { interval: 250 })
const measure = async (what: string, run: () => Promise<unknown>, profiled: boolean) => {
  collectGarbage()
  if (profiled) await session.post('Profiler.start')
  const cpu = process.cpuUsage()
  const started = performance.now()
  await run()
  const ms = performance.now() - started
  const used = process.cpuUsage(cpu)
  if (profiled) {
    const { profile } = await session.post('Profiler.stop')
    writeFileSync(`/tmp/split-${what}-${profiles++}.cpuprofile`, JSON.stringify(profile))
  }
  console.log(`${what.padEnd(9)} ${Math.round((KEYS / ms) * 1000)}/s, user ${Math.round(used.user / KEYS)} µs, system ${Math.round(used.system / KEYS)} µs per refresh`)
}

for (let round = 0; round <= rounds; round++) {
  await inBatches(KEYS, (id) => read.invalidate(id))
  await measure('dispatch', () => runLoad((id) => read.read(id), KEYS, 100), round > 0 && process.env.PROFILE === 'dispatch')
  const worker = createRefreshWorker({ cache: workerCache, jobs: [workerJob], ...queue, concurrency, stallInterval: 5000 })
  const finished = new Countdown('jobs')
  worker.queue.on('succeeded', () => finished.tick())
  const done = finished.expect(KEYS)
  await measure('worker', () => done, round > 0 && process.env.PROFILE === 'worker')
  await worker.close()
}
if (process.env.COMMANDSTATS) console.log((await readerClient.info('commandstats')).split('\r\n').filter((line) => line.startsWith('cmdstat')).map((line) => line.replace(/,rejected_calls=0,failed_calls=0/, '')).join('\n'))
await reader.close()
await workerCache.close()
readerClient.disconnect()
workerClient.disconnect()
await redis.stop()
