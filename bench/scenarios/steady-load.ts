/**
 * `steady-load`: 1,000 keys under Zipf-distributed reads for several
 * lifetimes, with refresh ahead off and on. Stale reads, refreshes per
 * lifetime and upstream calls, for all keys and for the hottest 10 %.
 *
 * Each contender has its own namespace, queue and in-process refresh worker
 * on the run's Redis. Its 1,000 entries are written before the load with
 * their lifetimes' phases spread evenly (a cache in steady state: at any
 * moment some key is about to go stale) and δ = the upstream's latency, then
 * readers in a closed loop read batches of Zipf-drawn keys (`readMany`, one
 * MGET per batch, as a GraphQL list does) through a warm-up and the
 * measured lifetimes. Stale and fresh are decided on real clocks.
 */
import { performance } from 'node:perf_hooks'
import { Cacheback, type CachebackEvent, cacheback } from '../../src/index.js'
import { encodeEntry } from '../../src/entry.js'
import { RedisStore } from '../../src/redis/index.js'
import { BeeQueueRefresher, createRefreshWorker } from '../../src/bee-queue/index.js'
import type { Scenario, ScenarioContext, ScenarioReport } from '../scenario.js'
import { int } from '../support/format.js'
import { collectGarbage } from '../support/gc.js'
import { makeSmallValue } from '../support/payload.js'
import { benchClient, commandCalls } from '../support/redis.js'
import { startLoad } from '../support/stats.js'
import { ZipfSampler, seededRandom } from '../support/zipf.js'

const env = (name: string, fallback: number) => (process.env[name] === undefined ? fallback : Number(process.env[name]))

const KEYS = 1000
/** The hottest 10 %: ids 0–99. */
const HOT = 100
const ZIPF_S = env('STEADY_ZIPF_S', 1)
const LIFETIME_S = env('STEADY_LIFETIME_S', 15)
/** Lifetimes measured (after a warm-up of WARMUP_S). */
const LIFETIMES = env('STEADY_LIFETIMES', 3)
const WARMUP_S = 1
const UPSTREAM_MS = env('STEADY_UPSTREAM_MS', 50)
/** Closed-loop readers, each reading BATCH keys per `readMany`. */
const READERS = env('STEADY_READERS', 8)
const BATCH = env('STEADY_BATCH', 100)
/** Refreshes mostly wait on the upstream: as many at once as the cache may need (see README "Sizing the worker"). */
const WORKER_CONCURRENCY = 100
/** β of each contender: off, the paper's 1, and the value tuned for this load (see the notes). */
const BETAS = (process.env.STEADY_BETAS ?? '0,1,6').split(',').map(Number)
const TUNED = Math.max(...BETAS)
const REFRESHES_TARGET = 1.1
/**
 * Bound of the stores' Redis calls, ms: 2 s, not the default 250 ms, so that a
 * machine loaded by other work does not turn reads into misses (fail open)
 * and blur what refresh ahead does.
 */
const COMMAND_TIMEOUT_MS = 2000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))

/** Per-key counters of one contender's measured window. */
class Counts {
  readonly reads = new Float64Array(KEYS)
  readonly stale = new Float64Array(KEYS)
  readonly misses = new Float64Array(KEYS)
  readonly upstream = new Float64Array(KEYS)
  readonly ahead = new Float64Array(KEYS)
  /** Events that should not happen (refresh-failed, store-error), by type and error code. */
  readonly problems: Record<string, number> = {}
}

interface SteadyResult {
  beta: number
  counts: Counts
  /** Measured seconds (LIFETIMES × LIFETIME_S, plus the time the last batch took). */
  seconds: number
  failed: number
  /** Redis commands run during the window, by command. */
  commands: Record<string, number>
}

const sum = (values: ArrayLike<number>, from = 0, to = values.length) => {
  let total = 0
  for (let i = from; i < to; i++) total += values[i]
  return total
}

/** Writes every entry with its phase spread over one lifetime (key i goes stale at a distinct moment), δ = the upstream latency. */
async function prefill(context: ScenarioContext, keys: readonly string[], values: readonly unknown[], redis: ReturnType<typeof benchClient>): Promise<void> {
  const order = Array.from({ length: KEYS }, (_, i) => i)
  const shuffle = seededRandom(7)
  for (let i = KEYS - 1; i > 0; i--) {
    const j = Math.floor(shuffle() * (i + 1))
    ;[order[i], order[j]] = [order[j], order[i]]
  }
  const now = Date.now()
  const pipeline = redis.pipeline()
  order.forEach((id, position) => {
    const createdAt = now - (position / KEYS) * LIFETIME_S * 1000
    const entry = { value: values[id], createdAt, freshUntil: createdAt + LIFETIME_S * 1000, expiresAt: createdAt + 3_600_000, fetchMs: UPSTREAM_MS }
    pipeline.set(keys[id], encodeEntry(entry), 'PX', 3_600_000)
  })
  await pipeline.exec()
  context.log(`prefilled ${KEYS} entries, phases spread over ${LIFETIME_S} s`)
}

async function runContender(context: ScenarioContext, beta: number, values: readonly unknown[]): Promise<SteadyResult> {
  const tag = `b${String(beta).replace('.', '_')}`
  const namespace = `${context.prefix}steady-${tag}`
  const queue = { redis: context.redisUrl, queue: `steady-${tag}`, prefix: `${context.prefix}bq` }
  const readerClient = benchClient(context.redisUrl)
  const workerClient = benchClient(context.redisUrl)
  const counts = new Counts()
  const idOf = new Map<string, number>()
  let measuring = false
  const count = (which: Float64Array, key: string | undefined) => {
    const id = key === undefined ? undefined : idOf.get(key)
    if (measuring && id !== undefined) which[id]++
  }
  /** The upstream: called by the worker (refreshes), by a reader on a miss or, when a dispatch failed, for a refresh in-process. */
  const fetchValue = async (id: number) => {
    if (measuring) counts.upstream[id]++
    await sleep(UPSTREAM_MS)
    return values[id]
  }
  const problem = (event: CachebackEvent) => {
    if (event.type !== 'refresh-failed' && event.type !== 'store-error') return
    const name = `${event.type}:${(event.error as { code?: string } | undefined)?.code ?? 'other'}`
    counts.problems[name] = (counts.problems[name] ?? 0) + 1
  }
  const onReader = (event: CachebackEvent) => {
    if (event.type !== 'refresh-dispatched') return problem(event)
    if (event.ahead) count(counts.ahead, event.key)
  }
  const onWorker = problem
  const reader = new Cacheback({ namespace, store: new RedisStore({ redis: readerClient, commandTimeoutMs: COMMAND_TIMEOUT_MS }), refresher: new BeeQueueRefresher(queue), onEvent: onReader })
  const workerCache = new Cacheback({ namespace, store: new RedisStore({ redis: workerClient, commandTimeoutMs: COMMAND_TIMEOUT_MS }), onEvent: onWorker })
  const options = { name: 'steadyTarget', lifetime: LIFETIME_S, ttl: 3600, refreshAhead: beta }
  const read = cacheback(fetchValue, { ...options, cache: reader })
  const worker = createRefreshWorker({ cache: workerCache, jobs: [cacheback(fetchValue, { ...options, cache: workerCache })], ...queue, concurrency: WORKER_CONCURRENCY })
  await worker.ready()
  const keys = Array.from({ length: KEYS }, (_, id) => read.key(id))
  keys.forEach((key, id) => idOf.set(key, id))
  const sampler = new ZipfSampler(KEYS, ZIPF_S, seededRandom(42))
  try {
    await prefill(context, keys, values, readerClient)
    collectGarbage()
    const batch = async () => {
      const ids = Array.from({ length: BATCH }, () => sampler.next())
      const results = await Promise.all(reader.readMany(ids.map((id) => ({ job: read.job, args: [id], key: keys[id] }))))
      if (!measuring) return
      results.forEach((result, k) => {
        counts.reads[ids[k]]++
        if (result.status === 'stale') counts.stale[ids[k]]++
        else if (result.status === 'miss') counts.misses[ids[k]]++
      })
    }
    const load = startLoad(batch, READERS)
    await sleep(WARMUP_S * 1000)
    const callsBefore = await commandCalls(readerClient)
    measuring = true
    const started = performance.now()
    await sleep(LIFETIMES * LIFETIME_S * 1000)
    const records = await load.stop()
    const seconds = (performance.now() - started) / 1000
    measuring = false
    const callsAfter = await commandCalls(readerClient)
    const commands = Object.fromEntries(Object.entries(callsAfter).map(([name, n]) => [name, n - (callsBefore[name] ?? 0)]).filter(([name, n]) => (n as number) > 0 && name !== 'info'))
    await reader.drain()
    await sleep(UPSTREAM_MS * 4) // let the refreshes still running finish before closing
    return { beta, counts, seconds, failed: records.filter((r) => r.failed).length, commands }
  } finally {
    await worker.close()
    await reader.close()
    await workerCache.close()
    readerClient.disconnect()
    workerClient.disconnect()
  }
}

const label = (beta: number) => (beta === 0 ? 'refreshAhead off' : `refreshAhead: ${beta}`)

async function run(context: ScenarioContext): Promise<ScenarioReport> {
  const values = Array.from({ length: KEYS }, (_, id) => makeSmallValue(id, 250))
  const results: SteadyResult[] = []
  for (const beta of BETAS) {
    const result = await runContender(context, beta, values)
    const { counts } = result
    context.log(
      `${label(beta).padEnd(18)} ${int(sum(counts.reads) / result.seconds)} reads/s; stale ${int(sum(counts.stale))} (hot ${int(sum(counts.stale, 0, HOT))}); ` +
        `refreshes/lifetime ${(sum(counts.upstream) / LIFETIMES).toFixed(0)} (hot mean ${(sum(counts.upstream, 0, HOT) / HOT / LIFETIMES).toFixed(3)}); upstream ${int(sum(counts.upstream))}; ahead ${int(sum(counts.ahead))}; ${JSON.stringify(counts.problems)}; commands ${JSON.stringify(result.commands)}`,
    )
    results.push(result)
  }
  return report(results)
}

function report(results: SteadyResult[]): ScenarioReport {
  const off = results.find((r) => r.beta === 0)
  const perLifetime = (values: Float64Array, from: number, to: number) => sum(values, from, to) / LIFETIMES
  // Every fetch renews the entry (a refresh, or the synchronous fetch of a miss): both count as the key's refreshes.
  const hotRefreshes = (r: SteadyResult) => Array.from(r.counts.upstream.subarray(0, HOT), (n) => n / LIFETIMES)
  const rows = results.map((r) => {
    const c = r.counts
    const hot = hotRefreshes(r)
    return [
      label(r.beta),
      int(sum(c.reads) / r.seconds),
      int(sum(c.stale)),
      int(sum(c.stale, 0, HOT)),
      int(perLifetime(c.upstream, 0, KEYS)),
      `${(sum(hot) / HOT).toFixed(3)} (${Math.min(...hot).toFixed(2)}–${Math.max(...hot).toFixed(2)})`,
      int(sum(c.upstream)),
      off ? `${(sum(c.upstream) / sum(off.counts.upstream)).toFixed(2)}×` : '–',
      int(sum(c.ahead)),
      int(sum(c.misses)),
      Object.entries(c.problems).map(([name, n]) => `${name} ${int(n)}`).join(', ') || 'none',
    ]
  })
  const tuned = results.find((r) => r.beta === TUNED)!
  const tunedHot = hotRefreshes(tuned)
  const hotMean = sum(tunedHot) / HOT
  const hotStale = sum(tuned.counts.stale, 0, HOT)
  const sampler = new ZipfSampler(KEYS, ZIPF_S)
  const reads = sum(tuned.counts.reads) / tuned.seconds
  return {
    tables: [
      {
        title: `steady-load: ${int(KEYS)} keys, Zipf (s = ${ZIPF_S}) reads for ${LIFETIMES} lifetimes of ${LIFETIME_S} s, upstream ${UPSTREAM_MS} ms; hot = the hottest 10 % (${HOT} keys)`,
        columns: ['contender', 'reads/s', 'stale reads', 'stale reads, hot', 'refreshes per lifetime, all keys', 'refreshes per lifetime per hot key: mean (min–max)', 'upstream calls', 'upstream calls vs off', 'dispatched ahead', 'misses', 'errors (events)'],
        rows,
      },
    ],
    targets: [
      { name: `hottest 10 % served stale (refreshAhead: ${TUNED})`, target: '0', actual: int(hotStale), met: hotStale === 0 },
      { name: `hottest 10 %: refreshes per lifetime per key, mean (refreshAhead: ${TUNED})`, target: `≤ ${REFRESHES_TARGET}`, actual: hotMean.toFixed(3), met: hotMean <= REFRESHES_TARGET },
    ],
    notes: [
      `Each contender: \`cacheback(fetch, { lifetime: ${LIFETIME_S}, refreshAhead: β })\` on \`RedisStore\` (command timeout ${COMMAND_TIMEOUT_MS} ms, not the default 250, so an overloaded machine does not turn reads into misses) + \`BeeQueueRefresher\`, a \`createRefreshWorker\` (concurrency ${WORKER_CONCURRENCY}) in the benchmark process, its own namespace and queue on the run's Redis. The fetch waits ${UPSTREAM_MS} ms (the upstream) and returns a ~250-byte value. Real clocks and \`Math.random\`.`,
      `Before the load the ${int(KEYS)} entries are written with their phases spread evenly over one lifetime (entry \`i\` of a shuffled order created \`i / ${KEYS}\` of a lifetime ago) and δ = ${UPSTREAM_MS} ms, so keys go stale one after another as in a cache in steady state. ${READERS} closed-loop readers each read batches of ${BATCH} Zipf-drawn keys with \`readMany\` (one MGET per batch); ${WARMUP_S} s of warm-up, then ${LIFETIMES} lifetimes measured. Key \`i\` gets ${(sampler.share(0) * 100).toFixed(1)} % of the reads for \`i = 0\` and ${(sampler.share(HOT - 1) * 100).toFixed(2)} % for \`i = ${HOT - 1}\`, the coldest hot key: about ${int(reads * sampler.share(HOT - 1) * LIFETIME_S)} reads per lifetime at this run's rate.`,
      '`stale reads`: reads served a stale value (the refresh is then dispatched or in flight). `refreshes per lifetime`: fetches started in the window (by the worker, by a reader refreshing in-process after a failed dispatch, or for a miss: each one renews the entry) ÷ lifetimes measured. `upstream calls`: the same fetches, all of the window. `dispatched ahead`: early refreshes dispatched by fresh reads (one per key and entry; the other reads that picked the entry found the lock taken or skipped it).',
      `Why β must exceed 1 here: a fresh read refreshes ahead with probability exp(−t / (δ·β)), t the time left. With δ = ${UPSTREAM_MS} ms and β = 1 a read ${2 * UPSTREAM_MS} ms before the end refreshes with probability 1 in 7, and the coldest hot key is read about every ${int(1000 / (reads * sampler.share(HOT - 1)))} ms: it is often picked too late (a refresh through the queue takes δ plus the dispatch and the queue's latency) and served stale meanwhile. A larger β widens the window, so colder keys are picked in time, and makes the hottest keys refresh earlier (about δ·β·ln(λ·δ·β) before the end for λ reads per second), which costs refreshes per lifetime: the β to use is the one where the coldest key that must never be stale is read several times within δ·β of its end.`,
      `Failed batches: ${results.reduce((n, r) => n + r.failed, 0)}. \`misses\` and \`errors\` are 0 on a quiet machine; \`E_STORE_TIMEOUT\` (a Redis call over the ${COMMAND_TIMEOUT_MS} ms command timeout) means the machine was overloaded: a read then falls through to a fetch (a miss, and a new entry that restarts the key's lifetime) and a dispatch to an in-process refresh (counted as a refresh).`,
    ],
  }
}

export const steadyLoad: Scenario = {
  name: 'steady-load',
  title: 'Zipf reads over 1,000 keys for several lifetimes: stale reads, refreshes and upstream calls with refresh ahead off and on',
  run,
}
