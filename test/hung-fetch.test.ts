/**
 * A fetch that never settles does not freeze its key: reads join it only
 * within `refreshTimeout` of its start; after that a read starts a new fetch,
 * which is stored, and the hung one, if it ever ends, cannot overwrite it.
 * Both engine setups, injected clock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Cacheback, cacheback } from '../src/index.js'
import { deferred } from './helpers/events.js'
import { ENGINE_KINDS, type EngineSetup, createEngineSetup } from './helpers/engine.js'

describe.each(ENGINE_KINDS)('hung fetch on %s', (kind) => {
  let setup: EngineSetup
  beforeEach(() => {
    setup = createEngineSetup(kind)
  })
  afterEach(async () => {
    await setup.cleanup()
  })

  it('a miss joins an in-flight fetch within refreshTimeout and starts a new one after it', async () => {
    const hung = deferred<string>()
    let calls = 0
    const make = (cache: Cacheback) =>
      cacheback(
        async (user: string) => {
          calls++
          return calls === 1 ? hung.promise : `${user}@${calls}`
        },
        { name: 'hungTweets', lifetime: 10, refreshTimeout: 30, cache },
      )
    const tweets = make(setup.process())
    const first = tweets('ann') // its upstream call never answers
    await setup.log.waitFor('miss', 1)
    setup.clock.advance(29)
    const joined = tweets('ann') // within refreshTimeout: joins the fetch in flight
    await setup.log.waitFor('miss', 2)
    expect(calls).toBe(1)

    setup.clock.advance(2) // 31 s after the hung fetch started
    const fresh = tweets.read('ann')
    await setup.log.waitFor('miss', 3)
    expect(calls).toBe(2) // a fetch of its own, not the hung one
    expect(await fresh).toMatchObject({ status: 'miss', value: 'ann@2' })
    expect(await tweets.read('ann')).toMatchObject({ status: 'hit', value: 'ann@2' })

    hung.resolve('ann@1 (late)') // the hung call ends at last: its callers get it, the store keeps the newer value
    expect(await first).toBe('ann@1 (late)')
    expect(await joined).toBe('ann@1 (late)')
    await setup.drain()
    expect(await tweets.peek('ann')).toMatchObject({ status: 'hit', value: 'ann@2' })
    expect(calls).toBe(2)
  })
})
