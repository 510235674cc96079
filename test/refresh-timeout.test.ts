/**
 * A refresh that hangs in a worker: bee-queue gives it up after
 * refreshTimeout, the failure is reported and remembered by the lock, and
 * the next refresh of the key does not join the stuck fetch.
 */
import { afterEach, beforeEach, expect, it } from 'vitest'
import { type Cacheback, cacheback } from '../src/index.js'
import { type EngineSetup, createEngineSetup } from './helpers/engine.js'
import { deferred } from './helpers/events.js'

let setup: EngineSetup
beforeEach(() => {
  setup = createEngineSetup('redis')
})
afterEach(async () => {
  await setup.cleanup()
})

it('reports a refresh timed out by the queue and refreshes past the stuck fetch', async () => {
  const stuck = deferred<string>()
  let calls = 0
  const make = (cache: Cacheback) =>
    cacheback(
      async (_user: string) => {
        calls++
        return calls === 2 ? stuck.promise : `v${calls}`
      },
      // refreshTimeout is also the queue job's timeout, in real time: keep it short
      { name: 'hanging', lifetime: 10, refreshTimeout: 0.3, cache },
    )
  const tweets = make(setup.process())
  await setup.startWorker([make])
  try {
    await tweets('ann')
    setup.clock.advance(11)
    expect((await tweets.read('ann')).refresh).toBe('dispatched')
    await setup.log.waitFor('refresh-failed', 1)
    const [failure] = setup.log.of('refresh-failed')
    expect(failure).toMatchObject({ job: 'hanging', key: tweets.job.keyFor('ann') })
    expect(String((failure.error as Error).message)).toMatch(/timed out/i)
    expect(await tweets.read('ann')).toMatchObject({ status: 'stale', value: 'v1', refresh: 'failed' })

    setup.clock.advance(1) // past refreshTimeout: the lock lapses, the stuck fetch is too old to join
    expect((await tweets.read('ann')).refresh).toBe('dispatched')
    await setup.refreshed(1)
    expect(await tweets.read('ann')).toMatchObject({ status: 'hit', value: 'v3' })
    expect(calls).toBe(3)
  } finally {
    stuck.resolve('v2 (late)')
  }
  await setup.drain()
  expect(await tweets.peek('ann')).toMatchObject({ value: 'v3' }) // the late, older value never wins
})
