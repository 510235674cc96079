/**
 * Scenario 4: two workers on one queue refresh one key at the same time, and
 * the refresh that started first finishes last. Its write must not replace
 * the newer value (compare-and-set on `createdAt`). Two ways it happens:
 * - a refresh outlives `refreshTimeout`: bee-queue times the job out, the
 *   lock lapses, the next stale read dispatches again and the other worker
 *   takes it, while the first fetch is still running (the first worker has
 *   stopped taking jobs by then: in its own process the second refresh
 *   would join the fetch still running there, not race it);
 * - bee-queue delivers one job twice: the first worker loses its queue
 *   connection mid-refresh (its fetch goes on), and stall detection hands
 *   the job to the second worker.
 * Workers and readers run in this process on the suite's Redis with an
 * injected clock; the fetches wait on gates the test opens, the older last.
 * The only real-time waits are bee-queue's (a 300 ms job timeout, a 200 ms
 * stall interval), each ended by the event it produces.
 */
import { afterEach, beforeEach, expect, inject, it } from 'vitest'
import { type AnyJob, type Cacheback, InProcessRefresher, cacheback } from '../../src/index.js'
import { createRefreshWorker } from '../../src/bee-queue/index.js'
import { createEngineSetup, type EngineSetup } from '../helpers/engine.js'
import { deferred } from '../helpers/events.js'

const LIFETIME = 10
const STALL_INTERVAL_MS = 200
const WAIT_MS = 10_000

let setup: EngineSetup
beforeEach(() => {
  setup = createEngineSetup('redis')
})
afterEach(() => setup.cleanup())

/** A worker's fetch, held until the test releases it with a value. */
interface HeldFetch {
  worker: string
  /** Clock time the fetch started at: the `createdAt` its write carries. */
  startedAt: number
  release(value: string): void
}

/** Job factories whose fetches (in workers) wait for the test; readers' fetches answer `v0` at once. */
function heldFetches(refreshTimeout: number) {
  const held: HeldFetch[] = []
  const waiters = new Set<() => void>()
  const make = (worker: string) => (cache: Cacheback) =>
    cacheback(
      (user: string): Promise<string> => {
        if (worker === 'reader') return Promise.resolve(`${user}@v0`)
        const gate = deferred<string>()
        held.push({ worker, startedAt: cache.now(), release: gate.resolve })
        for (const waiter of waiters) waiter()
        return gate.promise
      },
      { name: 'racedTweets', lifetime: LIFETIME, refreshTimeout, cache },
    )
  /** Resolves with the `n`th held fetch (1-based). */
  const nth = (n: number): Promise<HeldFetch> =>
    new Promise((resolve, reject) => {
      const check = () => {
        if (held.length < n) return
        clearTimeout(timer)
        waiters.delete(check)
        resolve(held[n - 1])
      }
      const timer = setTimeout(() => reject(new Error(`no fetch #${n} within ${WAIT_MS} ms (saw ${held.length})`)), WAIT_MS)
      waiters.add(check)
      check()
    })
  return { make, nth }
}

/** Resolves on the next `event` of a worker's queue. */
function nextQueueEvent(queue: { once(event: string, listener: () => void): unknown }, event: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${event}" on the queue within ${WAIT_MS} ms`)), WAIT_MS)
    queue.once(event, () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

/** The decoded entry of ann, straight from the store. */
async function storedEntry(cache: Cacheback, tweets: { job: AnyJob }) {
  return cache.readEntry<string>(tweets.job, tweets.job.keyFor('ann'))
}

it('a refresh that outlives refreshTimeout and finishes last does not overwrite the newer refresh of another worker', async () => {
  const REFRESH_TIMEOUT = 0.3 // s: bee-queue gives the job up after 300 ms (real time); the lock lapses on the clock
  const { make, nth } = heldFetches(REFRESH_TIMEOUT)
  const reader = setup.process()
  const tweets = make('reader')(reader)
  expect(await tweets('ann')).toBe('ann@v0')

  // Worker 1 takes the first refresh; bee-queue gives the job up after refreshTimeout, the fetch goes on.
  const worker1 = (await setup.startWorker([make('worker-1')]))!
  const timedOut = nextQueueEvent(worker1.queue, 'failed')
  setup.clock.advance(LIFETIME + 1)
  expect(await tweets.read('ann')).toMatchObject({ status: 'stale', value: 'ann@v0', refresh: 'dispatched' })
  const older = await nth(1)
  expect(older.worker).toBe('worker-1')
  await timedOut // the job is failed and removed from the queue
  // Worker 1 stops taking jobs, so the next one goes to worker 2 and the race is
  // between two workers; worker 1's refresh runs on.
  await worker1.close(1000)
  await setup.startWorker([make('worker-2')])

  // Past refreshTimeout the next stale read dispatches again; worker 2 takes it and finishes first.
  setup.clock.advance(1)
  expect(await tweets.read('ann')).toMatchObject({ status: 'stale', value: 'ann@v0', refresh: 'dispatched' })
  const newer = await nth(2)
  expect(newer.worker).toBe('worker-2')
  expect(newer.startedAt).toBeGreaterThan(older.startedAt)
  newer.release('ann@v2')
  await setup.refreshed(1)
  expect(await tweets.read('ann')).toMatchObject({ status: 'hit', value: 'ann@v2' })

  // The older refresh finishes last: its write is refused.
  older.release('ann@v1')
  await setup.refreshed(2)
  expect(await tweets.read('ann')).toMatchObject({ status: 'hit', value: 'ann@v2' })
  expect(await storedEntry(reader, tweets)).toMatchObject({ value: 'ann@v2', createdAt: newer.startedAt })
  // The only failure reported is the queue giving the first job up after refreshTimeout.
  expect(setup.log.of('refresh-failed').map((e) => String((e.error as Error).message))).toEqual([expect.stringMatching(/timed out/i)])
})

it('a job delivered twice: the first worker, cut off from the queue mid-refresh, finishes last and does not overwrite the rerun', async () => {
  const { make, nth } = heldFetches(30)
  const reader = setup.process()
  const tweets = make('reader')(reader)
  await tweets('ann')

  // Worker 1 is built here rather than by the setup: its queue is closed mid-refresh, which the setup's cleanup would not expect.
  const cache1 = setup.process({ refresher: new InProcessRefresher() })
  const worker1 = createRefreshWorker({ cache: cache1, jobs: [make('worker-1')(cache1)], redis: inject('redisUrl'), queue: setup.namespace, stallInterval: STALL_INTERVAL_MS })
  await worker1.ready()
  setup.clock.advance(LIFETIME + 1)
  expect(await tweets.read('ann')).toMatchObject({ status: 'stale', refresh: 'dispatched' })
  const first = await nth(1)
  expect(first.worker).toBe('worker-1')
  // Worker 1 loses the queue: bee-queue stops renewing its claim on the job
  // and drops its connections (close gives up waiting for the job at once); its fetch goes on.
  await expect(worker1.close(1)).rejects.toThrow('Operation timed out')

  // Worker 2's stall check hands it the same job (same lock token), later on the clock.
  setup.clock.advance(1)
  await setup.startWorker([make('worker-2')], { stallInterval: STALL_INTERVAL_MS })
  const second = await nth(2)
  expect(second.worker).toBe('worker-2')
  expect(await tweets.read('ann')).toMatchObject({ status: 'stale', value: 'ann@v0', refresh: 'in-flight' })
  second.release('ann@v2')
  await setup.refreshed(1)
  expect(await tweets.read('ann')).toMatchObject({ status: 'hit', value: 'ann@v2' })

  first.release('ann@v1')
  await setup.refreshed(2)
  expect(await tweets.read('ann')).toMatchObject({ status: 'hit', value: 'ann@v2' })
  expect(await storedEntry(reader, tweets)).toMatchObject({ value: 'ann@v2', createdAt: second.startedAt })
})
