/**
 * The stale-while-revalidate engine, on both setups: the embedded default
 * (MemoryStore + in-process refresh) and RedisStore + bee-queue with a real
 * worker. Time moves only through the injected clock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { cacheback, type Cacheback } from '../src/index.js'
import { deferred } from './helpers/events.js'
import { ENGINE_KINDS, type EngineSetup, createEngineSetup } from './helpers/engine.js'

describe.each(ENGINE_KINDS)('engine on %s', (kind) => {
  let setup: EngineSetup
  beforeEach(() => {
    setup = createEngineSetup(kind)
  })
  afterEach(async () => {
    await setup.cleanup()
  })

  /** A job counting its fetches; the value is `<name>@<version>`. */
  function counter(options: { lifetime?: number; ttl?: number; refreshTimeout?: number; fetchOnMiss?: boolean; fetchOnStaleThreshold?: number } = {}) {
    const state = { calls: 0, version: 1 }
    const fetchTweets = async (user: string) => {
      state.calls++
      return { user, version: state.version, at: new Date(1_000) }
    }
    const make = (cache: Cacheback) => cacheback(fetchTweets, { lifetime: 10, refreshTimeout: 30, ...options, cache })
    return { state, make }
  }

  it('serves a fresh hit without fetching', async () => {
    const { state, make } = counter()
    const tweets = make(setup.process())
    expect(await tweets('ann')).toEqual({ user: 'ann', version: 1, at: new Date(1_000) })
    setup.clock.advance(9)
    const read = await tweets.read('ann')
    expect(read.status).toBe('hit')
    expect(read.value).toEqual({ user: 'ann', version: 1, at: new Date(1_000) })
    expect(read.value!.at).toBeInstanceOf(Date)
    expect(state.calls).toBe(1)
    expect(setup.log.count('hit')).toBe(1)
  })

  it('serves stale at once and runs exactly one refresh for 200 reads from two processes', async () => {
    const { state, make } = counter()
    const a = make(setup.process())
    const b = make(setup.process())
    await setup.startWorker([make])
    await a('ann')
    state.version = 2
    setup.clock.advance(11)
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).read('ann')))
    expect(results.every((r) => r.status === 'stale' && r.value!.version === 1)).toBe(true)
    expect(results.filter((r) => r.refresh === 'dispatched')).toHaveLength(1)
    expect(results.filter((r) => r.refresh === 'in-flight')).toHaveLength(199)
    await setup.refreshed(1)
    await setup.drain()
    expect(state.calls).toBe(2)
    expect(setup.log.count('refresh-dispatched')).toBe(1)
    const after = await b.read('ann')
    expect(after).toMatchObject({ status: 'hit', value: { version: 2 } })
  })

  it('dispatches nothing within refreshTimeout of a dispatch, and again once it has passed', async () => {
    const hang = deferred<never>()
    let calls = 0
    const make = (cache: Cacheback) =>
      cacheback(
        async (user: string) => {
          calls++
          if (calls === 2) return hang.promise // a refresh that never ends (a dead worker)
          return { user, calls }
        },
        { name: 'slowTweets', lifetime: 10, refreshTimeout: 30, cache },
      )
    const tweets = make(setup.process())
    await setup.startWorker([make], { stallInterval: 60_000 })
    await tweets('ann')
    setup.clock.advance(11)
    expect((await tweets.read('ann')).refresh).toBe('dispatched')
    setup.clock.advance(29)
    expect((await tweets.read('ann')).refresh).toBe('in-flight')
    expect(setup.log.count('refresh-dispatched')).toBe(1)
    setup.clock.advance(2)
    const again = await tweets.read('ann')
    expect(again.status).toBe('stale')
    expect(again.refresh).toBe('dispatched')
    expect(setup.log.count('refresh-dispatched')).toBe(2)
    hang.resolve(undefined as never) // let the abandoned refresh end so the setup can close
  })

  it('fetchOnMiss: false returns empty() then the fetched value once the refresh ran', async () => {
    const { state, make } = counter({ fetchOnMiss: false })
    const tweets = make(setup.process())
    await setup.startWorker([make])
    const first = await tweets.read('ann')
    expect(first).toMatchObject({ status: 'miss', value: null, refresh: 'dispatched' })
    await setup.refreshed(1)
    expect(state.calls).toBe(1)
    expect(await tweets('ann')).toMatchObject({ user: 'ann', version: 1 })
    expect(state.calls).toBe(1)
  })

  it('fetches once per process for 200 concurrent misses of one key', async () => {
    const gate = deferred()
    const callsBy = new Map<Cacheback, number>()
    const make = (cache: Cacheback) =>
      cacheback(
        async (user: string) => {
          callsBy.set(cache, (callsBy.get(cache) ?? 0) + 1)
          if (callsBy.size === 2) gate.resolve() // both processes are fetching: nothing is stored yet
          await gate.promise
          return { user }
        },
        { name: 'missTweets', cache },
      )
    const processes = [setup.process(), setup.process()]
    const jobs = processes.map(make)
    const values = await Promise.all(Array.from({ length: 200 }, (_, i) => jobs[i % 2]('ann')))
    expect(values.every((v) => v.user === 'ann')).toBe(true)
    expect(processes.map((p) => callsBy.get(p))).toEqual([1, 1])
    expect(setup.log.count('miss') + setup.log.count('hit')).toBe(200)
  })

  it('refetches synchronously past fetchOnStaleThreshold', async () => {
    const { state, make } = counter({ fetchOnStaleThreshold: 60 })
    const tweets = make(setup.process())
    await tweets('ann')
    state.version = 2
    setup.clock.advance(30)
    expect(await tweets.read('ann')).toMatchObject({ status: 'stale', value: { version: 1 } })
    await setup.drain()
    state.version = 3
    setup.clock.advance(75) // the refreshed entry (if any) is now past the threshold too
    const read = await tweets.read('ann')
    expect(read).toMatchObject({ status: 'miss', value: { version: 3 } })
  })

  it('treats an entry past its ttl as gone, and the store drops it', async () => {
    const { state, make } = counter({ lifetime: 10, ttl: 100 })
    const tweets = make(setup.process())
    await tweets('ann')
    await setup.drain()
    setup.clock.advance(99)
    expect((await tweets.peek('ann')).status).toBe('stale')
    setup.clock.advance(2)
    expect(await tweets.peek('ann')).toEqual({ status: 'miss' })
    state.version = 2
    expect(await tweets.read('ann')).toMatchObject({ status: 'miss', value: { version: 2 } })
  })

  it('keeps serving stale after a failed refresh and retries no sooner than refreshTimeout', async () => {
    let fail = false
    let calls = 0
    const make = (cache: Cacheback) =>
      cacheback(
        async (user: string) => {
          calls++
          if (fail) throw new Error('upstream down')
          return { user, calls }
        },
        { name: 'flaky', lifetime: 10, refreshTimeout: 30, cache },
      )
    const tweets = make(setup.process())
    await setup.startWorker([make])
    await tweets('ann')
    fail = true
    setup.clock.advance(11)
    expect(await tweets.read('ann')).toMatchObject({ status: 'stale', value: { calls: 1 }, refresh: 'dispatched' })
    await setup.log.waitFor('refresh-failed', 1)
    await setup.drain()
    setup.clock.advance(10)
    expect(await tweets.read('ann')).toMatchObject({ status: 'stale', value: { calls: 1 }, refresh: 'failed' }) // the lock remembers the failure until refreshTimeout
    expect(calls).toBe(2)
    fail = false
    setup.clock.advance(21)
    expect(await tweets.read('ann')).toMatchObject({ status: 'stale', value: { calls: 1 }, refresh: 'dispatched' })
    await setup.refreshed(1)
    expect(await tweets.read('ann')).toMatchObject({ status: 'hit', value: { calls: 3 } })
    expect(setup.log.of('refresh-failed')[0].error).toBeInstanceOf(Error)
  })

  it('holds the lock until the refreshed value goes stale: a read that saw the old value dispatches nothing', async () => {
    const { state, make } = counter()
    const cache = setup.process()
    const tweets = make(cache)
    await setup.startWorker([make])
    await tweets('ann')
    setup.clock.advance(11)
    const key = tweets.job.keyFor('ann')
    const oldEntry = await cache.readEntry(tweets.job, key) // read just before the refresh writes
    state.version = 2
    expect((await tweets.read('ann')).refresh).toBe('dispatched')
    await setup.refreshed(1)
    const late = await cache.resolve(tweets.job, key, ['ann'], oldEntry) // its lock attempt comes after the write
    expect(late).toMatchObject({ status: 'stale', value: { version: 1 }, refresh: 'in-flight' })
    expect(setup.log.count('refresh-dispatched')).toBe(1)
    setup.clock.advance(10) // the refreshed value is now stale: the next read refreshes
    expect((await tweets.read('ann')).refresh).toBe('dispatched')
    await setup.refreshed(2)
    await tweets.invalidate('ann') // invalidate breaks the hold: the next read dispatches at once
    expect((await tweets.read('ann')).refresh).toBe('dispatched')
    await setup.refreshed(3)
    expect(state.calls).toBe(4)
  })

  it('does not let an old refresh finishing late overwrite a newer value', async () => {
    const late = deferred<string>()
    let calls = 0
    const tweets = cacheback(
      async (_user: string) => {
        calls++
        return calls === 1 ? late.promise : `v${calls}`
      },
      { name: 'race', lifetime: 10, cache: setup.process() },
    )
    const old = tweets.refresh('ann') // starts first, at t0
    setup.clock.advance(1)
    expect(await tweets.refresh('ann')).toBe('v2') // starts later, finishes first
    late.resolve('v1')
    await old
    expect(await tweets.peek('ann')).toMatchObject({ status: 'hit', value: 'v2' })
  })
})
