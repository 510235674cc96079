/**
 * `l1-memory`: the in-process tier under a key space ten times what it can
 * hold. Values of about 100 B, 1 KB and 10 KB are stored in Redis, then
 * read (each twice, in a shuffled order) through a cache with
 * `l1: { maxBytes }`. Reports what the tier counts against `maxBytes`, and
 * the heap it really holds: heap after a full GC with the tier full, minus
 * heap after clearing it and a full GC.
 */
import { Cacheback, cacheback } from '../../src/index.js'
import { RedisStore } from '../../src/redis/index.js'
import type { Scenario, ScenarioContext, ScenarioReport } from '../scenario.js'
import { int, ratio } from '../support/format.js'
import { collectGarbage } from '../support/gc.js'
import { makeProfile, makeSmallValue } from '../support/payload.js'
import { benchClient } from '../support/redis.js'
import { inBatches } from '../support/util.js'

const MAX_BYTES = 4 * 1024 * 1024
const KEY_SPACE_FACTOR = 10
const SIZES = [100, 1024, 10_240]

interface SizeResult {
  size: number
  keys: number
  held: number
  counted: number
  heap: number
}

function valueOf(id: number, size: number): object {
  return size < 300 ? makeSmallValue(id, size) : makeProfile(id, size)
}

/** A deterministic shuffle of 0..n-1. */
function shuffled(n: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i)
  let seed = 12345
  for (let i = n - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) >>> 0
    const j = seed % (i + 1)
    ;[order[i], order[j]] = [order[j], order[i]]
  }
  return order
}

function heapUsed(): number {
  collectGarbage()
  collectGarbage()
  return process.memoryUsage().heapUsed
}

async function measureSize(context: ScenarioContext, size: number): Promise<SizeResult> {
  const client = benchClient(context.redisUrl)
  const cache = new Cacheback({ store: new RedisStore({ redis: client, commandTimeoutMs: 10_000 }), namespace: `${context.prefix}l1mem${size}`, l1: { maxBytes: MAX_BYTES, maxEntries: 1_000_000 } })
  try {
    await new Promise<void>((resolve) => (cache.l1!.serving ? resolve() : cache.addListener((event) => event.type === 'bus-up' && resolve())))
    const job = cacheback(async (id: number) => valueOf(id, size), { name: 'sized', lifetime: 3600, cache })
    // Enough keys that their estimated size is ten times maxBytes (from the first value's).
    await job.set([0], valueOf(0, size))
    await job(0)
    const perEntry = cache.l1!.local!.bytes
    const keys = Math.ceil((MAX_BYTES * KEY_SPACE_FACTOR) / perEntry)
    context.log(`${int(size)} B values: ${int(keys)} keys (${int(perEntry)} counted bytes each)`)
    await inBatches(keys, (id) => job.set([id], valueOf(id, size)))
    const order = shuffled(keys)
    for (let pass = 0; pass < 2; pass++) await inBatches(keys, (i) => job(order[i]))
    const local = cache.l1!.local!
    const held = local.size
    const counted = local.bytes
    const full = heapUsed()
    local.clear()
    const empty = heapUsed()
    return { size, keys, held, counted, heap: full - empty }
  } finally {
    await cache.close()
    client.disconnect()
  }
}

async function run(context: ScenarioContext): Promise<ScenarioReport> {
  const results: SizeResult[] = []
  for (const size of SIZES) results.push(await measureSize(context, size))
  const worstCounted = Math.max(...results.map((r) => r.counted / MAX_BYTES))
  const worstHeap = Math.max(...results.map((r) => r.heap / MAX_BYTES))
  return {
    tables: [
      {
        title: `l1-memory: l1 with maxBytes ${int(MAX_BYTES)}, a key space ${KEY_SPACE_FACTOR}× what it holds, every key read twice in a shuffled order`,
        columns: ['value (JSON bytes)', 'keys read', 'entries held', 'counted bytes', 'counted ÷ maxBytes', 'heap held', 'heap ÷ maxBytes', 'heap per entry'],
        rows: results.map((r) => [int(r.size), int(r.keys), int(r.held), int(r.counted), ratio(r.counted / MAX_BYTES), int(r.heap), ratio(r.heap / MAX_BYTES), int(r.heap / r.held)]),
      },
    ],
    targets: [
      { name: 'bytes the tier counts, under a key space 10× its size (every size)', target: '≤ 1.00× maxBytes', actual: ratio(worstCounted), met: worstCounted <= 1 },
      { name: 'heap the tier really holds (measured), every size', target: '≤ 1.00× maxBytes', actual: ratio(worstHeap), met: worstHeap <= 1 },
    ],
    notes: [
      'The store is given a 10 s command timeout: prefilling and reading tens of thousands of keys on a shared 2-core machine would otherwise time out calls (reported, and read as misses).',
      'The tier counts each entry as 2.5 × its msgpack size (the measured heap of decoded JSON-like objects is about 2.4 ×) + 200 bytes + the key length, and evicts the least recently used beyond `maxBytes`. Values: the `memory` scenario\'s (a small `{ id, handle, bio }` object, user profiles of 1 KB and 10 KB), one per key, stored in Redis before reading.',
      '`heap held`: `process.memoryUsage().heapUsed` after two full GCs with the tier as the reads left it, minus the same after clearing the tier (the values are then unreachable). Buffers outside the V8 heap are not in it; the tier keeps none for these values (they are frozen, not kept as bytes).',
    ],
  }
}

export const l1Memory: Scenario = {
  name: 'l1-memory',
  title: 'the in-process tier under a key space ten times its size: bytes counted and heap held, against maxBytes',
  run,
}
