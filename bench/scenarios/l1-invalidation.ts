/**
 * `l1-invalidation`: how long after a change in one process another process
 * stops serving the old value from its in-process tier. The other process
 * (`processes/l1-reader.ts`) reads one hot key in a loop; this one writes,
 * removes or invalidates it, and the time from the call to the reader's
 * first read that is no longer an in-process hit of the old value is one
 * sample. Both processes have `l1` on one Redis; the bus is the store's.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Cacheback, cacheback } from '../../src/index.js'
import { RedisStore } from '../../src/redis/index.js'
import type { Scenario, ScenarioContext, ScenarioReport } from '../scenario.js'
import { int, ms } from '../support/format.js'
import { median, percentile } from '../support/stats.js'

const CHANGES_PER_ROUND = 100
const TARGET_P99_MS = 50
const READER = fileURLToPath(new URL('../processes/l1-reader.ts', import.meta.url))

type Mode = 'write' | 'remove' | 'invalidate'
const MODES: Mode[] = ['write', 'remove', 'invalidate']
const DESCRIBED: Record<Mode, string> = {
  write: '`set` (a new value)',
  remove: '`delete` (the next read is a miss)',
  invalidate: '`invalidate` (marked stale: served once more from the store, refreshed)',
}

interface ReaderMessage {
  ready?: boolean
  type?: 'left' | 'back'
  at?: number
}

/** The reader process and its messages, taken in order. */
class Reader {
  private readonly queue: ReaderMessage[] = []
  private waiter: (() => void) | undefined
  private readonly child: ChildProcess

  constructor(env: Record<string, string>) {
    this.child = fork(READER, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    this.child.on('message', (message: ReaderMessage) => {
      this.queue.push(message)
      this.waiter?.()
    })
  }

  /** The next message, which must be of `type` (`ready`, `left`, `back`). */
  async next(type: 'ready' | 'left' | 'back'): Promise<ReaderMessage> {
    while (this.queue.length === 0) await new Promise<void>((resolve) => (this.waiter = resolve))
    const message = this.queue.shift()!
    if ((type === 'ready' && !message.ready) || (type !== 'ready' && message.type !== type)) throw new Error(`l1-invalidation: expected ${type} from the reader, got ${JSON.stringify(message)}`)
    return message
  }

  stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()))
    this.child.kill('SIGTERM')
    return exited
  }
}

const clock = () => performance.timeOrigin + performance.now()

async function run(context: ScenarioContext): Promise<ScenarioReport> {
  const namespace = `${context.prefix}l1inv`
  const cache = new Cacheback({ store: new RedisStore({ redis: context.redisUrl }), namespace, l1: { maxEntries: 100 } })
  const hotValue = cacheback(async (id: number) => ({ id, version: 0 }), { name: 'hotValue', lifetime: 3600, cache })
  const reader = new Reader({ REDIS_URL: context.redisUrl, NAMESPACE: namespace })
  const samples: Record<Mode, number[]> = { write: [], remove: [], invalidate: [] }
  try {
    await reader.next('ready')
    await reader.next('back') // its first reads: a miss, a store hit, then in-process hits
    let version = 0
    const change: Record<Mode, () => Promise<void>> = {
      write: () => hotValue.set([0], { id: 0, version: ++version }),
      remove: () => hotValue.delete(0),
      invalidate: () => hotValue.invalidate(0),
    }
    for (let round = 0; round <= context.rounds; round++) {
      for (const mode of MODES) {
        for (let i = 0; i < CHANGES_PER_ROUND; i++) {
          const startedAt = clock()
          await change[mode]()
          const left = await reader.next('left')
          await reader.next('back')
          if (round > 0) samples[mode].push(left.at! - startedAt) // round 0 is the warm-up
        }
        if (round > 0) context.log(`round ${round}: ${mode.padEnd(10)} p99 ${ms(percentile([...samples[mode]].sort((a, b) => a - b), 0.99))} ms so far`)
      }
    }
  } finally {
    await reader.stop()
    await cache.close()
  }
  return report(context, samples)
}

function report(context: ScenarioContext, samples: Record<Mode, number[]>): ScenarioReport {
  const sorted = (mode: Mode) => [...samples[mode]].sort((a, b) => a - b)
  const worstP99 = Math.max(...MODES.map((mode) => percentile(sorted(mode), 0.99)))
  return {
    tables: [
      {
        title: `l1-invalidation: from the change in one process to the other process no longer serving the old value from memory, ms; ${int(CHANGES_PER_ROUND)} changes per mode per round, ${context.rounds} rounds`,
        columns: ['change', 'samples', 'p50 ms', 'p99 ms', 'max ms'],
        rows: MODES.map((mode) => [DESCRIBED[mode], int(samples[mode].length), ms(median(samples[mode])), ms(percentile(sorted(mode), 0.99)), ms(Math.max(...samples[mode]))]),
      },
    ],
    targets: [{ name: 'p99 from the change to the other process no longer serving the old value (worst mode), loopback', target: `≤ ${TARGET_P99_MS} ms`, actual: `${ms(worstP99)} ms`, met: worstP99 <= TARGET_P99_MS }],
    notes: [
      'Two processes with `l1: { maxEntries: 100 }` on `RedisStore({ redis: url })` of one Redis, the bus the store\'s (`PUBLISH` on the store\'s client, `SUBSCRIBE` on a connection of its own). The reader (`bench/processes/l1-reader.ts`) reads key 0 in a loop, one read per event-loop turn, and stamps its first read after a change that is not an in-process hit of the held value (time in `performance.timeOrigin + performance.now()`, one clock for both processes); the next change waits until its reads are in-process hits again.',
      'A sample: from just before the change call in this process (which resolves once the store changed and the announcement is published) to that read. It includes the store call, the `PUBLISH`, delivery to the reader\'s subscriber connection, the reader dropping the key, and its next read going to Redis. One warm-up round is not counted.',
    ],
  }
}

export const l1Invalidation: Scenario = {
  name: 'l1-invalidation',
  title: 'a change in one process reaching the in-process tier of another: latency on loopback',
  run,
}
