/**
 * `graphql-list`: a query returning 100 items, each with a `@cacheback`
 * field, all fresh in Redis. Apollo Server + cacheback (without and with
 * tags in use) and GraphQL Yoga + cacheback against the same servers
 * without a cache, and Mercurius + mercurius-cache against Mercurius
 * without a cache; requests/s, p99 and Redis commands per query. Each
 * server runs in a process of its own and is loaded over loopback HTTP.
 * With `BENCH_BASELINE_ROOT` (another checkout of this repository, its
 * `node_modules` in place) its cacheback server runs too, as the baseline
 * of the hot-read cost.
 */
import { isDeepStrictEqual } from 'node:util'
import type { Redis } from 'ioredis'
import { LIST_PAGES, LIST_QUERY, LIST_SIZE, detailsOf } from '../processes/schemas.js'
import type { Scenario, ScenarioContext, ScenarioReport } from '../scenario.js'
import { int, ms, ratio } from '../support/format.js'
import { collectGarbage } from '../support/gc.js'
import { GraphqlHttpClient, graphqlBody } from '../support/graphql-http.js'
import { type ServerProcess, startServerProcess } from '../support/processes.js'
import { benchClient, commandCalls } from '../support/redis.js'
import { type LoadResult, median, medianRatio, roundRobin, runLoad } from '../support/stats.js'

const REQUESTS_PER_ROUND = 1000
const WARMUP_REQUESTS = 500
/** Requests in flight at once (keep-alive connections per server). */
const CONCURRENCY = 16
/** The target: Redis round-trips for the 100 cached fields of one query. */
const ROUND_TRIP_TARGET = 2

interface Contender {
  name: string
  kind: 'apollo-cacheback' | 'apollo-cacheback-tags' | 'apollo' | 'yoga-cacheback' | 'yoga' | 'mercurius-cache' | 'mercurius'
  /** The uncached server this one's overhead ratio is taken against. */
  baseline?: string
  /** Checkout whose server this is (the baseline's), when not this one. */
  root?: string
}

const OURS = 'Apollo + cacheback'
const TAGGED = 'Apollo + cacheback, tags'
const BASELINE = 'Apollo + cacheback, baseline checkout'
const THEIRS = 'Mercurius + mercurius-cache'
const YOGA = 'Yoga + cacheback'
const baselineRoot = process.env.BENCH_BASELINE_ROOT
/** `BENCH_COMMAND_TIMEOUT_MS`: the cacheback servers' store command timeout (default the store's 250 ms); on a loaded machine event-loop stalls past it turn hits into fall-through fetches. */
const commandTimeoutMs = process.env.BENCH_COMMAND_TIMEOUT_MS
/** The hot-read cost with tags in use may be this much below cacheback without them (and the baseline's). */
const TAGS_RATIO_TARGET = 0.85
const CONTENDERS: Contender[] = [
  { name: OURS, kind: 'apollo-cacheback', baseline: 'Apollo, no cache' },
  { name: TAGGED, kind: 'apollo-cacheback-tags', baseline: 'Apollo, no cache' },
  ...(baselineRoot ? [{ name: BASELINE, kind: 'apollo-cacheback' as const, baseline: 'Apollo, no cache', root: baselineRoot }] : []),
  { name: 'Apollo, no cache', kind: 'apollo' },
  { name: 'Yoga + cacheback', kind: 'yoga-cacheback', baseline: 'Yoga, no cache' },
  { name: 'Yoga, no cache', kind: 'yoga' },
  { name: THEIRS, kind: 'mercurius-cache', baseline: 'Mercurius, no cache' },
  { name: 'Mercurius, no cache', kind: 'mercurius' },
]

interface RoundResult extends LoadResult {
  /** Redis commands per query, by command (`INFO commandstats` delta ÷ requests). */
  commands: Record<string, number>
}

interface Running extends Contender {
  server: ServerProcess
  client: GraphqlHttpClient
}

/** The request bodies, one per page (made before any timed loop); request `i` asks for page `i % LIST_PAGES`. */
const bodies = Array.from({ length: LIST_PAGES }, (_, page) => graphqlBody(LIST_QUERY, { page }))
const load = (contender: Running, requests: number) => runLoad((i) => contender.client.post(bodies[i % LIST_PAGES]), requests, CONCURRENCY)

/** Redis commands the server ran per query during `run` (the INFO calls of the measurement itself left out). */
async function countCommands(monitor: Redis, requests: number, run: () => Promise<LoadResult>): Promise<RoundResult> {
  const before = await commandCalls(monitor)
  const result = await run()
  const after = await commandCalls(monitor)
  const commands: Record<string, number> = {}
  for (const [name, calls] of Object.entries(after)) {
    const delta = calls - (before[name] ?? 0)
    if (delta > 0 && name !== 'info') commands[name] = delta / requests
  }
  return { ...result, commands }
}

/** The answer to `page` must be its 100 items with their values; cacheback's must say all 100 were hits. */
async function checkAnswer(contender: Running, page: number, expectHits: boolean): Promise<void> {
  const response = await contender.client.json<{ data: { items: { id: number; details: unknown }[] }; extensions?: { cacheback?: { hit: number; miss: number; stale: number } } }>(bodies[page])
  const items = response.data.items
  const expected = (item: { id: number; details: unknown }, i: number) => item.id === page * LIST_SIZE + i && isDeepStrictEqual(item.details, detailsOf(item.id))
  if (items.length !== LIST_SIZE || !items.every(expected)) throw new Error(`graphql-list: ${contender.name} answered wrong items for page ${page}`)
  const reads = response.extensions?.cacheback
  if ((contender.kind.startsWith('apollo-cacheback') || contender.kind === 'yoga-cacheback') && expectHits && reads?.hit !== LIST_SIZE) throw new Error(`graphql-list: ${contender.name} read ${JSON.stringify(reads)}, expected ${LIST_SIZE} hits`)
}

async function start(context: ScenarioContext): Promise<Running[]> {
  const running: Running[] = []
  try {
    for (const [i, contender] of CONTENDERS.entries()) {
      // A key prefix per contender: two cacheback servers (with and without tags, the baseline) never share entries.
      const server = await startServerProcess(contender.name, 'bench/processes/list-server.ts', { KIND: contender.kind, REDIS_URL: context.redisUrl, PREFIX: `${context.prefix}c${i}-`, ...(commandTimeoutMs ? { COMMAND_TIMEOUT_MS: commandTimeoutMs } : {}) }, contender.root)
      running.push({ ...contender, server, client: new GraphqlHttpClient(server.url, CONCURRENCY) })
    }
  } catch (error) {
    await stop(running)
    throw error
  }
  return running
}

async function stop(running: Running[]): Promise<void> {
  for (const contender of running) {
    contender.client.close()
    await contender.server.stop()
  }
}

async function run(context: ScenarioContext): Promise<ScenarioReport> {
  context.log(`starting ${CONTENDERS.length} server processes`)
  const running = await start(context)
  const monitor = benchClient(context.redisUrl)
  try {
    // The first query of each page stores its 100 values.
    for (const contender of running) for (let page = 0; page < LIST_PAGES; page++) await checkAnswer(contender, page, false)
    for (const contender of running) {
      await load(contender, WARMUP_REQUESTS)
      await checkAnswer(contender, 0, true)
    }
    const byName = new Map(running.map((c) => [c.name, c]))
    const results = await roundRobin(context.rounds, [...byName.keys()], async (name, round) => {
      const contender = byName.get(name)!
      await contender.server.request('gc')
      collectGarbage()
      const result = await countCommands(monitor, REQUESTS_PER_ROUND, () => load(contender, REQUESTS_PER_ROUND))
      const perQuery = Object.values(result.commands).reduce((a, b) => a + b, 0)
      context.log(`round ${round + 1}: ${name.padEnd(28)} ${int(result.opsPerSec)} req/s, p99 ${ms(result.p99)} ms, ${perQuery.toFixed(1)} Redis commands/query`)
      return result
    })
    for (const contender of running) await checkAnswer(contender, LIST_PAGES - 1, true)
    const mercuriusStats = await byName.get(THEIRS)!.server.request<{ hits: number; misses: number }>('stats')
    return report(context, results, mercuriusStats)
  } finally {
    monitor.disconnect()
    await stop(running)
  }
}

/** `mget 1.00, evalsha 0.01` (commands per query, most frequent first). */
function describeCommands(commands: Record<string, number>): string {
  const entries = Object.entries(commands).sort((a, b) => b[1] - a[1])
  return entries.length === 0 ? 'none' : entries.map(([name, perQuery]) => `${name} ${perQuery >= 10 ? perQuery.toFixed(0) : perQuery.toFixed(2)}`).join(', ')
}

function report(context: ScenarioContext, results: Record<string, RoundResult[]>, mercuriusStats: { hits: number; misses: number }): ScenarioReport {
  const rps = (name: string) => results[name].map((r) => r.opsPerSec)
  const overhead = (contender: Contender) => (contender.baseline ? medianRatio(rps(contender.name), rps(contender.baseline)) : Number.NaN)
  const medianCommands = (name: string) => {
    const names = new Set(results[name].flatMap((r) => Object.keys(r.commands)))
    return Object.fromEntries([...names].map((command) => [command, median(results[name].map((r) => r.commands[command] ?? 0))]))
  }
  const rows = CONTENDERS.map((contender) => {
    const commands = medianCommands(contender.name)
    return [
      contender.name,
      int(median(rps(contender.name))),
      ms(median(results[contender.name].map((r) => r.p50))),
      ms(median(results[contender.name].map((r) => r.p99))),
      contender.baseline ? ratio(overhead(contender)) : '–',
      Object.values(commands)
        .reduce((a, b) => a + b, 0)
        .toFixed(1),
      describeCommands(commands),
    ]
  })
  const ours = CONTENDERS.find((c) => c.name === OURS)!
  const theirs = CONTENDERS.find((c) => c.name === THEIRS)!
  const oursOverhead = overhead(ours)
  const theirsOverhead = overhead(theirs)
  const mostCommands = (name: string) => Math.max(...results[name].map((r) => Object.values(r.commands).reduce((a, b) => a + b, 0)))
  const oursCommands = Math.max(mostCommands(OURS), mostCommands(TAGGED), mostCommands(YOGA))
  const vsTheirs = medianRatio(rps(OURS), rps(THEIRS))
  const tagsVsUntagged = medianRatio(rps(TAGGED), rps(OURS))
  const tagsVsBaseline = baselineRoot ? medianRatio(rps(TAGGED), rps(BASELINE)) : Number.NaN
  return {
    tables: [
      {
        title: `graphql-list: ${int(REQUESTS_PER_ROUND)} requests per contender per round over loopback HTTP, ${CONCURRENCY} in flight, ${LIST_SIZE} cached fields per query, medians of ${context.rounds} rounds`,
        columns: ['server', 'req/s', 'p50 ms', 'p99 ms', 'vs same server uncached', 'Redis commands/query', 'by command (per query)'],
        rows,
      },
    ],
    targets: [
      { name: 'Redis round-trips for the 100 cached fields of a query (cacheback on Apollo and on Yoga, most in any round)', target: `≤ ${ROUND_TRIP_TARGET}`, actual: oursCommands.toFixed(2), met: oursCommands <= ROUND_TRIP_TARGET },
      {
        name: 'overhead ratio (cached ÷ uncached req/s): cacheback on Apollo vs mercurius-cache on Mercurius',
        target: 'better (higher)',
        actual: `${ratio(oursOverhead)} vs ${ratio(theirsOverhead)}`,
        met: oursOverhead > theirsOverhead,
      },
      { name: 'hot reads with tags in use: req/s with tags ÷ without', target: `≥ ${ratio(TAGS_RATIO_TARGET)}`, actual: ratio(tagsVsUntagged), met: tagsVsUntagged >= TAGS_RATIO_TARGET },
      ...(baselineRoot ? [{ name: 'hot reads with tags in use: req/s ÷ the baseline checkout (no tags, its own code)', target: `≥ ${ratio(TAGS_RATIO_TARGET)}`, actual: ratio(tagsVsBaseline), met: tagsVsBaseline >= TAGS_RATIO_TARGET }] : []),
    ],
    notes: [
      `Query \`${LIST_QUERY}\`: \`items\` returns the ${LIST_SIZE} items of a page (not cached); each item's \`details\` (a ${'~'}250-byte JSON object: id, handle, bio) is the cached field, fresh in Redis for the whole run. Request \`i\` asks for page \`i mod ${LIST_PAGES}\`, so the ${CONCURRENCY} requests in flight read different keys. (With one page for all, mercurius-cache merges the reads of a key that concurrent requests make in one process: in a trial run it sent 13 Redis commands per query instead of 200, and its overhead ratio was 0.46×.) Uncached servers run the same resolvers, which return prebuilt values at once: the ratio to them is the whole cost of the cache on the hot path.`,
      'Each server is a process of its own (`bench/processes/list-server.ts`), loaded from the benchmark process over loopback HTTP/1.1 with keep-alive connections (`bench/support/graphql-http.ts`), a closed loop of requests; the benchmark process, the server and Redis share the 2 cores. Before each measurement the server and the benchmark process run a full GC.',
      `\`${OURS}\`: Apollo Server 5 standalone, \`cachebackDirective({ cache })\` with \`@cacheback(lifetime: 3600, ttl: 7200)\` on \`Item.details\`, \`RedisStore({ redis: url })\` (the client the store makes: auto-pipelining, 250 ms command timeout), \`cachebackApolloPlugin()\` (so every answer carries \`extensions.cacheback\`, hit: 100). \`Apollo, no cache\`: the same server, plugin and SDL, the schema not transformed.`,
      `\`${YOGA}\`: GraphQL Yoga 5 (\`createYoga\` on a Node \`http\` server, default settings) serving the same transformed schema on the same kind of \`RedisStore\`, with \`useCacheback()\` (every answer carries \`extensions.cacheback\`, hit: 100). \`Yoga, no cache\`: the same server and plugin, the schema not transformed.`,
      `\`${THEIRS}\`: Fastify 5 + Mercurius 16 (default settings, no JIT) + mercurius-cache 8 with \`policy: { Item: { details: true } }\`, \`ttl: 3600, stale: 3600\` (cacheback's lifetime and grace), Redis storage on an ioredis client with \`enableAutoPipelining: true\`, \`invalidation: false\`. It stores JSON and reads each field with a GET, plus a PTTL because \`stale\` is set. Field hits it counted over the run: ${int(mercuriusStats.hits)}, misses: ${int(mercuriusStats.misses)} (the first query of each page, ${LIST_SIZE} fields each). \`Mercurius, no cache\`: the same server without the plugin.`,
      `\`Redis commands/query\`: the \`INFO commandstats\` delta of the benchmark's Redis over the round ÷ requests. For cacheback it is the number of round-trips: one MGET of the ${LIST_SIZE} keys per query (one execution level, one \`getMany\`). mercurius-cache's commands are auto-pipelined by ioredis (commands issued in one tick share a write), so its round-trips are fewer than its commands, but Redis executes each.`,
      `\`${TAGGED}\`: the same server with \`tags: ${'["item:{parent.id}", "items"]'}\` on \`Item.details\`: each read fills both templates (the absent-value check), each write files the entry in its job's, its entity's (\`Item\`, by \`id\`) and both tags' indexes. The reads are the same single MGET.${baselineRoot ? ` \`${BASELINE}\`: \`bench/processes/list-server.ts\` of the checkout at \`BENCH_BASELINE_ROOT\` (its own library code, no tags), the hot-read cost before this change, in the same run.` : ''}`,
      ...(commandTimeoutMs ? [`Run with \`BENCH_COMMAND_TIMEOUT_MS=${commandTimeoutMs}\`: every cacheback server's store calls time out after ${commandTimeoutMs} ms instead of 250, so that the loaded machine's event-loop stalls do not turn hits into fall-through fetches (the hot path is what is measured).`] : []),
      `\`vs same server uncached\` = the contender's req/s ÷ its uncached server's req/s in the same round, median over rounds: the overhead ratio. Apollo and Mercurius differ in their own speed; cacheback on Apollo vs mercurius-cache on Mercurius in absolute req/s: ${ratio(vsTheirs)} (median of the per-round ratios).`,
    ],
  }
}

export const graphqlList: Scenario = {
  name: 'graphql-list',
  title: '100 cached fields in one query: overhead ratio and Redis round-trips, against mercurius-cache',
  run,
}
