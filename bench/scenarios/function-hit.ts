/**
 * `function-hit`: the cost of a cache hit. 1 KB values, all fresh in Redis,
 * 100 concurrent callers; each round gives every contender 100,000 reads,
 * contenders interleaved round-robin.
 */
import { isDeepStrictEqual } from 'node:util'
import type { Scenario, ScenarioContext, ScenarioReport } from '../scenario.js'
import { int, ms, ratio } from '../support/format.js'
import { collectGarbage } from '../support/gc.js'
import {
  type HitContender,
  asyncCacheDedupeContender,
  bentocacheContender,
  cachebackContender,
  jsonFloor,
  msgpackFloor,
} from '../support/hit-contenders.js'
import { makeProfile } from '../support/payload.js'
import { type LoadResult, median, medianRatio, roundRobin, runLoad } from '../support/stats.js'

const KEYS = 10_000
const VALUE_JSON_BYTES = 1024
const CONCURRENCY = 100
const READS_PER_ROUND = 100_000
const WARMUP_READS = 20_000

const FLOOR = 'floor: GET + msgpackr'
const L1_FREEZE = 'cacheback + l1'
const L1_COPY = 'cacheback + l1, copy per hit'
/** The in-process tier's target: hot-key hits against the raw GET floor. */
const L1_TARGET = 10

/** What separates a hit from the floor, said when the floor target is missed (from CPU profiles of the read path). */
const FLOOR_BOUND =
  'What bounds the ratio to the floor: the benchmark process is the bottleneck, and a hit costs it about twice the CPU of GET + decode: the key (stable serialization of namespace, job name and arguments, then sha256), the store call\'s timeout timer, the async steps Job.get → Cacheback.read → Store.get, the hit event object, and the garbage of all these. See bench/README.md for the measured share of each.'

async function run(context: ScenarioContext): Promise<ScenarioReport> {
  const profiles = Array.from({ length: KEYS }, (_, id) => makeProfile(id, VALUE_JSON_BYTES))
  const setup = { redisUrl: context.redisUrl, prefix: context.prefix, profiles }
  context.log(`storing ${KEYS} values per contender`)
  const ours = await cachebackContender(setup)
  const bento = await bentocacheContender(setup)
  const tiers = [
    await cachebackContender(setup, { name: L1_FREEZE, l1: { maxEntries: KEYS } }),
    await cachebackContender(setup, { name: L1_COPY, l1: { maxEntries: KEYS, protect: 'copy' } }),
  ]
  const contenders: HitContender[] = [
    ours,
    await cachebackContender(setup, { name: 'cacheback, store-made client', storeMadeClient: true }),
    ...tiers,
    bento,
    await asyncCacheDedupeContender(setup),
    msgpackFloor(setup, ours.keys),
    jsonFloor(setup, bento.keys),
  ]
  try {
    for (const contender of contenders) await checkValues(contender, profiles)
    for (const contender of contenders) await runLoad(contender.read, WARMUP_READS, CONCURRENCY)
    const byName = new Map(contenders.map((c) => [c.name, c]))
    const results = await roundRobin(context.rounds, [...byName.keys()], async (name, round) => {
      collectGarbage()
      const result = await runLoad(byName.get(name)!.read, READS_PER_ROUND, CONCURRENCY)
      context.log(`round ${round + 1}: ${name.padEnd(24)} ${int(result.opsPerSec)} ops/s, p99 ${ms(result.p99)} ms`)
      return result
    })
    const sourceCalls = contenders.map((c) => `${c.name}: ${c.sourceCalls()}`)
    return report(context, results, sourceCalls)
  } finally {
    for (const contender of contenders) await contender.close()
  }
}

/** Every contender must return the stored value (checked before timing). */
async function checkValues(contender: HitContender, profiles: readonly unknown[]): Promise<void> {
  for (const id of [0, 1, KEYS - 1]) {
    const value = await contender.read(id)
    if (!isDeepStrictEqual(value, profiles[id])) throw new Error(`function-hit: ${contender.name} returned a wrong value for id ${id}`)
  }
}

function report(context: ScenarioContext, results: Record<string, LoadResult[]>, sourceCalls: string[]): ScenarioReport {
  const ops = (name: string) => results[name].map((r) => r.opsPerSec)
  const rows = Object.entries(results).map(([name, runs]) => [
    name,
    int(median(runs.map((r) => r.opsPerSec))),
    ms(median(runs.map((r) => r.p50))),
    ms(median(runs.map((r) => r.p99))),
    ratio(medianRatio(ops(name), ops(FLOOR))),
    ratio(medianRatio(ops('cacheback'), ops(name))),
  ])
  const vsBento = medianRatio(ops('cacheback'), ops('bentocache'))
  const vsFloor = medianRatio(ops('cacheback'), ops(FLOOR))
  const l1VsFloor = medianRatio(ops(L1_FREEZE), ops(FLOOR))
  const copyVsFreeze = medianRatio(ops(L1_COPY), ops(L1_FREEZE))
  return {
    tables: [
      {
        title: `function-hit: ${int(READS_PER_ROUND)} reads per contender per round, ${CONCURRENCY} concurrent callers, ${int(KEYS)} keys of 1 KB (JSON), medians of ${context.rounds} rounds`,
        columns: ['contender', 'ops/s', 'p50 ms', 'p99 ms', 'vs floor', 'cacheback vs it'],
        rows,
      },
    ],
    targets: [
      { name: 'cacheback ops/s vs bentocache (L2)', target: '≥ 1.20×', actual: ratio(vsBento), met: vsBento >= 1.2 },
      { name: 'cacheback ops/s vs floor', target: '≥ 0.80×', actual: ratio(vsFloor), met: vsFloor >= 0.8 },
      { name: 'cacheback + l1 (hot keys, every read an in-process hit) ops/s vs floor', target: `≥ ${L1_TARGET.toFixed(2)}×`, actual: ratio(l1VsFloor), met: l1VsFloor >= L1_TARGET },
    ],
    notes: [
      'Each contender has its own ioredis client with `enableAutoPipelining: true` on the same Redis. Values: a user profile object of 1,024 bytes as JSON (817 bytes as msgpack), one per key, stored through each library\'s own API before timing.',
      '`cacheback`: `cacheback(fn, { lifetime: 3600, ttl: 7200 })` on `RedisStore({ redis: client, commandTimeoutMs: 5000 })` (5 s so that prefilling on a loaded machine does not time out) with the same client as the others (one GET per read, msgpackr decode of the entry); `cacheback, store-made client`: the same on `RedisStore({ redis: url })`, the client the store makes itself (auto-pipelining, command timeout, no offline queue). `bentocache`: `getOrSet({ ttl: 1h, grace: 1h })`, Redis driver as the only layer (one GET, JSON.parse). `async-cache-dedupe`: Redis storage, `ttl: 3600, stale: 3600` (GET + PTTL per read, JSON.parse).',
      '`floor: GET + msgpackr` (the floor of the targets): raw `getBuffer` of the bytes cacheback stored and msgpackr `unpack` of the value part (same Packr settings). `floor: GET + JSON.parse`: raw `get` of bentocache\'s stored string and `JSON.parse`, the floor for the JSON-based peers.',
      'Ratios are computed within each round (same conditions), then the median is taken. Percentiles are per call, from the caller\'s side.',
      `\`${L1_FREEZE}\`: the same job with \`l1: { maxEntries: ${int(KEYS)} }\` (its bus: the store's, a subscriber connection of its own): the first read of each key during the warm-up goes to Redis and admits the entry, every timed read is an in-process hit (hot keys: the whole key space fits), its value deep-frozen once at admission. \`${L1_COPY}\`: \`protect: 'copy'\`, every hit decodes a fresh copy from the kept msgpack bytes: ${ratio(copyVsFreeze)} of the frozen tier's ops/s, which is why freezing is the default.`,
      `Fall-throughs to the source during the run (0 = every read hit): ${sourceCalls.join(', ')}.`,
      ...(vsFloor < 0.8 ? [FLOOR_BOUND] : []),
    ],
  }
}

export const functionHit: Scenario = {
  name: 'function-hit',
  title: 'cache-hit cost of a decorated function against bentocache, async-cache-dedupe and raw GET',
  run,
}
