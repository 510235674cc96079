/**
 * `memory`: Redis bytes per entry for values of about 100 B, 1 KB and 10 KB,
 * against the value's own serialized size. Counts the envelope (stored
 * string minus serialized value) and, separately, what Redis adds per key;
 * bentocache and async-cache-dedupe entries of the same values for context.
 */
import { createCache } from 'async-cache-dedupe'
import { BentoCache, bentostore } from 'bentocache'
import { redisDriver } from 'bentocache/drivers/redis'
import type { Redis } from 'ioredis'
import { Cacheback, cacheback } from 'graphql-cacheback'
import { RedisStore } from 'graphql-cacheback/redis'
import { pack } from '../../src/codec.js'
import type { Scenario, ScenarioContext, ScenarioReport } from '../scenario.js'
import { int } from '../support/format.js'
import { makeProfile, makeSmallValue } from '../support/payload.js'
import { benchClient } from '../support/redis.js'
import { inBatches } from '../support/util.js'

const SIZES = [100, 1024, 10_240]
const ENTRIES = 500
const TTL_S = 3600
const ENVELOPE_TARGET = 64

/** A value whose JSON is about `size` bytes, ±10 % from entry to entry (so allocator size classes average out). */
function valueOf(id: number, size: number): object {
  const bytes = Math.round(size * (0.9 + 0.2 * ((id * 7919) % 1000) / 1000))
  return size < 300 ? makeSmallValue(id, bytes) : makeProfile(id, bytes)
}

/** Mean of `MEMORY USAGE` (all samples) and `STRLEN` over keys. */
async function measureKeys(client: Redis, keys: readonly string[]): Promise<{ usage: number; strlen: number; keyBytes: number }> {
  let usage = 0
  let strlen = 0
  for (const key of keys) {
    usage += Number(await client.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'))
    strlen += await client.strlen(key)
  }
  return { usage: usage / keys.length, strlen: strlen / keys.length, keyBytes: keys.reduce((sum, key) => sum + Buffer.byteLength(key), 0) / keys.length }
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length

interface SizeResult {
  size: number
  json: number
  serialized: number
  ours: { usage: number; strlen: number; keyBytes: number }
  raw: { usage: number; strlen: number; keyBytes: number }
  bento: { usage: number; strlen: number; keyBytes: number }
  acd: { usage: number; strlen: number; keyBytes: number }
}

async function measureSize(context: ScenarioContext, client: Redis, size: number): Promise<SizeResult> {
  const values = Array.from({ length: ENTRIES }, (_, id) => valueOf(id, size))
  const cache = new Cacheback({ namespace: `${context.prefix}cb`, store: new RedisStore({ redis: client }) })
  const job = cacheback(async (id: number) => values[id], { name: `value${size}`, cache, lifetime: TTL_S, ttl: TTL_S })
  await inBatches(ENTRIES, (id) => job.set([id], values[id]))
  const ourKeys = values.map((_, id) => job.job.keyFor(id))
  // The serialized value alone, under a key as long as ours, with the same PX: what Redis needs without the envelope.
  const rawKeys = ourKeys.map((key, id) => `${context.prefix}raw:${size}:${id}:`.padEnd(key.length, 'x'))
  await inBatches(ENTRIES, (id) => client.set(rawKeys[id], pack(values[id]), 'PX', TTL_S * 1000))

  const bento = new BentoCache({ default: 'redis', prefix: `${context.prefix}bento`, stores: { redis: bentostore().useL2Layer(redisDriver({ connection: client })) } })
  await inBatches(ENTRIES, (id) => bento.set({ key: `value${size}:${id}`, value: values[id], ttl: TTL_S * 1000, grace: TTL_S * 1000 }))
  const bentoKeys = values.map((_, id) => `${context.prefix}bento:value${size}:${id}`)

  const name = `${context.prefix}acdValue${size}`
  const acd = createCache({ ttl: TTL_S, stale: TTL_S, storage: { type: 'redis', options: { client } } }).define(name, async (id: number) => values[id])
  const acdRead = (acd as unknown as Record<string, (id: number) => Promise<unknown>>)[name]
  await inBatches(ENTRIES, (id) => acdRead(id))
  const acdKeys = values.map((_, id) => `${name}~${id}`)

  return {
    size,
    json: mean(values.map((value) => Buffer.byteLength(JSON.stringify(value)))),
    serialized: mean(values.map((value) => pack(value).length)),
    ours: await measureKeys(client, ourKeys),
    raw: await measureKeys(client, rawKeys),
    bento: await measureKeys(client, bentoKeys),
    acd: await measureKeys(client, acdKeys),
  }
}

async function run(context: ScenarioContext): Promise<ScenarioReport> {
  const client = benchClient(context.redisUrl)
  try {
    const results: SizeResult[] = []
    for (const size of SIZES) {
      context.log(`${int(ENTRIES)} entries of about ${int(size)} B`)
      results.push(await measureSize(context, client, size))
    }
    return report(results)
  } finally {
    client.disconnect()
  }
}

function report(results: SizeResult[]): ScenarioReport {
  const envelope = (r: SizeResult) => r.ours.strlen - r.serialized
  const worst = Math.max(...results.map(envelope))
  return {
    tables: [
      {
        title: `memory: cacheback entries, means over ${ENTRIES} entries per size (bytes)`,
        columns: ['value (JSON)', 'serialized value', 'stored string', 'envelope', 'key', 'MEMORY USAGE', 'same value, no envelope', 'envelope in Redis memory', 'Redis per-key cost'],
        rows: results.map((r) => [
          int(r.json),
          int(r.serialized),
          int(r.ours.strlen),
          int(envelope(r)),
          int(r.ours.keyBytes),
          int(r.ours.usage),
          int(r.raw.usage),
          int(r.ours.usage - r.raw.usage),
          int(r.raw.usage - r.raw.strlen),
        ]),
      },
      {
        title: 'memory: the same values in each library (bytes, means); envelope = stored string − the value serialized as that library does',
        columns: ['value (JSON)', 'library', 'serialized value', 'stored string', 'envelope', 'key', 'MEMORY USAGE'],
        rows: results.flatMap((r) => [
          [int(r.json), 'cacheback (msgpack)', int(r.serialized), int(r.ours.strlen), int(envelope(r)), int(r.ours.keyBytes), int(r.ours.usage)],
          [int(r.json), 'bentocache (JSON)', int(r.json), int(r.bento.strlen), int(r.bento.strlen - r.json), int(r.bento.keyBytes), int(r.bento.usage)],
          [int(r.json), 'async-cache-dedupe (JSON)', int(r.json), int(r.acd.strlen), int(r.acd.strlen - r.json), int(r.acd.keyBytes), int(r.acd.usage)],
        ]),
      },
    ],
    targets: [{ name: 'envelope bytes beyond the serialized value', target: `≤ ${ENVELOPE_TARGET} B`, actual: `${int(worst)} B`, met: worst <= ENVELOPE_TARGET }],
    notes: [
      '`serialized value`: msgpackr `pack` of the value with cacheback\'s settings. `stored string`: `STRLEN` of the entry key. `envelope` = stored string − serialized value (the fixed header: magic, version, createdAt, freshUntil, expiresAt); this is the number the target is about.',
      '`MEMORY USAGE` (`SAMPLES 0`) counts the key name, the value and Redis\'s own structures, rounded up to jemalloc size classes. `same value, no envelope`: the serialized value alone `SET` under a key of the same length with the same `PX`; the difference is what the envelope costs in Redis memory. `Redis per-key cost` = that `MEMORY USAGE` − its value bytes: the key name (`key` column: namespace, job name and a 64-hex sha256), the key\'s object headers and allocator rounding, paid by any cache.',
      'Value sizes vary ±10 % between entries so that size-class rounding averages out. A refresh lock (`<key>:refresh`) exists only while a refresh runs and is not counted.',
      'Peers store JSON: bentocache `{ value, createdAt, logicalExpiration }`, async-cache-dedupe the value alone (it reads freshness from `PTTL`, a second round-trip per hit).',
    ],
  }
}

export const memory: Scenario = {
  name: 'memory',
  title: 'Redis bytes per entry (MEMORY USAGE) for 100 B, 1 KB and 10 KB values against the serialized value',
  run,
}
