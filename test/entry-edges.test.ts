/**
 * Edges of the entry's times, on both engine setups (injected clock):
 * - an entry whose header says it was created in the future and is already
 *   expired cannot be right: the next fetch replaces it (the compare-and-set
 *   used to refuse it, so every read refetched);
 * - `fetchOnStaleThreshold` refetches only entries strictly older than it: at
 *   exactly the threshold the stale value is served.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Cacheback, cacheback } from '../src/index.js'
import { encodeEntry } from '../src/entry.js'
import { ENGINE_KINDS, type EngineSetup, createEngineSetup } from './helpers/engine.js'

describe.each(ENGINE_KINDS)('entry edges on %s', (kind) => {
  let setup: EngineSetup
  beforeEach(() => {
    setup = createEngineSetup(kind)
  })
  afterEach(async () => {
    await setup.cleanup()
  })

  function counted(cache: Cacheback, options: { fetchOnStaleThreshold?: number } = {}) {
    const state = { calls: 0 }
    const tweets = cacheback(
      async (user: string) => {
        state.calls++
        return `${user}#${state.calls}`
      },
      { name: 'tweets', lifetime: 10, ...options, cache },
    )
    return { state, tweets }
  }

  it('replaces an entry created in the future that has already expired, so the next read hits', async () => {
    const cache = setup.process()
    const { state, tweets } = counted(cache)
    const now = setup.clock.now()
    const key = tweets.job.keyFor('ann')
    const impossible = encodeEntry({ value: 'never right', createdAt: now + 86_400_000, freshUntil: now - 2000, expiresAt: now - 1000 })
    expect(await cache.store.set(key, impossible, { createdAt: now + 86_400_000, ttlMs: 60_000 })).toBe(true)

    expect(await tweets.read('ann')).toMatchObject({ status: 'miss', value: 'ann#1' })
    expect(await tweets.read('ann')).toMatchObject({ status: 'hit', value: 'ann#1' })
    expect(state.calls).toBe(1)
  })

  it('fetchOnStaleThreshold 300 s: served stale at exactly 300 s, refetched at 301 s', async () => {
    const { state, tweets } = counted(setup.process(), { fetchOnStaleThreshold: 300 })
    await tweets('ann')
    await tweets('bob')
    setup.clock.advance(300)
    expect(await tweets.read('ann')).toMatchObject({ status: 'stale', value: 'ann#1', age: 300 })
    setup.clock.advance(1)
    const bob = await tweets.read('bob')
    expect(bob.status).toBe('miss') // refetched synchronously...
    expect(bob.value).toMatch(/^bob#[34]$/) // ...a new value (call 3 or 4, after or before ann's refresh)
    await setup.drain()
    expect(state.calls).toBe(kind === 'memory' ? 4 : 3) // on redis no worker runs ann's queued refresh
  })
})
