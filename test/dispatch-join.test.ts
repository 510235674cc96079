/**
 * Stale reads of one entry in one process while its refresh-lock script is
 * out share that script's answer: one script, one dispatch, the same
 * `refresh` states as before. On both engine setups; time moves only
 * through the injected clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { cacheback, type Cacheback } from '../src/index.js'
import { ENGINE_KINDS, type EngineSetup, createEngineSetup } from './helpers/engine.js'

describe.each(ENGINE_KINDS)('dispatch join on %s', (kind) => {
  let setup: EngineSetup
  beforeEach(() => {
    setup = createEngineSetup(kind)
  })
  afterEach(async () => {
    vi.restoreAllMocks()
    await setup.cleanup()
  })

  /** A job whose refreshes fail while `state.fail` is set. */
  function flaky() {
    const state = { calls: 0, fail: false }
    const make = (cache: Cacheback) =>
      cacheback(
        async (user: string) => {
          state.calls++
          if (state.fail) throw new Error('upstream down')
          return { user, calls: state.calls }
        },
        { name: 'joinTweets', lifetime: 10, refreshTimeout: 30, cache },
      )
    return { state, make }
  }

  it('runs one lock script for concurrent stale reads of a key in one process, and again for a later read', async () => {
    const { state, make } = flaky()
    const cache = setup.process()
    const tweets = make(cache)
    await setup.startWorker([make])
    await tweets('ann')
    setup.clock.advance(11)
    const lockScripts = vi.spyOn(cache.store, 'acquireLock')
    const reads = await Promise.all(Array.from({ length: 50 }, () => tweets.read('ann')))
    expect(reads.every((r) => r.status === 'stale' && r.value!.calls === 1)).toBe(true)
    expect(reads.filter((r) => r.refresh === 'dispatched')).toHaveLength(1)
    expect(reads.filter((r) => r.refresh === 'in-flight')).toHaveLength(49)
    expect(lockScripts).toHaveBeenCalledTimes(1)
    // Once the script has answered, a read asks the lock again: the store, not this process, knows when it ends.
    const later = await tweets.read('ann')
    expect(later.status === 'hit' || later.refresh === 'in-flight').toBe(true)
    expect(lockScripts.mock.calls.length).toBe(later.status === 'hit' ? 1 : 2)
    await setup.refreshed(1)
    await setup.drain()
    expect(state.calls).toBe(2)
    expect(setup.log.count('refresh-dispatched')).toBe(1)
    expect(await tweets.read('ann')).toMatchObject({ status: 'hit', value: { calls: 2 } })
  })

  it('gives every joined read the failure of a failed refresh, from one lock script', async () => {
    const { state, make } = flaky()
    const cache = setup.process()
    const tweets = make(cache)
    await setup.startWorker([make])
    await tweets('ann')
    state.fail = true
    setup.clock.advance(11)
    expect(await tweets.read('ann')).toMatchObject({ refresh: 'dispatched' })
    await setup.log.waitFor('refresh-failed', 1)
    await setup.drain()
    setup.clock.advance(10)
    const lockScripts = vi.spyOn(cache.store, 'acquireLock')
    const reads = await Promise.all(Array.from({ length: 20 }, () => tweets.read('ann')))
    expect(reads.map((r) => r.refresh)).toEqual(Array.from({ length: 20 }, () => 'failed'))
    expect(reads.every((r) => r.status === 'stale' && r.value!.calls === 1)).toBe(true)
    expect(lockScripts).toHaveBeenCalledTimes(1)
    expect(state.calls).toBe(2)
  })

  it('does not join across processes: each process asks the lock once, one refresh in all', async () => {
    const { state, make } = flaky()
    const a = setup.process()
    const b = setup.process()
    const [readA, readB] = [make(a), make(b)]
    await setup.startWorker([make])
    await readA('ann')
    setup.clock.advance(11)
    const reads = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? readA : readB).read('ann')))
    expect(reads.filter((r) => r.refresh === 'dispatched')).toHaveLength(1)
    expect(reads.filter((r) => r.refresh === 'in-flight')).toHaveLength(39)
    await setup.refreshed(1)
    await setup.drain()
    expect(state.calls).toBe(2)
  })
})
