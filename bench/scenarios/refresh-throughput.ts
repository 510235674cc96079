/**
 * `refresh-throughput`: refreshes per second through `BeeQueueRefresher` and
 * a refresh worker with an instant fetch, against raw bee-queue jobs per
 * second on the same Redis with the same queue settings and payloads (the
 * floor). Each round makes N keys stale, reads each once from 100
 * concurrent callers (each read takes the refresh lock and queues a job), and
 * times until the worker has finished every job.
 */
import { randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import Queue from 'bee-queue'
import { BeeQueueRefresher, Cacheback, RedisStore, cacheback, createRefreshWorker } from '../../src/index.js'
import { jobIdOf } from '../../src/keys.js'
import { queueSettings } from '../../src/refresh/bee-queue.js'
import { DEFAULT_MAX_PAYLOAD_BYTES, encodePayload } from '../../src/refresh/payload.js'
import type { Scenario, ScenarioContext, ScenarioReport } from '../scenario.js'
import { int, ratio } from '../support/format.js'
import { collectGarbage } from '../support/gc.js'
import { makeProfile } from '../support/payload.js'
import { benchClient } from '../support/redis.js'
import { median, medianRatio, roundRobin, runLoad } from '../support/stats.js'
import { Countdown, inBatches } from '../support/util.js'

const KEYS = 5_000
const WARMUP_KEYS = 1_000
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4)
/** Concurrent readers (or raw producers) dispatching, as in a busy server. */
const READERS = 100
/** bee-queue job timeout: the refresher sets the job's `refreshTimeout` (default 60 s). */
const JOB_TIMEOUT_MS = 60_000
const LIFETIME_S = 3600
const STALL_INTERVAL_MS = 5000

/** One contender: runs one round over the first `count` ids and returns jobs/s. */
interface ThroughputContender {
  round(count: number): Promise<number>
  close(): Promise<void>
}

/** cacheback: stale reads dispatch through BeeQueueRefresher; `createRefreshWorker` runs them. */
async function cachebackContender(context: ScenarioContext, values: readonly unknown[]): Promise<ThroughputContender> {
  const namespace = `${context.prefix}cb`
  const queue = { redis: context.redisUrl, queue: 'refresh', prefix: `${context.prefix}bq` }
  const readerClient = benchClient(context.redisUrl)
  const workerClient = benchClient(context.redisUrl)
  const fetchValue = async (id: number) => values[id]
  const reader = new Cacheback({ namespace, store: new RedisStore({ redis: readerClient }), refresher: new BeeQueueRefresher(queue) })
  let refreshed = 0
  const workerCache = new Cacheback({
    namespace,
    store: new RedisStore({ redis: workerClient }),
    onEvent: (event) => void (event.type === 'refresh-succeeded' && refreshed++),
  })
  const read = cacheback(fetchValue, { name: 'refreshTarget', cache: reader, lifetime: LIFETIME_S })
  const workerJob = cacheback(fetchValue, { name: 'refreshTarget', cache: workerCache, lifetime: LIFETIME_S })
  const worker = createRefreshWorker({ cache: workerCache, jobs: [workerJob], ...queue, concurrency: CONCURRENCY, stallInterval: STALL_INTERVAL_MS })
  await worker.ready()
  const finished = new Countdown('cacheback refresh jobs')
  worker.queue.on('succeeded', () => finished.tick())
  await inBatches(values.length, (id) => read.set([id], values[id]))
  return {
    async round(count) {
      await inBatches(count, (id) => read.invalidate(id))
      collectGarbage()
      refreshed = 0
      const done = finished.expect(count)
      const started = performance.now()
      let notDispatched = 0
      await runLoad(async (id) => {
        const result = await read.read(id)
        if (result.status !== 'stale' || result.refresh !== 'dispatched') notDispatched++
      }, count, READERS)
      if (process.env.BENCH_DEBUG) console.error('dispatch phase', ((performance.now() - started) / 1000).toFixed(2))
      await done
      const seconds = (performance.now() - started) / 1000
      if (notDispatched > 0 || refreshed !== count) throw new Error(`refresh-throughput: ${notDispatched} reads did not dispatch, ${refreshed}/${count} refreshes succeeded`)
      return count / seconds
    },
    async close() {
      await worker.close()
      await reader.close()
      await workerCache.close()
      readerClient.disconnect()
      workerClient.disconnect()
    },
  }
}

/** The floor: the same payloads and job ids through bee-queue directly, with a worker that does nothing. */
async function rawBeeQueue(context: ScenarioContext, count: number): Promise<ThroughputContender> {
  const prefix = `${context.prefix}bq`
  const producer = new Queue('raw', queueSettings(context.redisUrl, prefix, { isWorker: false, getEvents: false, sendEvents: false }))
  const consumer = new Queue('raw', queueSettings(context.redisUrl, prefix, { isWorker: true, getEvents: false, sendEvents: false, stallInterval: STALL_INTERVAL_MS }))
  const finished = new Countdown('raw bee-queue jobs')
  consumer.on('succeeded', () => finished.tick())
  consumer.process(CONCURRENCY, async () => undefined)
  await Promise.all([producer.ready(), consumer.ready()])
  const jobs = Array.from({ length: count }, (_, id) => {
    const key = `${context.prefix}cb:refreshTarget:${id.toString(16).padStart(64, '0')}`
    return { id: jobIdOf(key), payload: encodePayload({ job: 'refreshTarget', key, args: [id], token: randomUUID() }, DEFAULT_MAX_PAYLOAD_BYTES) }
  })
  return {
    async round(n) {
      collectGarbage()
      const done = finished.expect(n)
      const started = performance.now()
      await runLoad((i) => producer.createJob(jobs[i].payload).setId(jobs[i].id).timeout(JOB_TIMEOUT_MS).save(), n, READERS)
      await done
      return n / ((performance.now() - started) / 1000)
    },
    async close() {
      await consumer.close(5000)
      await producer.close(5000)
    },
  }
}

async function run(context: ScenarioContext): Promise<ScenarioReport> {
  const values = Array.from({ length: KEYS }, (_, id) => makeProfile(id))
  const contenders: Record<string, ThroughputContender> = {
    cacheback: await cachebackContender(context, values),
    'floor: raw bee-queue': await rawBeeQueue(context, KEYS),
  }
  try {
    for (const contender of Object.values(contenders)) await contender.round(WARMUP_KEYS)
    const results = await roundRobin(context.rounds, Object.keys(contenders), async (name, round) => {
      const jobsPerSec = await contenders[name].round(KEYS)
      context.log(`round ${round + 1}: ${name.padEnd(22)} ${int(jobsPerSec)} jobs/s`)
      return jobsPerSec
    })
    return report(context, results)
  } finally {
    for (const contender of Object.values(contenders)) await contender.close()
  }
}

function report(context: ScenarioContext, results: Record<string, number[]>): ScenarioReport {
  const floor = results['floor: raw bee-queue']
  const vsFloor = medianRatio(results.cacheback, floor)
  return {
    tables: [
      {
        title: `refresh-throughput: ${int(KEYS)} stale keys per round, worker concurrency ${CONCURRENCY}, medians of ${context.rounds} rounds`,
        columns: ['contender', 'jobs/s', 'min', 'max', 'vs floor'],
        rows: Object.entries(results).map(([name, runs]) => [name, int(median(runs)), int(Math.min(...runs)), int(Math.max(...runs)), ratio(medianRatio(runs, floor))]),
      },
    ],
    targets: [{ name: 'cacheback refreshes/s vs raw bee-queue', target: '≥ 0.70×', actual: ratio(vsFloor), met: vsFloor >= 0.7 }],
    notes: [
      `Timed from the first read (or raw \`save\`) to the worker's \`succeeded\` event of the last job; ${READERS} concurrent readers (raw: producers) dispatch; readers, queue and worker share one process and one Redis. Worker concurrency ${CONCURRENCY} (the \`createRefreshWorker\` default), \`removeOnSuccess\`, no events.`,
      '`cacheback` per refresh: the stale read (GET), the refresh-lock script, the queue `save`; in the worker the job, an instant fetch of a 1 KB value, msgpack encode, the compare-and-set write script and the lock release.',
      '`floor: raw bee-queue`: the same queue settings (`queueSettings` of `src/refresh/bee-queue.ts`), the same payloads, job ids and job timeout, a handler that returns at once.',
    ],
  }
}

export const refreshThroughput: Scenario = {
  name: 'refresh-throughput',
  title: 'refreshes per second through BeeQueueRefresher and the worker, against raw bee-queue',
  run,
}
