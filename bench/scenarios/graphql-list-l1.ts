/**
 * `graphql-list-l1`: `graphql-list`'s query (100 items, each with a cached
 * field) on Apollo Server with an in-process tier, every field a hot hit,
 * against the same server uncached: over loopback HTTP and in-process
 * (`executeOperation`, no HTTP), in production mode (`NODE_ENV=production`,
 * as deployments run) and in development mode beside it. Each server is a
 * process of its own; contenders of one table run in the same rounds.
 */
import { isDeepStrictEqual } from 'node:util'
import { LIST_PAGES, LIST_QUERY, LIST_SIZE, detailsOf } from '../processes/schemas.js'
import type { Scenario, ScenarioContext, ScenarioReport, Table, TargetCheck } from '../scenario.js'
import { int, ms, ratio } from '../support/format.js'
import { collectGarbage } from '../support/gc.js'
import { GraphqlHttpClient, graphqlBody } from '../support/graphql-http.js'
import { type ServerProcess, startServerProcess } from '../support/processes.js'
import { type LoadResult, median, medianRatio, roundRobin, runLoad } from '../support/stats.js'

const HTTP_REQUESTS = 1000
const IN_PROCESS_REQUESTS = 2000
const WARMUP_REQUESTS = 300
const CONCURRENCY = 16
const TARGETS = { http: 0.85, 'in-process': 0.75 } as const

type Transport = 'http' | 'in-process'
type NodeEnv = 'production' | 'development'

interface Contender {
  name: string
  kind: 'apollo-cacheback-l1' | 'apollo-cacheback' | 'apollo'
  nodeEnv: NodeEnv
  baseline?: string
}

const L1 = 'Apollo + cacheback + l1'
const CONTENDERS: Contender[] = [
  { name: L1, kind: 'apollo-cacheback-l1', nodeEnv: 'production', baseline: 'Apollo, no cache' },
  { name: 'Apollo + cacheback (no l1)', kind: 'apollo-cacheback', nodeEnv: 'production', baseline: 'Apollo, no cache' },
  { name: 'Apollo, no cache', kind: 'apollo', nodeEnv: 'production' },
  { name: `${L1} (development)`, kind: 'apollo-cacheback-l1', nodeEnv: 'development', baseline: 'Apollo, no cache (development)' },
  { name: 'Apollo, no cache (development)', kind: 'apollo', nodeEnv: 'development' },
]

interface Running extends Contender {
  server: ServerProcess
  /** Runs one measured load (HTTP from here, or in the server process). */
  load(requests: number): Promise<LoadResult>
}

const bodies = Array.from({ length: LIST_PAGES }, (_, page) => graphqlBody(LIST_QUERY, { page }))

async function start(context: ScenarioContext, transport: Transport): Promise<Running[]> {
  const running: Running[] = []
  try {
    for (const contender of CONTENDERS) {
      const env = { KIND: contender.kind, NODE_ENV: contender.nodeEnv, MODE: transport, REDIS_URL: context.redisUrl, PREFIX: context.prefix, IN_PROCESS_REQUESTS: String(IN_PROCESS_REQUESTS), IN_PROCESS_CONCURRENCY: String(CONCURRENCY) }
      const server = await startServerProcess(`${contender.name} (${transport})`, 'bench/processes/list-server.ts', env)
      if (transport === 'in-process') {
        running.push({ ...contender, server, load: () => server.request<LoadResult>('run') }) // IN_PROCESS_REQUESTS each
        continue
      }
      const client = new GraphqlHttpClient(server.url, CONCURRENCY)
      await checkAnswers(contender, client)
      running.push({ ...contender, server, load: (requests) => runLoad((i) => client.post(bodies[i % LIST_PAGES]), requests, CONCURRENCY) })
    }
  } catch (error) {
    for (const contender of running) await contender.server.stop()
    throw error
  }
  return running
}

/** Every page answers its 100 items; after two passes (store, then admitted), cacheback's are 100 hits. */
async function checkAnswers(contender: Contender, client: GraphqlHttpClient): Promise<void> {
  for (let pass = 0; pass < 3; pass++) {
    for (let page = 0; page < LIST_PAGES; page++) {
      const response = await client.json<{ data: { items: { id: number; details: unknown }[] }; extensions?: { cacheback?: { hit: number } } }>(bodies[page])
      const items = response.data.items
      if (items.length !== LIST_SIZE || !items.every((item, i) => item.id === page * LIST_SIZE + i && isDeepStrictEqual(item.details, detailsOf(item.id)))) {
        throw new Error(`graphql-list-l1: ${contender.name} answered wrong items for page ${page}`)
      }
      if (pass === 2 && contender.kind !== 'apollo' && response.extensions?.cacheback?.hit !== LIST_SIZE) throw new Error(`graphql-list-l1: ${contender.name} read ${JSON.stringify(response.extensions?.cacheback)}`)
    }
  }
}

async function measure(context: ScenarioContext, transport: Transport): Promise<Record<string, LoadResult[]>> {
  const running = await start(context, transport)
  try {
    const requests = transport === 'http' ? HTTP_REQUESTS : IN_PROCESS_REQUESTS
    for (const contender of running) {
      if (transport === 'in-process') await contender.server.request('warm')
      await contender.load(WARMUP_REQUESTS)
    }
    const byName = new Map(running.map((c) => [c.name, c]))
    return await roundRobin(context.rounds, [...byName.keys()], async (name, round) => {
      const contender = byName.get(name)!
      await contender.server.request('gc')
      collectGarbage()
      const result = await contender.load(requests)
      context.log(`${transport} round ${round + 1}: ${name.padEnd(34)} ${int(result.opsPerSec)} req/s, p99 ${ms(result.p99)} ms`)
      return result
    })
  } finally {
    for (const contender of running) await contender.server.stop()
  }
}

function table(transport: Transport, results: Record<string, LoadResult[]>, rounds: number): Table {
  const rps = (name: string) => results[name].map((r) => r.opsPerSec)
  return {
    title: `graphql-list-l1, ${transport === 'http' ? `over loopback HTTP, ${int(HTTP_REQUESTS)}` : `in-process (executeOperation), ${int(IN_PROCESS_REQUESTS)}`} requests per contender per round, ${CONCURRENCY} in flight, ${LIST_SIZE} cached fields per query, medians of ${rounds} rounds`,
    columns: ['server', 'NODE_ENV', 'req/s', 'p50 ms', 'p99 ms', 'vs same server uncached'],
    rows: CONTENDERS.map((c) => [c.name, c.nodeEnv, int(median(rps(c.name))), ms(median(results[c.name].map((r) => r.p50))), ms(median(results[c.name].map((r) => r.p99))), c.baseline ? ratio(medianRatio(rps(c.name), rps(c.baseline))) : '–']),
  }
}

function target(transport: Transport, results: Record<string, LoadResult[]>): TargetCheck {
  const rps = (name: string) => results[name].map((r) => r.opsPerSec)
  const value = medianRatio(rps(L1), rps('Apollo, no cache'))
  const wanted = TARGETS[transport]
  return { name: `Apollo + cacheback + l1 ÷ Apollo uncached, ${transport === 'http' ? 'over HTTP' : 'in-process (executeOperation)'}, production`, target: `≥ ${wanted.toFixed(2)}×`, actual: ratio(value), met: value >= wanted }
}

async function run(context: ScenarioContext): Promise<ScenarioReport> {
  context.log('HTTP: starting 5 server processes')
  const http = await measure(context, 'http')
  context.log('in-process: starting 5 server processes')
  const inProcess = await measure(context, 'in-process')
  return {
    tables: [table('http', http, context.rounds), table('in-process', inProcess, context.rounds)],
    targets: [target('http', http), target('in-process', inProcess)],
    notes: [
      `The query, values and servers of \`graphql-list\` (\`bench/processes/list-server.ts\`): \`${LIST_QUERY}\`, request \`i\` asks for page \`i mod ${LIST_PAGES}\`, so the ${LIST_PAGES * LIST_SIZE} cached values are all hot. \`${L1}\`: the cache has \`l1: { maxEntries: 10000 }\` on \`RedisStore({ redis: url })\`, its bus the store's (a subscriber connection of its own); before timing, three passes over every page store the values, admit them to the tier and check that every answer has its 100 fields as hits. A hit is answered by the field's resolver synchronously (the frozen value, no promise, no store read: 0 Redis commands per query). \`Apollo + cacheback (no l1)\`: the same without the tier (one MGET per query), for reference.`,
      'Over HTTP the benchmark process loads each server over loopback with keep-alive connections (`bench/support/graphql-http.ts`); in-process, each server process runs the same closed loop of requests against itself with `executeOperation` (no HTTP, no JSON), so the cost of the cache is a larger share of each request. The production and development contenders are separate processes started with `NODE_ENV` set; graphql-js reads it once, at load.',
      'Ratios are computed within each round (same conditions), then their median is taken. The machine is shared: the benchmark process, the servers and Redis compete for 2 cores.',
    ],
  }
}

export const graphqlListL1: Scenario = {
  name: 'graphql-list-l1',
  title: '100 hot cached fields with an in-process tier, against the same server uncached, over HTTP and in-process',
  run,
}
