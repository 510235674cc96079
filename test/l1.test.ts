/**
 * The in-process tier in one process: fresh entries served from memory
 * (tier `l1`), stale and expired ones sent to the store, own writes and
 * removals dropping what they touch, values nobody can change through what a
 * reader got, LRU bounds, batched reads sending only misses to the store,
 * and a store read racing a change never admitting the old value.
 */
import { afterEach, describe, expect, inject, it } from 'vitest'
import { Cacheback, type CachebackOptions, MemoryStore, cacheback } from '../src/index.js'
import { RedisStore } from '../src/redis/index.js'
import { createClock } from './helpers/clock.js'
import { EventLog, deferred } from './helpers/events.js'
import { uniqueNamespace } from './helpers/namespace.js'

const caches: Cacheback[] = []
afterEach(async () => {
  await Promise.all(caches.splice(0).map((c) => c.close()))
})

function setup(options: Partial<CachebackOptions> = {}) {
  const clock = createClock()
  const log = new EventLog()
  const cache = new Cacheback({ now: clock.now, onEvent: log.listener, namespace: uniqueNamespace('l1'), l1: { maxEntries: 100 }, ...options })
  caches.push(cache)
  let calls = 0
  const profile = cacheback(async (id: number) => ({ id, name: `user ${id}`, tags: ['a', 'b'], call: ++calls }), { name: 'profile', lifetime: 10, cache })
  return { cache, clock, log, profile, calls: () => calls }
}

/** A MemoryStore counting the keys read, whose reads answer only once `gate` opens (with what they read before). */
class GatedStore extends MemoryStore {
  gate: Promise<void> | undefined
  keysRead = 0
  override async get(key: string) {
    this.keysRead++
    const bytes = await super.get(key)
    await this.gate
    return bytes
  }
  override async getMany(keys: readonly string[]) {
    this.keysRead += keys.length
    return super.getMany(keys)
  }
}

describe('in-process tier', () => {
  it('serves a fresh entry from memory, and tells l1 hits from store hits', async () => {
    const { profile, log, calls } = setup({ store: new RedisStore({ redis: inject('redisUrl') }) })
    await profile.set([1], { id: 1, name: 'ann', tags: [], call: 0 })
    await log.waitFor('bus-up')
    expect(await profile.read(1)).toMatchObject({ status: 'hit', tier: 'store', value: { name: 'ann' } })
    expect(await profile.read(1)).toMatchObject({ status: 'hit', tier: 'l1', value: { name: 'ann' } })
    expect(log.of('hit').map((e) => e.tier)).toEqual(['store', 'l1'])
    expect(calls()).toBe(0)
  })

  it('sends a stale entry to the store, which decides (stale: served once, refreshed)', async () => {
    const { profile, clock, cache, calls } = setup()
    await profile(1) // a miss: fetched and written
    expect(await profile.read(1)).toMatchObject({ tier: 'store' }) // admitted
    expect(await profile.read(1)).toMatchObject({ tier: 'l1' })
    clock.advance(11)
    expect(await profile.read(1)).toMatchObject({ status: 'stale', value: { call: 1 } })
    await cache.drain()
    expect(calls()).toBe(2)
    expect(await profile.read(1)).toMatchObject({ status: 'hit', tier: 'store', value: { call: 2 } })
    expect(await profile.read(1)).toMatchObject({ status: 'hit', tier: 'l1', value: { call: 2 } })
  })

  it('drops what its own write, removal and invalidation touch', async () => {
    const { profile } = setup()
    await profile(1)
    await profile.read(1)
    await profile.set([1], { id: 1, name: 'set', tags: [], call: 0 })
    expect(await profile.read(1)).toMatchObject({ tier: 'store', value: { name: 'set' } })
    await profile.delete(1)
    expect(await profile.read(1)).toMatchObject({ status: 'miss', value: { call: 2 } })
    await profile.read(1)
    expect(await profile.read(1)).toMatchObject({ tier: 'l1' })
    await profile.invalidate(1)
    expect(await profile.read(1)).toMatchObject({ status: 'stale', value: { call: 2 } })
  })

  it('hands out a frozen value: a caller mutating its result cannot change the next read', async () => {
    const { profile } = setup()
    await profile(1)
    const first = (await profile.read(1)).value!
    expect(() => {
      first.name = 'changed'
    }).toThrow(TypeError)
    expect(() => first.tags.push('c')).toThrow(TypeError)
    expect(await profile(1)).toEqual({ id: 1, name: 'user 1', tags: ['a', 'b'], call: 1 })
  })

  it("with protect: 'copy', every hit is a copy the caller may change", async () => {
    const { profile } = setup({ l1: { protect: 'copy' } })
    await profile(1)
    const first = (await profile.read(1)).value!
    first.name = 'changed'
    first.tags.push('c')
    expect(await profile.read(1)).toMatchObject({ tier: 'l1', value: { name: 'user 1', tags: ['a', 'b'] } })
  })

  it('copies per hit a value freezing cannot protect (Date, Map)', async () => {
    const { cache } = setup()
    const dated = cacheback(async () => ({ at: new Date(1000), seen: new Map([['a', 1]]) }), { name: 'dated', cache })
    await dated()
    const first = (await dated.read()).value!
    first.at.setTime(5)
    first.seen.set('b', 2)
    const second = await dated.read()
    expect(second).toMatchObject({ tier: 'l1' })
    expect(second.value).toEqual({ at: new Date(1000), seen: new Map([['a', 1]]) })
  })

  it('keeps at most maxEntries entries, least recently used evicted', async () => {
    const { profile, cache } = setup({ l1: { maxEntries: 10 } })
    for (let id = 0; id < 30; id++) await profile(id)
    for (let id = 0; id < 30; id++) await profile(id) // admitted from the store
    expect(cache.l1!.local!.size).toBe(10)
    expect(await profile.read(29)).toMatchObject({ tier: 'l1' })
    expect(await profile.read(0)).toMatchObject({ tier: 'store' })
  })

  it('stays within maxBytes under a key space ten times its size, and never holds an entry larger than it', async () => {
    const maxBytes = 20_000
    const { cache } = setup({ l1: { maxBytes } })
    const big = cacheback(async (id: number, size: number) => ({ id, text: 'x'.repeat(size) }), { name: 'big', cache })
    let held = 0
    for (let id = 0; held < maxBytes * 10; id++) {
      await big(id, 500)
      await big(id, 500)
      held += 500
      expect(cache.l1!.local!.bytes).toBeLessThanOrEqual(maxBytes)
    }
    expect(cache.l1!.local!.size).toBeGreaterThan(5)
    await big(-1, maxBytes)
    await big(-1, maxBytes)
    expect(await big.read(-1, maxBytes)).toMatchObject({ status: 'hit', tier: 'store' })
  })

  it('sends only the misses of a batch to the store', async () => {
    const store = new GatedStore()
    const { cache, profile } = setup({ store })
    await profile(1)
    await profile(2)
    await profile(2) // 2 admitted
    store.keysRead = 0
    const reads = [1, 2, 3].map((id) => ({ job: profile.job, args: [id] }))
    const results = await Promise.all(cache.readMany(reads))
    expect(results.map((r) => r.tier ?? r.status)).toEqual(['store', 'l1', 'miss'])
    expect(store.keysRead).toBe(2)
  })

  it('does not admit a value read from the store before its key was changed', async () => {
    const store = new GatedStore()
    const { profile } = setup({ store })
    await profile(1)
    const gate = deferred()
    store.gate = gate.promise
    const racing = profile.read(1) // reads the old value, held at the gate
    const removing = profile.delete(1) // lands before the read returns
    gate.resolve()
    store.gate = undefined
    expect(await racing).toMatchObject({ status: 'hit', tier: 'store', value: { call: 1 } })
    await removing
    expect(await profile.read(1)).toMatchObject({ status: 'miss', value: { call: 2 } })
  })

  it('without l1 there is no tier and no bus; hits are store hits', async () => {
    const cache = new Cacheback({ store: new RedisStore({ redis: inject('redisUrl') }), namespace: uniqueNamespace('l1') })
    caches.push(cache)
    const job = cacheback(async (id: number) => ({ id }), { name: 'plain', cache })
    await job(1)
    expect(cache.l1).toBeUndefined()
    expect(await job.read(1)).toMatchObject({ status: 'hit', tier: 'store' })
    expect(await job.read(1)).toMatchObject({ status: 'hit', tier: 'store' })
  })

  it('refuses bad options with E_INVALID_OPTION', () => {
    expect(() => new Cacheback({ l1: { maxEntries: 0 } })).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION' }))
    expect(() => new Cacheback({ l1: { maxBytes: 1.5 } })).toThrow(/l1\.maxBytes/)
    expect(() => new Cacheback({ l1: { protect: 'clone' as never } })).toThrow(/l1\.protect/)
    expect(() => new Cacheback({ bus: true })).toThrow(/memory store opens no bus/)
  })
})
