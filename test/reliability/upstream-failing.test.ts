/**
 * Scenario 3: an upstream that fails for a whole stale window. Two "server
 * processes" (Cachebacks on one Redis) read three keys every second of the
 * injected clock, from `lifetime` to `ttl`, while a real bee-queue worker
 * runs the refreshes and the upstream fails every one of them: every read is
 * served the old value, stale; each key gets one refresh attempt per
 * `refreshTimeout` and no more; every failure is a `refresh-failed` event;
 * the stored entries are untouched. The first fetch that succeeds brings
 * the key back: as a refresh inside the window, the very next read is a hit.
 * (`npm run soak` runs the same through the example server.)
 */
import { afterEach, beforeEach, expect, it } from 'vitest'
import { type Cacheback, cacheback } from '../../src/index.js'
import { type RefreshWorker } from '../../src/bee-queue/index.js'
import { createEngineSetup, type EngineSetup } from '../helpers/engine.js'

const LIFETIME = 10
const TTL = 100
const REFRESH_TIMEOUT = 10
const USERS = ['ann', 'bob', 'cat']
const WAIT_MS = 10_000

let setup: EngineSetup
beforeEach(() => {
  setup = createEngineSetup('redis')
})
afterEach(() => setup.cleanup())

/** The upstream: fails while `failing`; each fetch is recorded with the clock time it started at. */
function flakyUpstream() {
  const state = { failing: false, version: 1, fetches: [] as { user: string; at: number }[] }
  const make = (cache: Cacheback) =>
    cacheback(
      async (user: string) => {
        state.fetches.push({ user, at: cache.now() })
        if (state.failing) throw new Error(`upstream down (${user})`)
        return `${user}@v${state.version}`
      },
      { name: 'flakyTimeline', lifetime: LIFETIME, ttl: TTL, refreshTimeout: REFRESH_TIMEOUT, cache },
    )
  return { state, make }
}

/** Counts the worker's finished queue jobs (a job is removed from the queue before it is counted). */
function finishedJobs(worker: RefreshWorker) {
  let finished = 0
  const waiters = new Set<() => void>()
  const onFinished = () => {
    finished++
    for (const waiter of waiters) waiter()
  }
  worker.queue.on('failed', onFinished)
  worker.queue.on('succeeded', onFinished)
  return (count: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = () => {
        if (finished < count) return
        clearTimeout(timer)
        waiters.delete(check)
        resolve()
      }
      const timer = setTimeout(() => reject(new Error(`the worker finished ${finished} of ${count} jobs within ${WAIT_MS} ms`)), WAIT_MS)
      waiters.add(check)
      check()
    })
}

/** Each reader reads each user twice at once; returns the results by user. */
async function readAll(readers: ReturnType<ReturnType<typeof flakyUpstream>['make']>[]) {
  const reads = await Promise.all(USERS.flatMap((user) => readers.flatMap((read) => [read.read(user), read.read(user)]).map(async (result) => ({ user, ...(await result) }))))
  return reads
}

it('serves stale through a whole stale window of failures, one attempt per key per refreshTimeout, and recovers on the first success', async () => {
  const { state, make } = flakyUpstream()
  const readers = [make(setup.process()), make(setup.process())]
  const worker = (await setup.startWorker([make]))!
  const jobsFinished = finishedJobs(worker)
  const t0 = setup.clock.now()
  for (const user of USERS) expect(await readers[0](user)).toBe(`${user}@v1`)
  state.failing = true
  state.fetches.length = 0

  let dispatched = 0
  const dispatchSeconds = new Map<string, number[]>(USERS.map((u) => [u, []]))
  for (let second = LIFETIME + 1; second < TTL; second++) {
    setup.clock.set(t0 + second * 1000)
    const reads = await readAll(readers)
    for (const read of reads) {
      expect(read, `second ${second}`).toMatchObject({ status: 'stale', value: `${read.user}@v1` })
      expect(['dispatched', 'in-flight', 'failed']).toContain(read.refresh)
      if (read.refresh === 'dispatched') dispatchSeconds.get(read.user)!.push(second)
    }
    dispatched += reads.filter((r) => r.refresh === 'dispatched').length
    await jobsFinished(dispatched) // the worker has failed them (and the queue let go of them)
  }

  // One attempt per key per refreshTimeout, from the first stale read on.
  const attempts = state.fetches.length
  const expected = [11, 21, 31, 41, 51, 61, 71, 81, 91]
  for (const user of USERS) {
    expect(dispatchSeconds.get(user)).toEqual(expected)
    expect(state.fetches.filter((f) => f.user === user).map((f) => (f.at - t0) / 1000)).toEqual(expected)
  }
  expect(setup.log.count('refresh-failed')).toBe(USERS.length * expected.length)
  for (const event of setup.log.of('refresh-failed')) expect((event.error as Error).message).toMatch(/^upstream down/)
  expect(setup.log.count('refresh-succeeded')).toBe(0)
  expect(setup.log.count('store-error')).toBe(0)
  for (const user of USERS) expect(await readers[0].peek(user)).toMatchObject({ status: 'stale', value: `${user}@v1`, age: TTL - 1 })

  // At ttl the entry is gone: a read is a miss whose fetch fails to the caller; nothing is cached.
  setup.clock.set(t0 + TTL * 1000)
  await expect(readers[0]('ann')).rejects.toThrow('upstream down (ann)')
  expect(await readers[1].peek('ann')).toEqual({ status: 'miss' })

  // The upstream is back: the first fetch that succeeds is stored, the next read is a hit.
  state.failing = false
  state.version = 2
  expect(await readers[0].read('ann')).toMatchObject({ status: 'miss', value: 'ann@v2' })
  expect(await readers[1].read('ann')).toMatchObject({ status: 'hit', value: 'ann@v2' })
  console.log(
    `[reliability] upstream failing ${TTL - LIFETIME} s (lifetime ${LIFETIME} s to ttl ${TTL} s, refreshTimeout ${REFRESH_TIMEOUT} s), ` +
      `${USERS.length} keys, 2 readers: ${(TTL - LIFETIME - 1) * USERS.length * 4} reads, all stale with the old value; ` +
      `${attempts} refresh attempts (${expected.length} per key, at ${expected.join(', ')} s), ${setup.log.count('refresh-failed')} refresh-failed events`,
  )
})

it('brings a key back with the first refresh that succeeds inside the stale window', async () => {
  const { state, make } = flakyUpstream()
  const readers = [make(setup.process()), make(setup.process())]
  const worker = (await setup.startWorker([make]))!
  const jobsFinished = finishedJobs(worker)
  const t0 = setup.clock.now()
  for (const user of USERS) await readers[0](user)
  state.failing = true
  state.fetches.length = 0

  let dispatched = 0
  for (let second = LIFETIME + 1; second <= 40; second++) {
    setup.clock.set(t0 + second * 1000)
    const reads = await readAll(readers)
    for (const read of reads) expect(read).toMatchObject({ status: 'stale', value: `${read.user}@v1` })
    dispatched += reads.filter((r) => r.refresh === 'dispatched').length
    await jobsFinished(dispatched)
  }
  expect(state.fetches).toHaveLength(3 * USERS.length) // at 11, 21 and 31 s

  state.failing = false
  state.version = 2
  setup.clock.set(t0 + 41_000) // the failed lock of 31 s has lapsed
  const reads = await readAll(readers)
  expect(reads.filter((r) => r.refresh === 'dispatched').map((r) => r.user).sort()).toEqual(USERS)
  await setup.refreshed(USERS.length)
  for (const user of USERS) {
    expect(await readers[1].read(user)).toMatchObject({ status: 'hit', value: `${user}@v2`, age: 0 })
  }
  expect(state.fetches).toHaveLength(4 * USERS.length)
  expect(setup.log.count('refresh-failed')).toBe(3 * USERS.length)
})
