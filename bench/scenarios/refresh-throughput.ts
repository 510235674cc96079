/**
 * `refresh-throughput`: refreshes per second through `BeeQueueRefresher` and
 * a refresh worker with an instant fetch, against raw bee-queue jobs per
 * second on the same Redis with the same queue settings and payloads (the
 * floor). Each round makes N keys stale, reads each once from 100
 * concurrent callers (each read takes the refresh lock and queues a job), and
 * times until the worker has finished every job. Run at the worker's default
 * concurrency and at a higher one.
 */
import { randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import Queue from 'bee-queue'
import { Cacheback, cacheback } from 'graphql-cacheback'
import { RedisStore } from 'graphql-cacheback/redis'
import { BeeQueueRefresher, createRefreshWorker } from 'graphql-cacheback/bee-queue'
import { jobIdOf } from '../../src/keys.js'
import { queueSettings } from '../../src/bee-queue/queue.js'
import { encodePayload } from '../../src/bee-queue/payload.js'
import { DEFAULT_MAX_PAYLOAD_BYTES, DEFAULT_WORKER_CONCURRENCY } from '../../src/defaults.js'
import type { Scenario, ScenarioContext, ScenarioReport } from '../scenario.js'
import { int, ratio } from '../support/format.js'
import { collectGarbage } from '../support/gc.js'
import { makeProfile } from '../support/payload.js'
import { benchClient, commandCalls, info } from '../support/redis.js'
import { median, medianRatio, roundRobin, runLoad } from '../support/stats.js'
import { Countdown, inBatches } from '../support/util.js'

const KEYS = 5_000
const WARMUP_KEYS = 1_000
/** Worker concurrencies measured: 16 first (the target's), then 64 (the `createRefreshWorker` default). */
const CONCURRENCIES = [16, DEFAULT_WORKER_CONCURRENCY]
/** Concurrent readers (or raw producers) dispatching, as in a busy server. */
const READERS = 100
/** bee-queue job timeout: the refresher sets the job's `refreshTimeout` (default 60 s). */
const JOB_TIMEOUT_MS = 60_000
const LIFETIME_S = 3600
const STALL_INTERVAL_MS = 5000

/** Median of one figure of a contender's rounds. */
type Figure = (name: string, of: (result: RoundResult) => number) => number

/** What bounds the ratio, said when the target is missed (from CPU profiles of both contenders and `bench/tools/split-refresh.ts`). */
function bound(figure: Figure, concurrency: number): string {
  const [mine, raw] = [ours(concurrency), floor(concurrency)]
  const cpu = (name: string) => int(figure(name, (r) => r.cpuPerJob))
  const bytes = (name: string) => int(figure(name, (r) => r.bytesPerJob))
  const redis = (name: string) => int(figure(name, (r) => r.redisCpuPerJob))
  const commands = figure(mine, (r) => r.commandsPerJob).toFixed(1)
  return [
    `What bounds the ratio: the benchmark process is CPU-bound (readers, producer and worker share one core's worth of event loop): ${cpu(mine)} µs of CPU per refresh against ${cpu(raw)} µs per bare job.`,
    `A refresh is more work than a bare job: the stale read brings the 1 KB entry into the process and the write sends the new one back (${bytes(mine)} bytes to and from Redis per refresh against ${bytes(raw)}; loopback TCP costs this VM about 12 ns of CPU per byte, measured with a bare socket, so the two copies of the value cost some 25 µs), the value is decoded and encoded again (msgpack and the storable check, about 15 µs), and the refresh lock, the worker's claim and the compare-and-set write with the lock hand-over are Lua scripts (${commands} Redis commands per refresh against 12; Redis CPU ${redis(mine)} µs against ${redis(raw)}).`,
    `Measured apart (\`bench/tools/split-refresh.ts\`: dispatch with no worker, then the worker alone), dispatching costs about 70 µs of CPU per refresh and the worker about 115 µs, against 70–80 µs for the whole bare job.`,
    'The calls of one tick are already batched (one script call each for the locks, the claims, the end-of-refresh writes and the queue saves; the worker takes jobs ahead and claims them as it takes them); what is left is spread thin over promises, ioredis command building and GC (no function above 6 % of a profile). 0.7× would need a refresh costing at most about 1.4× a bare job, and the value\'s round trip and codec alone take half of that margin.',
  ].join(' ')
}

/** One round's numbers. */
export interface RoundResult {
  /** Jobs finished per second, first dispatch to last `succeeded`. */
  jobsPerSec: number
  /** Dispatches per second, first to last (stale reads, or raw `save`s). */
  dispatchPerSec: number
  /** CPU time of this process (user + system) per job, µs: dispatching and working. */
  cpuPerJob: number
  /** CPU time of the Redis server (user + system, `INFO cpu`) per job, µs. */
  redisCpuPerJob: number
  /** Bytes between the process and Redis per job, both ways (`INFO stats` net input + output; the INFO calls' own are a few KB per round). */
  bytesPerJob: number
  /** Redis commands executed per job (`INFO commandstats` delta ÷ jobs; Lua scripts count with the commands they run). */
  commandsPerJob: number
}

/** One contender: runs one round over the first `count` ids. */
export interface ThroughputContender {
  round(count: number): Promise<RoundResult>
  close(): Promise<void>
}

/** CPU seconds the Redis server has used (user + system), and bytes it has received and sent. */
async function redisUsage(admin: ReturnType<typeof benchClient>): Promise<{ cpu: number; bytes: number }> {
  const cpu = await info(admin, 'cpu')
  const stats = await info(admin, 'stats')
  return { cpu: Number(cpu.used_cpu_user) + Number(cpu.used_cpu_sys), bytes: Number(stats.total_net_input_bytes) + Number(stats.total_net_output_bytes) }
}

/** Times `dispatch` (N calls from READERS callers) and the wait for `done`; `admin` counts the Redis commands. */
async function timeRound(count: number, dispatch: (i: number) => Promise<unknown>, done: Promise<void>, admin: ReturnType<typeof benchClient>): Promise<RoundResult> {
  const callsBefore = await commandCalls(admin)
  const usageBefore = await redisUsage(admin)
  const cpu = process.cpuUsage()
  const started = performance.now()
  await runLoad(dispatch, count, READERS)
  const dispatched = performance.now()
  await done
  const seconds = (performance.now() - started) / 1000
  const used = process.cpuUsage(cpu)
  const callsAfter = await commandCalls(admin)
  const usageAfter = await redisUsage(admin)
  const commands = Object.entries(callsAfter).reduce((sum, [name, n]) => (name === 'info' ? sum : sum + n - (callsBefore[name] ?? 0)), 0)
  return { jobsPerSec: count / seconds, dispatchPerSec: count / ((dispatched - started) / 1000), cpuPerJob: (used.user + used.system) / count, redisCpuPerJob: ((usageAfter.cpu - usageBefore.cpu) * 1e6) / count, bytesPerJob: (usageAfter.bytes - usageBefore.bytes) / count, commandsPerJob: commands / count }
}

/** cacheback: stale reads dispatch through BeeQueueRefresher; `createRefreshWorker` runs them. */
export async function cachebackContender(context: ScenarioContext, values: readonly unknown[], concurrency: number): Promise<ThroughputContender> {
  const namespace = `${context.prefix}cb${concurrency}`
  const queue = { redis: context.redisUrl, queue: `refresh${concurrency}`, prefix: `${context.prefix}bq` }
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
  const worker = createRefreshWorker({ cache: workerCache, jobs: [workerJob], ...queue, concurrency, stallInterval: STALL_INTERVAL_MS })
  await worker.ready()
  const finished = new Countdown('cacheback refresh jobs')
  worker.queue.on('succeeded', () => finished.tick())
  await inBatches(values.length, (id) => read.set([id], values[id]))
  return {
    async round(count) {
      await inBatches(count, (id) => read.invalidate(id))
      collectGarbage()
      refreshed = 0
      let notDispatched = 0
      const result = await timeRound(
        count,
        async (id) => {
          const outcome = await read.read(id)
          if (outcome.status !== 'stale' || outcome.refresh !== 'dispatched') notDispatched++
        },
        finished.expect(count),
        readerClient,
      )
      if (notDispatched > 0 || refreshed !== count) throw new Error(`refresh-throughput: ${notDispatched} reads did not dispatch, ${refreshed}/${count} refreshes succeeded`)
      return result
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

/** The floor: the same payloads, job ids and timeout through bee-queue directly, with a worker that does nothing. */
export async function rawBeeQueue(context: ScenarioContext, count: number, concurrency: number): Promise<ThroughputContender> {
  const prefix = `${context.prefix}bq`
  const name = `raw${concurrency}`
  const producer = new Queue(name, queueSettings(context.redisUrl, prefix, { isWorker: false, getEvents: false, sendEvents: false }))
  const consumer = new Queue(name, queueSettings(context.redisUrl, prefix, { isWorker: true, getEvents: false, sendEvents: false, stallInterval: STALL_INTERVAL_MS }))
  const finished = new Countdown('raw bee-queue jobs')
  const admin = benchClient(context.redisUrl)
  consumer.on('succeeded', () => finished.tick())
  consumer.process(concurrency, async () => undefined)
  await Promise.all([producer.ready(), consumer.ready()])
  const jobs = Array.from({ length: count }, (_, id) => {
    const key = `${context.prefix}cb${concurrency}:refreshTarget:${id.toString(16).padStart(64, '0')}`
    return { id: jobIdOf(key), payload: encodePayload({ job: 'refreshTarget', key, args: [id], token: randomUUID() }, DEFAULT_MAX_PAYLOAD_BYTES) }
  })
  return {
    async round(n) {
      collectGarbage()
      const save = (i: number) => producer.createJob(jobs[i].payload).setId(jobs[i].id).timeout(JOB_TIMEOUT_MS).save()
      return timeRound(n, save, finished.expect(n), admin)
    },
    async close() {
      await consumer.close(5000)
      await producer.close(5000)
      admin.disconnect()
    },
  }
}

const ours = (concurrency: number) => `cacheback, concurrency ${concurrency}`
const floor = (concurrency: number) => `raw bee-queue, concurrency ${concurrency}`

async function run(context: ScenarioContext): Promise<ScenarioReport> {
  const values = Array.from({ length: KEYS }, (_, id) => makeProfile(id))
  const contenders: Record<string, ThroughputContender> = {}
  for (const concurrency of CONCURRENCIES) {
    contenders[ours(concurrency)] = await cachebackContender(context, values, concurrency)
    contenders[floor(concurrency)] = await rawBeeQueue(context, KEYS, concurrency)
  }
  try {
    for (const contender of Object.values(contenders)) await contender.round(WARMUP_KEYS)
    const results = await roundRobin(context.rounds, Object.keys(contenders), async (name, round) => {
      const result = await contenders[name].round(KEYS)
      context.log(`round ${round + 1}: ${name.padEnd(30)} ${int(result.jobsPerSec)} jobs/s, ${int(result.cpuPerJob)} µs CPU per job (Redis ${int(result.redisCpuPerJob)} µs), ${int(result.bytesPerJob)} bytes to and from Redis, ${result.commandsPerJob.toFixed(1)} Redis commands per job`)
      return result
    })
    return report(context, results)
  } finally {
    for (const contender of Object.values(contenders)) await contender.close()
  }
}

function report(context: ScenarioContext, results: Record<string, RoundResult[]>): ScenarioReport {
  const jobs = (name: string) => results[name].map((r) => r.jobsPerSec)
  const rows = CONCURRENCIES.flatMap((concurrency) =>
    [ours(concurrency), floor(concurrency)].map((name) => [
      name,
      int(median(jobs(name))),
      int(Math.min(...jobs(name))),
      int(Math.max(...jobs(name))),
      ratio(medianRatio(jobs(name), jobs(floor(concurrency)))),
      int(median(results[name].map((r) => r.dispatchPerSec))),
      int(median(results[name].map((r) => r.cpuPerJob))),
      int(median(results[name].map((r) => r.redisCpuPerJob))),
      median(results[name].map((r) => r.commandsPerJob)).toFixed(1),
      int(median(results[name].map((r) => r.bytesPerJob))),
    ]),
  )
  const vsFloor = medianRatio(jobs(ours(CONCURRENCIES[0])), jobs(floor(CONCURRENCIES[0])))
  return {
    tables: [
      {
        title: `refresh-throughput: ${int(KEYS)} stale keys per round, ${READERS} concurrent readers, medians of ${context.rounds} rounds`,
        columns: ['contender', 'jobs/s', 'min', 'max', 'vs floor', 'dispatches/s', 'CPU µs/job', 'Redis CPU µs/job', 'Redis commands/job', 'bytes/job'],
        rows,
      },
    ],
    targets: [{ name: `cacheback refreshes/s vs raw bee-queue (concurrency ${CONCURRENCIES[0]})`, target: '≥ 0.70×', actual: ratio(vsFloor), met: vsFloor >= 0.7 }],
    notes: [
      `\`jobs/s\`: from the first read (raw: \`save\`) to the worker's \`succeeded\` event of the last job. \`dispatches/s\`: until the last read (raw: \`save\`) returned. \`CPU µs/job\`: user + system time of the benchmark process per job, dispatching and working (Redis runs in its own process). Readers, queue and worker share one process and one Redis.`,
      '`cacheback` per refresh: the stale read (GET, msgpack decode), the refresh-lock script, the payload (msgpack + base64 + JSON, stringified once) and the enqueue; in the worker: the job, the claim script, an instant fetch of a 1 KB value, the storable check and msgpack encode, and the compare-and-set write with the lock hand-over in one script. On a standalone Redis the locks, claims and writes asked for in one tick go out as one script call each, and the refresher adds the jobs of one tick with one script call.',
      '`Redis CPU µs/job`: the Redis server\'s user + system time (`INFO cpu`) per job. `bytes/job`: bytes Redis received and sent (`INFO stats` net input + output) per job.',
      ...(vsFloor < 0.7 ? [bound((name, of) => median(results[name].map(of)), CONCURRENCIES[0])] : []),
      '`raw bee-queue`: the same queue settings (`queueSettings` of `src/bee-queue/queue.ts`), the same payloads, job ids and job timeout, `removeOnSuccess`, no events, and a handler that returns at once.',
    ],
  }
}

export const refreshThroughput: Scenario = {
  name: 'refresh-throughput',
  title: 'refreshes per second through BeeQueueRefresher and the worker, against raw bee-queue',
  run,
}
