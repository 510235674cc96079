/**
 * Worker slots on real Redis and a real worker: fetches at once never exceed
 * `concurrency`. A job waiting for a slot is taken and claimed ahead, once:
 * the slot starts its fetch without another round trip; a closing worker
 * gives the jobs it took ahead back to the queue.
 */
import Queue from 'bee-queue'
import { afterEach, beforeEach, describe, expect, inject, it, vi } from 'vitest'
import { type Cacheback, cacheback } from '../src/index.js'
import { RedisStore } from '../src/redis/index.js'
import { createEngineSetup, type EngineSetup } from './helpers/engine.js'
import { deferred } from './helpers/events.js'

let setup: EngineSetup
beforeEach(() => {
  setup = createEngineSetup('redis')
})
afterEach(async () => {
  vi.restoreAllMocks()
  await setup.cleanup()
})

/** A job whose refresh fetches (after the first, filling fetch of each user) wait for `gates`, counting the fetches running at once. */
function gatedJob() {
  const state = { filling: true, active: 0, maxActive: 0, started: [] as { user: string; open: () => void }[] }
  let onStart: () => void = () => undefined
  const make = (cache: Cacheback) =>
    cacheback(
      async (user: string) => {
        if (state.filling) return { user, version: 1 }
        const gate = deferred()
        state.active++
        state.maxActive = Math.max(state.maxActive, state.active)
        state.started.push({ user, open: () => gate.resolve() })
        onStart()
        await gate.promise
        state.active--
        return { user, version: 2 }
      },
      { name: 'gatedTweets', lifetime: 10, refreshTimeout: 30, cache },
    )
  /** Resolves once `count` refresh fetches have started. */
  const started = (count: number) =>
    new Promise<void>((resolve) => {
      onStart = () => state.started.length >= count && resolve()
      onStart()
    })
  return { state, make, started }
}

describe('refresh worker slots', () => {
  it('claims a job waiting for a slot ahead, once, and fetches it when the slot frees (concurrency 1)', async () => {
    const { state, make, started } = gatedJob()
    const server = make(setup.process())
    const workerStore = new RedisStore({ redis: inject('redisUrl') })
    const claim = workerStore.claimRefresh.bind(workerStore)
    const bobClaimed = deferred()
    const claims = vi.spyOn(workerStore, 'claimRefresh').mockImplementation(async (lockKey, request) => {
      const won = await claim(lockKey, request)
      if (lockKey.includes(server.job.keyFor('bob'))) bobClaimed.resolve()
      return won
    })
    await setup.startWorker([make], { concurrency: 1, cacheOptions: { store: workerStore } })
    await server('ann')
    await server('bob')
    state.filling = false
    setup.clock.advance(11)
    expect(await server.read('ann')).toMatchObject({ refresh: 'dispatched' })
    await started(1)
    expect(await server.read('bob')).toMatchObject({ refresh: 'dispatched' })
    await bobClaimed.promise // while ann's fetch holds the only slot
    expect(state.started.map((s) => s.user)).toEqual(['ann'])
    state.started[0].open()
    await started(2)
    state.started[1].open()
    await setup.refreshed(2)
    expect(claims.mock.calls.map(([lockKey, request]) => [lockKey, request.via])).toEqual([
      [expect.stringContaining(server.job.keyFor('ann')), 'queue'],
      [expect.stringContaining(server.job.keyFor('bob')), 'queue'],
    ])
    expect(state.maxActive).toBe(1)
    expect(await server.read('bob')).toMatchObject({ status: 'hit', value: { version: 2 } })
  })

  it('puts the jobs it took ahead back at the front of the queue when it closes', async () => {
    const { state, make, started } = gatedJob()
    const server = make(setup.process())
    const workerStore = new RedisStore({ redis: inject('redisUrl') })
    const claim = workerStore.claimRefresh.bind(workerStore)
    const bobClaimed = deferred()
    vi.spyOn(workerStore, 'claimRefresh').mockImplementation(async (lockKey, request) => {
      const won = await claim(lockKey, request)
      if (lockKey.includes(server.job.keyFor('bob'))) bobClaimed.resolve()
      return won
    })
    const first = (await setup.startWorker([make], { concurrency: 1, cacheOptions: { store: workerStore } }))!
    for (const user of ['ann', 'bob', 'cid']) await server(user)
    state.filling = false
    setup.clock.advance(11)
    expect(await server.read('ann')).toMatchObject({ refresh: 'dispatched' })
    await started(1)
    expect(await server.read('bob')).toMatchObject({ refresh: 'dispatched' })
    await bobClaimed.promise // bob taken ahead (concurrency 1 takes one ahead); cid still waiting
    expect(await server.read('cid')).toMatchObject({ refresh: 'dispatched' })
    const health = new Queue(setup.namespace, { redis: { url: inject('redisUrl') }, isWorker: false, getEvents: false, sendEvents: false })
    try {
      expect(await health.checkHealth()).toMatchObject({ waiting: 1, active: 2 })
      await expect(first.close(50)).rejects.toThrow('Operation timed out') // ann's fetch still runs
      expect(await health.checkHealth()).toMatchObject({ waiting: 2, active: 1 }) // bob is back; ann's job is left to the stall check
    } finally {
      state.started[0].open()
      await health.close()
    }
    await setup.startWorker([make], { concurrency: 1 })
    await started(2)
    expect(state.started[1].user).toBe('bob') // the returned job is taken first
    state.started[1].open()
    await started(3)
    state.started[2].open()
    await setup.refreshed(3)
    for (const user of ['ann', 'bob', 'cid']) expect(await server.read(user)).toMatchObject({ status: 'hit', value: { version: 2 } })
  })

  it('never runs more fetches at once than its concurrency', async () => {
    const { state, make, started } = gatedJob()
    const server = make(setup.process())
    await setup.startWorker([make], { concurrency: 2 })
    const users = ['ann', 'bob', 'cid', 'dan', 'eve']
    for (const user of users) await server(user)
    state.filling = false
    setup.clock.advance(11)
    for (const user of users) expect(await server.read(user)).toMatchObject({ status: 'stale', refresh: 'dispatched' })
    for (let n = 2; n <= users.length; n++) {
      await started(n) // the n-th fetch starts only once the (n-2)-th has returned
      expect(state.active).toBe(2)
      state.started[n - 2].open()
    }
    state.started[users.length - 1].open()
    await setup.refreshed(users.length)
    expect(state.maxActive).toBe(2)
    expect(state.started.map((s) => s.user).sort()).toEqual(users)
    for (const user of users) expect(await server.read(user)).toMatchObject({ status: 'hit', value: { version: 2 } })
  })
})
