/**
 * `stale-storm`: 1,000 keys go stale at once under 100 concurrent clients
 * spread over two server processes sharing Redis (and, for cacheback, one
 * refresh worker process); the upstream answers after 200 ms. Reports the
 * latency during the storm against the fresh-hit latency just before it,
 * the upstream calls the storm caused, and the time until every key is
 * fresh again. The same with mercurius-cache (`stale`) on two processes.
 *
 * One round: the keys are filled through the servers (upstream without
 * delay, so they are written within a fraction of a second), loaded while
 * fresh, left alone until every one of them is stale (a short lifetime on
 * real clocks), then loaded again: the storm, until every key is fresh.
 */
import { performance } from 'node:perf_hooks'
import { makeExecutableSchema } from '@graphql-tools/schema'
import type { Redis } from 'ioredis'
import { Cacheback, ENTRY_LAYOUT, defaults, readHeader } from 'graphql-cacheback'
import { cachebackTypeDefs, resolverJobs } from 'graphql-cacheback/graphql'
import { DEFAULT_COMMAND_TIMEOUT_MS } from 'graphql-cacheback/redis'
import { STORM_QUERY, stormTypeDefs } from '../processes/schemas.js'
import type { Scenario, ScenarioContext, ScenarioReport } from '../scenario.js'
import { int, ms, ratio } from '../support/format.js'
import { GraphqlHttpClient, graphqlBody } from '../support/graphql-http.js'
import { type ServerProcess, type WorkerProcess, cpuSecondsOf, startServerProcess, startWorkerProcess } from '../support/processes.js'
import { benchClient, deleteMatching, info } from '../support/redis.js'
import { type CallRecord, latencyOf, median, runLoad, startLoad } from '../support/stats.js'

const KEYS = 1000
const CLIENTS = 100
const SERVERS = 2
const UPSTREAM_LATENCY_MS = 200
/** Seconds a value stays fresh: long enough to measure fresh hits and to refresh every key before any goes stale again. */
const LIFETIME_S = 10
/** Seconds a stale value may still be served (cacheback `ttl`; mercurius-cache `stale`). */
const STALE_S = 3600
/**
 * Refreshes the worker runs at once. A refresh waits 200 ms on the
 * upstream, so this, not CPU, sets how fast 1,000 stale keys are refreshed:
 * at the default (64) it takes at least 1,000 × 200 ms / 64 = 3.1 s. 100
 * lets the worker call the upstream as often at once as the 100 clients
 * would without a cache.
 */
const WORKER_CONCURRENCY = 100
/** Measured rounds at most (each takes the lifetime plus the storm); one more runs first as warm-up. */
const MAX_ROUNDS = 3
/** Longest fresh-hit phase, ms. */
const FRESH_PHASE_MS = 3000
const POLL_MS = 100
/** Once no more keys than this are left, the poll runs every FINE_POLL_MS, so the end of the storm is seen within about that. */
const FINE_POLL_BELOW = 100
const FINE_POLL_MS = 10
/** The storm ends when every key is fresh again, or after this long (then keys would start to go stale a second time). */
const STORM_MAX_MS = (LIFETIME_S - 1) * 1000
const STORM_TARGET = 1.5
/** Seconds from the storm's start until every key is fresh again, cacheback (the floor at concurrency 100 is 2.0 s). */
const CONVERGE_TARGET_S = 2.2

const OURS = 'Apollo + cacheback'
const THEIRS = 'Mercurius + mercurius-cache'

/** Where the CPU goes: cores in use (CPU seconds ÷ wall seconds) per role. */
interface Cores {
  servers: number
  worker: number
  redis: number
  /** The benchmark process (the 100 clients) and the upstream's process. */
  bench: number
}

/** The processes whose CPU is sampled. */
interface Pids {
  worker?: number
  redis?: number
  upstream?: number
}

interface CpuSample extends Cores {
  at: number
}

function sampleCpu(contender: Contender, pids: Pids): CpuSample {
  const own = process.cpuUsage()
  return {
    at: performance.now(),
    servers: contender.servers.reduce((sum, server) => sum + cpuSecondsOf(server.pid), 0),
    worker: cpuSecondsOf(pids.worker),
    redis: cpuSecondsOf(pids.redis),
    bench: (own.user + own.system) / 1e6 + cpuSecondsOf(pids.upstream),
  }
}

function coresBetween(from: CpuSample, to: CpuSample): Cores {
  const wall = (to.at - from.at) / 1000
  return { servers: (to.servers - from.servers) / wall, worker: (to.worker - from.worker) / wall, redis: (to.redis - from.redis) / wall, bench: (to.bench - from.bench) / wall }
}

/** One contender's processes and how to look at its entries. */
interface Contender {
  name: string
  clients: GraphqlHttpClient[]
  servers: ServerProcess[]
  /** Removes every entry (and lock) of this contender. */
  reset(): Promise<void>
  /** The Redis keys of the KEYS entries, once filled. */
  entryKeys(): Promise<string[]>
  /** For each key: has it been written again after `since` (ms epoch)? */
  refreshedSince(keys: readonly string[], since: number): Promise<boolean[]>
}

interface RoundResult {
  fresh: ReturnType<typeof latencyOf>
  storm: ReturnType<typeof latencyOf>
  /** Requests answered per second, fresh phase and storm. */
  freshRate: number
  stormRate: number
  /** Storm requests that took at least the upstream's latency. */
  slowRequests: number
  freshCores: Cores
  stormCores: Cores
  /** ms from the storm's start until every key was fresh (NaN: not within STORM_MAX_MS). */
  toFreshMs: number
  upstreamCalls: number
  keysCalledTwice: number
  keysNotCalled: number
  /** What the servers counted during the storm (event counts, summed over both). */
  events: Record<string, number>
}

/**
 * Clients asking for one key at about the same time: request `i` reads key
 * `floor(i / READS_PER_KEY) mod KEYS`, so each key is read by this many
 * requests in a row (in flight together), as a popular item is by many
 * screens; each pass over the keys reads every key.
 */
const READS_PER_KEY = 4
const bodies = Array.from({ length: KEYS }, (_, id) => graphqlBody(STORM_QUERY, { id }))
/** Server 0 or 1 for request `i` (a hash of `i`: the reads of one key are spread over both servers). */
const serverOf = (i: number) => (Math.imul(i + 1, 0x9e3779b1) >>> 31) % SERVERS
const keyOf = (i: number) => Math.floor(i / READS_PER_KEY) % KEYS
const load = (contender: Contender) => (i: number) => contender.clients[serverOf(i)].post(bodies[keyOf(i)])
const sleep = (msToWait: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, msToWait)))

/** The slow upstream, in a process of its own (`processes/upstream.ts`). */
interface Upstream {
  readonly process: ServerProcess
  /** `http://127.0.0.1:<port>` */
  readonly url: string
}

async function startUpstream(): Promise<Upstream> {
  const upstream = await startServerProcess('upstream', 'bench/processes/upstream.ts', { UPSTREAM_LATENCY_MS: String(UPSTREAM_LATENCY_MS) })
  return { process: upstream, url: new URL(upstream.url).origin }
}

async function startServers(context: ScenarioContext, kind: string, upstream: Upstream): Promise<ServerProcess[]> {
  const env = { KIND: kind, REDIS_URL: context.redisUrl, PREFIX: context.prefix, UPSTREAM_URL: upstream.url, LIFETIME: String(LIFETIME_S) }
  return Promise.all(Array.from({ length: SERVERS }, (_, n) => startServerProcess(`${kind} ${n + 1}`, 'bench/processes/storm-server.ts', env)))
}

/** cacheback: entry keys from the field's job (what the servers compute), freshness from the entry header. */
function cachebackContender(context: ScenarioContext, servers: ServerProcess[], redis: Redis): Contender {
  const namespace = `${context.prefix}storm-cb`
  const keysOnly = new Cacheback({ namespace })
  const [job] = resolverJobs(makeExecutableSchema({ typeDefs: [cachebackTypeDefs, stormTypeDefs(true, LIFETIME_S)], resolvers: { Query: { item: () => null } } }), { cache: keysOnly })
  const keys = Array.from({ length: KEYS }, (_, id) => job.keyFor(null, { id }, null))
  return {
    name: OURS,
    servers,
    clients: servers.map((server) => new GraphqlHttpClient(server.url, CLIENTS)),
    reset: async () => void (await deleteMatching(redis, `${namespace}:*`)),
    async entryKeys() {
      const found = await Promise.all(keys.map((key) => redis.exists(key)))
      if (found.some((n) => n !== 1)) throw new Error(`stale-storm: ${found.filter((n) => n !== 1).length} of ${KEYS} cacheback entries missing after filling`)
      return keys
    },
    async refreshedSince(entryKeys, since) {
      const headers = await Promise.all(entryKeys.map((key) => redis.getrangeBuffer(key, 0, ENTRY_LAYOUT.headerBytes - 1)))
      return headers.map((bytes) => (readHeader(bytes)?.createdAt ?? 0) > since)
    },
  }
}

/** mercurius-cache: entry keys found by SCAN under its key prefix; a refreshed entry has more than `stale` seconds to live. */
function mercuriusContender(context: ScenarioContext, servers: ServerProcess[], redis: Redis): Contender {
  const pattern = `${context.prefix}storm-mc:*`
  return {
    name: THEIRS,
    servers,
    clients: servers.map((server) => new GraphqlHttpClient(server.url, CLIENTS)),
    reset: async () => void (await deleteMatching(redis, pattern)),
    async entryKeys() {
      const keys: string[] = []
      let cursor = '0'
      do {
        const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
        keys.push(...batch)
        cursor = next
      } while (cursor !== '0')
      if (keys.length !== KEYS) throw new Error(`stale-storm: ${keys.length} mercurius-cache entries after filling, expected ${KEYS}`)
      return keys
    },
    async refreshedSince(entryKeys) {
      const ttls = await Promise.all(entryKeys.map((key) => redis.pttl(key)))
      return ttls.map((pttl) => pttl > STALE_S * 1000)
    },
  }
}

/** Sums the servers' event counts. */
async function serverEvents(contender: Contender): Promise<Record<string, number>> {
  const sum: Record<string, number> = {}
  for (const server of contender.servers) for (const [name, n] of Object.entries(await server.request<Record<string, number>>('stats'))) sum[name] = (sum[name] ?? 0) + n
  return sum
}

function difference(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([name, n]) => [name, n - (before[name] ?? 0)]).filter(([, n]) => (n as number) > 0))
}

/** Polls until every key was written after `since`; resolves with the ms from `startedAt` (NaN after STORM_MAX_MS). */
async function waitUntilFresh(contender: Contender, keys: readonly string[], since: number, startedAt: number): Promise<number> {
  let pending = [...keys]
  while (performance.now() - startedAt < STORM_MAX_MS) {
    const refreshed = await contender.refreshedSince(pending, since)
    pending = pending.filter((_, i) => !refreshed[i])
    if (pending.length === 0) return performance.now() - startedAt
    await sleep(pending.length > FINE_POLL_BELOW ? POLL_MS : FINE_POLL_MS)
  }
  return Number.NaN
}

async function runRound(contender: Contender, upstream: Upstream, pids: Pids, context: ScenarioContext, label: string): Promise<RoundResult> {
  await contender.reset()
  await upstream.process.request('fast')
  const filledFrom = Date.now()
  await runLoad((i) => contender.clients[serverOf(i)].post(bodies[i]), KEYS, CLIENTS)
  const filledUntil = Date.now()
  context.log(`${label}: ${contender.name}: filled ${KEYS} keys in ${filledUntil - filledFrom} ms`)
  await upstream.process.request('slow')
  const keys = await contender.entryKeys()

  // Fresh hits, ending before the first key can go stale.
  const eventsBeforeFresh = await serverEvents(contender)
  const freshCpu = sampleCpu(contender, pids)
  const freshStart = performance.now()
  const freshLoad = startLoad(load(contender), CLIENTS)
  await sleep(Math.min(FRESH_PHASE_MS, filledFrom + LIFETIME_S * 1000 - 500 - Date.now()))
  const freshRecords = await freshLoad.stop()
  if (freshLoad.firstError) context.log(`${label}: ${contender.name}: a fresh-phase request failed: ${freshLoad.firstError}`)
  const freshCores = coresBetween(freshCpu, sampleCpu(contender, pids))
  const fresh = latencyOf(freshRecords)
  const freshRate = fresh.count / ((performance.now() - freshStart) / 1000)
  const freshEvents = difference(await serverEvents(contender), eventsBeforeFresh)
  if (fresh.count < 1000 || (freshEvents.stale ?? 0) > 0) throw new Error(`stale-storm: ${contender.name}: fresh phase had ${fresh.count} requests, events ${JSON.stringify(freshEvents)}`)

  // Every key is stale from here on: the storm.
  await sleep(filledUntil + LIFETIME_S * 1000 + 300 - Date.now())
  const eventsBefore = await serverEvents(contender)
  await upstream.process.request('reset')
  const profiling = process.env.BENCH_PROFILE_DIR && !label.startsWith('warm') // see processes/child.ts
  if (profiling) for (const server of contender.servers) await server.request('profile-start')
  const stormCpu = sampleCpu(contender, pids)
  const stormStart = performance.now()
  const stormLoad = startLoad(load(contender), CLIENTS)
  const toFreshMs = await waitUntilFresh(contender, keys, filledUntil, stormStart)
  const stormEnd = performance.now()
  const stormCores = coresBetween(stormCpu, sampleCpu(contender, pids))
  if (profiling) for (const server of contender.servers) context.log(`profile: ${await server.request<string>('profile-stop')}`)
  const records: CallRecord[] = await stormLoad.stop()
  if (stormLoad.firstError) context.log(`${label}: ${contender.name}: a storm request failed: ${stormLoad.firstError}`)
  await sleep(UPSTREAM_LATENCY_MS + 300) // refreshes still running when the load stopped
  const storm = latencyOf(records, stormStart, stormEnd)
  const events = difference(await serverEvents(contender), eventsBefore)
  const calls = await upstream.process.request<{ total: number; perId: [number, number][] }>('calls')
  const perKey = calls.perId.map(([, n]) => n)
  const result: RoundResult = {
    fresh,
    storm,
    freshRate,
    freshCores,
    stormCores,
    stormRate: storm.count / ((stormEnd - stormStart) / 1000),
    slowRequests: records.filter((r) => r.startedAt >= stormStart && r.startedAt < stormEnd && r.latencyMs >= UPSTREAM_LATENCY_MS).length,
    toFreshMs,
    upstreamCalls: calls.total,
    keysCalledTwice: perKey.filter((n) => n > 1).length,
    keysNotCalled: KEYS - perKey.length,
    events,
  }
  context.log(
    `${label}: ${contender.name.padEnd(28)} cores ${JSON.stringify(Object.fromEntries(Object.entries(stormCores).map(([k, v]) => [k, Number(v.toFixed(2))])))}; fresh ${int(freshRate)} req/s p99 ${ms(fresh.p99)} ms; storm ${int(result.stormRate)} req/s p50 ${ms(storm.p50)} p99 ${ms(storm.p99)} max ${ms(storm.max)} ms (${int(storm.count)} requests, ${result.slowRequests} ≥ ${UPSTREAM_LATENCY_MS} ms, ${storm.failed} failed); ` +
      `${int(result.upstreamCalls)} upstream calls; fresh again after ${Number.isFinite(toFreshMs) ? `${(toFreshMs / 1000).toFixed(2)} s` : 'n/a'}; ${JSON.stringify(events)}`,
  )
  return result
}

async function run(context: ScenarioContext): Promise<ScenarioReport> {
  const upstream = await startUpstream()
  const redis = benchClient(context.redisUrl)
  const contenders: Contender[] = []
  let worker: WorkerProcess | undefined
  try {
    context.log(`starting ${SERVERS} Apollo + cacheback servers, the refresh worker (concurrency ${WORKER_CONCURRENCY}) and ${SERVERS} Mercurius + mercurius-cache servers`)
    contenders.push(cachebackContender(context, await startServers(context, 'apollo-cacheback', upstream), redis))
    worker = await startWorkerProcess('bench/processes/storm-worker.ts', ['--concurrency', String(WORKER_CONCURRENCY), '--quiet'], {
      REDIS_URL: context.redisUrl,
      PREFIX: context.prefix,
      UPSTREAM_URL: upstream.url,
      LIFETIME: String(LIFETIME_S),
    })
    contenders.push(mercuriusContender(context, await startServers(context, 'mercurius-cache', upstream), redis))
    const pids: Pids = { worker: worker.pid, redis: Number((await info(redis, 'server')).process_id), upstream: upstream.process.pid }
    for (const contender of contenders) await runRound(contender, upstream, pids, context, 'warm-up')
    const rounds = Math.min(context.rounds, MAX_ROUNDS)
    const results: Record<string, RoundResult[]> = Object.fromEntries(contenders.map((c) => [c.name, []]))
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < contenders.length; k++) {
        const contender = contenders[(round + k) % contenders.length]
        results[contender.name].push(await runRound(contender, upstream, pids, context, `round ${round + 1}`))
      }
    }
    await worker.stop()
    const workerLines = worker.matching(/^\[storm-worker\]/)
    worker = undefined
    return report(rounds, results, workerLines)
  } finally {
    await worker?.stop()
    for (const contender of contenders) {
      for (const client of contender.clients) client.close()
      for (const server of contender.servers) await server.stop()
    }
    redis.disconnect()
    await upstream.process.stop()
  }
}

/** What bounds the storm p99 of cacheback, said when the target is missed (from the CPU table and profiles of the servers during the storm). */
/** What keeps `all fresh after` above its target, said when it is missed (from a timeline traced in the worker, the servers and the upstream). */
function convergeBound(ours: RoundResult[]): string {
  const floorS = (KEYS * UPSTREAM_LATENCY_MS) / WORKER_CONCURRENCY / 1000
  const perRefreshMs = (median(ours.map((r) => r.toFreshMs)) / (KEYS / WORKER_CONCURRENCY)).toFixed(0)
  return (
    `What keeps \`all fresh after\` above ${CONVERGE_TARGET_S.toFixed(1)} s: the worker's ${WORKER_CONCURRENCY} slots are full from about 150 ms into the storm until the last wave, so the time is about ${int(KEYS / WORKER_CONCURRENCY)} refreshes one after another per slot, ${perRefreshMs} ms each in this run against the ${UPSTREAM_LATENCY_MS} ms of the upstream (floor ${floorS.toFixed(1)} s). ` +
    'The rest is the ramp (keys reach the queue as the clients first read them, about one per ms, so the last slots start 100–150 ms late) and, per refresh, the compare-and-set write and lock hand-over, which hold the slot (about 11 ms in a traced run), plus 10–25 ms between the upstream answering and the worker reading the answer on busy cores. Freeing the slot once the fetch returns was measured on a branch (2.32 s there) and is not merged: see bench/README.md.'
  )
}

function stormBound(ours: RoundResult[]): string {
  const synchronous = median(ours.map((r) => Object.entries(r.events).filter(([name]) => name === 'miss' || name.startsWith('store-error')).reduce((sum, [, n]) => sum + n, 0)))
  const total = median(ours.map((r) => r.stormCores.servers + r.stormCores.worker + r.stormCores.redis + r.stormCores.bench))
  return (
    `What bounds the storm p99: not the upstream. A server calls it only on a miss or when a Redis call fails (both counted as events: ${int(synchronous)} in the median storm), so no request waited for it. ` +
    `The ${CLIENTS} closed-loop clients keep the machine busy (${total.toFixed(2)} of its 2 cores used by this run's processes during the storm, see the CPU table; anything else running shows in the load average below), so latency follows the work per request and the CPU left for it: ` +
    'a stale read makes two Redis round-trips one after the other (the MGET, then the refresh-lock script, also when another read already holds the lock, unless a read of the same key in this process has its script out: then it shares that answer) and the read that takes the lock a third (the queue save, awaited so the answer can say `dispatched`), where a hit makes one; and during the storm the worker takes its share of the cores for 1,000 refreshes (upstream call, encode, compare-and-set write, lock hand-over). ' +
    'See bench/README.md for the proposed changes (a per-process memo of held locks, answering once the lock is taken).'
  )
}

const seconds = (msValue: number) => (Number.isFinite(msValue) ? (msValue / 1000).toFixed(2) : `> ${STORM_MAX_MS / 1000}`)

function report(rounds: number, results: Record<string, RoundResult[]>, workerLines: string[]): ScenarioReport {
  const of = (name: string, pick: (r: RoundResult) => number) => results[name].map(pick)
  const stormRatio = (name: string) => median(results[name].map((r) => r.storm.p99 / r.fresh.p99))
  const eventSummary = (name: string) => {
    const names = [...new Set(results[name].flatMap((r) => Object.keys(r.events)))].sort()
    return names.map((event) => `${event} ${int(median(of(name, (r) => r.events[event] ?? 0)))}`).join(', ')
  }
  const rows = [OURS, THEIRS].map((name) => [
    name,
    int(median(of(name, (r) => r.freshRate))),
    ms(median(of(name, (r) => r.fresh.p50))),
    ms(median(of(name, (r) => r.fresh.p99))),
    int(median(of(name, (r) => r.stormRate))),
    ms(median(of(name, (r) => r.storm.p50))),
    ms(median(of(name, (r) => r.storm.p99))),
    ratio(stormRatio(name)),
    `${int(median(of(name, (r) => r.slowRequests)))} of ${int(median(of(name, (r) => r.storm.count)))}`,
    `${int(median(of(name, (r) => r.upstreamCalls)))} (${int(Math.min(...of(name, (r) => r.upstreamCalls)))}–${int(Math.max(...of(name, (r) => r.upstreamCalls)))})`,
    int(median(of(name, (r) => r.keysCalledTwice))),
    seconds(median(of(name, (r) => r.toFreshMs))),
  ])
  const ours = results[OURS]
  const oursRatio = stormRatio(OURS)
  const calls = ours.map((r) => r.upstreamCalls)
  const failed = Object.values(results).flat().reduce((sum, r) => sum + r.storm.failed + r.fresh.failed, 0)
  const workerSummary = workerLines.find((line) => line.includes('counts')) ?? 'no summary'
  const workerErrors = workerLines.filter((line) => !line.includes('counts'))
  return {
    tables: [
      {
        title: `stale-storm: ${int(KEYS)} keys stale at once, ${CLIENTS} concurrent clients over ${SERVERS} server processes, upstream ${UPSTREAM_LATENCY_MS} ms, medians of ${rounds} rounds (latencies in ms)`,
        columns: ['contender', 'fresh req/s', 'fresh p50', 'fresh p99', 'storm req/s', 'storm p50', 'storm p99', 'storm p99 ÷ fresh p99', `storm requests ≥ ${UPSTREAM_LATENCY_MS} ms`, 'upstream calls (min–max)', 'keys fetched twice or more', 'all fresh after (s)'],
        rows,
      },
      {
        title: 'stale-storm: CPU in use (cores; the machine has 2), fresh phase → storm, medians of rounds',
        columns: ['contender', 'servers (2 processes)', 'refresh worker', 'Redis', 'clients + upstream', 'total'],
        rows: [OURS, THEIRS].map((name) => {
          const cores = (phase: 'freshCores' | 'stormCores', role: keyof Cores | 'total') =>
            median(of(name, (r) => (role === 'total' ? r[phase].servers + r[phase].worker + r[phase].redis + r[phase].bench : r[phase][role])))
          const cell = (role: keyof Cores | 'total') => `${cores('freshCores', role).toFixed(2)} → ${cores('stormCores', role).toFixed(2)}`
          return [name, cell('servers'), cell('worker'), cell('redis'), cell('bench'), cell('total')]
        }),
      },
      {
        title: 'stale-storm: what the servers counted during the storm (medians of rounds, both servers summed)',
        columns: ['contender', 'events'],
        rows: [OURS, THEIRS].map((name) => [name, eventSummary(name) || 'none']),
      },
    ],
    targets: [
      { name: `cacheback storm p99 ÷ fresh-hit p99 (median of rounds)`, target: `≤ ${STORM_TARGET}×`, actual: ratio(oursRatio), met: oursRatio <= STORM_TARGET },
      {
        name: `cacheback upstream calls for ${int(KEYS)} stale keys, both servers (every round)`,
        target: `= ${int(KEYS)}`,
        actual: Math.min(...calls) === Math.max(...calls) ? int(calls[0]) : `${int(Math.min(...calls))}–${int(Math.max(...calls))}`,
        met: calls.every((n) => n === KEYS),
      },
      { name: 'cacheback: every key fresh again after (s, median of rounds)', target: `≤ ${CONVERGE_TARGET_S.toFixed(1)} s`, actual: seconds(median(of(OURS, (r) => r.toFreshMs))), met: median(of(OURS, (r) => r.toFreshMs)) <= CONVERGE_TARGET_S * 1000 },
    ],
    notes: [
      `Query \`${STORM_QUERY}\` (one key per request, ${'~'}250-byte JSON value), request \`i\` reads key \`⌊i / ${READS_PER_KEY}⌋ mod ${KEYS}\`: each key is read by ${READS_PER_KEY} requests in a row, in flight together (a popular item on many screens), each sent to one of the ${SERVERS} servers by a hash of \`i\`, so both servers read every key. ${CLIENTS} clients in a closed loop (each sends its next request when the last is answered) over loopback HTTP with keep-alive. The upstream is an HTTP service in a process of its own answering after ${UPSTREAM_LATENCY_MS} ms and counting calls per key (until this run it ran in the benchmark process, where its timer and sockets also waited for the event loop of the 100 clients: the worker saw 225–250 ms per call, not 200).`,
      `A round: fill the ${int(KEYS)} keys through the servers (upstream without delay, so all are written within a fraction of a second), load them while fresh (\`fresh\`: up to ${FRESH_PHASE_MS / 1000} s, ending before any key can go stale), wait with no load until every key is stale (lifetime ${LIFETIME_S} s on the processes' real clocks), then load again (\`storm\`) until the benchmark, polling Redis every ${POLL_MS} ms and every ${FINE_POLL_MS} ms once ${FINE_POLL_BELOW} keys or fewer are left, sees every key rewritten (until this run it polled every ${POLL_MS} ms to the end, which added 0–130 ms to \`all fresh after\`). \`storm\` latencies are of the requests started in that window; upstream calls are counted from the storm's start until ${UPSTREAM_LATENCY_MS + 300} ms after the load stopped. One warm-up round per contender, then ${rounds} rounds, contenders alternating.`,
      `\`${OURS}\`: two Apollo Server 5 processes with \`@cacheback(lifetime: ${LIFETIME_S}, ttl: ${STALE_S})\` on \`Query.item\`, \`RedisStore({ redis: url })\` (command timeout ${DEFAULT_COMMAND_TIMEOUT_MS} ms, the default) and \`BeeQueueRefresher\`; one worker process, the \`cacheback-worker\` command (\`src/cli/worker.ts\`) with \`--concurrency ${WORKER_CONCURRENCY}\`: a refresh waits ${UPSTREAM_LATENCY_MS} ms on the upstream, so concurrency, not CPU, sets the refresh rate: at ${WORKER_CONCURRENCY}, ${int(KEYS)} refreshes take at least ${int(KEYS)} × ${UPSTREAM_LATENCY_MS} ms ÷ ${WORKER_CONCURRENCY} = ${((KEYS * UPSTREAM_LATENCY_MS) / WORKER_CONCURRENCY / 1000).toFixed(1)} s (the floor of \`all fresh after\`), at the default of ${defaults.DEFAULT_WORKER_CONCURRENCY} ${((KEYS * UPSTREAM_LATENCY_MS) / defaults.DEFAULT_WORKER_CONCURRENCY / 1000).toFixed(1)} s. A stale read answers with the old value once the refresh lock is taken and the job queued (or the lock found held). Worker: ${workerSummary.replace('[storm-worker] ', '')}${workerErrors.length ? `; ${workerErrors.length} error lines, first: ${workerErrors[0]}` : ''}.`,
      `\`${THEIRS}\`: two Fastify 5 + Mercurius 16 processes with mercurius-cache 8, \`ttl: ${LIFETIME_S}, stale: ${STALE_S}\`, Redis storage (ioredis, auto-pipelining). A stale hit (remaining TTL ≤ \`stale\`, read with PTTL) is answered with the old value and refreshed in the same process, without a lock: each process may refresh a key, and so may each read of it until the new value is written. Its \`dedupe\` count is reads of a key merged with one already running in that process.`,
      `Events: cacheback's \`stale\` (a stale value served), \`refresh-dispatched:bee-queue\` (this read took the lock and queued the refresh; the others found it in flight), \`miss\` (a synchronous fetch), \`store-error:<code>\` (a Redis call failed or timed out: the read falls through to a synchronous fetch). mercurius-cache's \`hit\` counts stale hits too (it does not tell them apart).`,
      `Requests that failed during the run: ${failed}.`,
      ...(oursRatio > STORM_TARGET ? [stormBound(ours)] : []),
      ...(median(of(OURS, (r) => r.toFreshMs)) > CONVERGE_TARGET_S * 1000 ? [convergeBound(ours)] : []),
    ],
  }
}

export const staleStorm: Scenario = {
  name: 'stale-storm',
  title: 'everything stale at once: latency during the storm, upstream calls, time to fresh',
  run,
}
