/**
 * The JS API of SPEC section 2: decorator operations, Job subclasses and
 * their hooks, the job registry, value types through the store, coded errors.
 */
import { inject, describe, expect, it, afterEach } from 'vitest'
import { Cacheback, CachebackError, ENTRY_LAYOUT, Job, MemoryStore, cacheback, configure, getDefaultCache } from '../src/index.js'
import { RedisStore } from '../src/redis/index.js'
import { Redis } from 'ioredis'
import { createClock } from './helpers/clock.js'
import { EventLog } from './helpers/events.js'
import { uniqueNamespace } from './helpers/namespace.js'

const caches: Cacheback[] = []
afterEach(async () => {
  await Promise.all(caches.splice(0).map((c) => c.close()))
})

function embedded(clock = createClock(), log = new EventLog()) {
  const cache = new Cacheback({ now: clock.now, onEvent: log.listener, namespace: uniqueNamespace('api') })
  caches.push(cache)
  return { cache, clock, log }
}

function onRedis(clock = createClock()) {
  const cache = new Cacheback({ store: new RedisStore({ redis: inject('redisUrl') }), now: clock.now, namespace: uniqueNamespace('api') })
  caches.push(cache)
  return { cache, clock }
}

describe('cacheback(fn) operations', () => {
  it('invalidate marks stale (served, then refreshed); delete makes a miss', async () => {
    const { cache, log } = embedded()
    let version = 1
    const tweets = cacheback(async (user: string) => `${user}:${version}`, { name: 'ops', lifetime: 100, cache })
    expect(await tweets('ann')).toBe('ann:1')
    version = 2
    await tweets.invalidate('ann')
    expect(await tweets.read('ann')).toMatchObject({ status: 'stale', value: 'ann:1', refresh: 'dispatched' })
    await cache.drain()
    expect(await tweets.peek('ann')).toMatchObject({ status: 'hit', value: 'ann:2' })
    await tweets.delete('ann')
    expect(await tweets.peek('ann')).toEqual({ status: 'miss' })
    version = 3
    expect(await tweets.read('ann')).toMatchObject({ status: 'miss', value: 'ann:3' })
    expect(log.count('refresh-succeeded')).toBe(1)
  })

  it('refresh fetches and stores now; set stores a given value; peek neither fetches nor dispatches', async () => {
    const { cache, clock, log } = embedded()
    let calls = 0
    const tweets = cacheback(async (user: string) => `${user}:${++calls}`, { name: 'ops2', lifetime: 10, cache })
    expect(await tweets.refresh('ann')).toBe('ann:1')
    expect(await tweets('ann')).toBe('ann:1')
    await tweets.set(['bob'], 'manual')
    expect(await tweets('bob')).toBe('manual')
    clock.advance(15)
    expect(await tweets.peek('bob')).toEqual({ status: 'stale', value: 'manual', age: 15 })
    expect(await tweets.peek('nobody')).toEqual({ status: 'miss' })
    expect(calls).toBe(1)
    expect(log.count('refresh-dispatched')).toBe(0)
  })

  it('keys differ by arguments, ignore object key order, and include the job name', async () => {
    const { cache } = embedded()
    let calls = 0
    const search = cacheback(async (q: Record<string, unknown>) => ++calls, { name: 'search', cache })
    const other = cacheback(async (q: Record<string, unknown>) => 100 + ++calls, { name: 'other', cache })
    expect(await search({ a: 1, b: 2 })).toBe(1)
    expect(await search({ b: 2, a: 1 })).toBe(1)
    expect(await search({ a: '1:2' })).toBe(2)
    expect(await search({ a: '1', b: '2' })).toBe(3)
    expect(await other({ a: 1, b: 2 })).toBe(104)
    expect(search.job.keyFor({ a: 1 })).toMatch(new RegExp(`^${cache.namespace}:search:[0-9a-f]{64}$`))
  })
})

describe('Job subclasses', () => {
  class UserTweets extends Job<[username: string], { user: string; at: Date }[]> {
    calls = 0
    fetch(username: string) {
      this.calls++
      return [{ user: username, at: new Date(Date.UTC(2026, 0, 2)) }]
    }
    override lifetime(username: string) {
      return username.startsWith('a') ? 1200 : 600
    }
  }

  it('uses per-argument lifetime and keeps Date values through Redis', async () => {
    const { cache, clock } = onRedis()
    const job = new UserTweets({ cache })
    expect(job.name).toBe('UserTweets')
    await job.get('ann')
    await job.get('bob')
    clock.advance(900)
    expect(await job.peek('ann')).toMatchObject({ status: 'hit' })
    const bob = await job.peek('bob')
    expect(bob.status).toBe('stale')
    expect(bob.value![0].at).toEqual(new Date(Date.UTC(2026, 0, 2)))
    expect(bob.value![0].at).toBeInstanceOf(Date)
    expect(job.calls).toBe(2)
  })

  it('applies prepareArgs before keying and fetching, and empty() on a non-fetching miss', async () => {
    const { cache } = embedded()
    class Lower extends Job<[name: string], string | null> {
      constructor() {
        super({ cache, fetchOnMiss: false })
      }
      fetch(name: string) {
        return name
      }
      override prepareArgs(name: string): [string] {
        return [name.toLowerCase()]
      }
      override empty() {
        return 'pending'
      }
    }
    const job = new Lower()
    expect(await job.get('ANN')).toBe('pending')
    await cache.drain()
    expect(await job.get('Ann')).toBe('ann')
  })

  it('rejects a second, different job with a taken name', async () => {
    const { cache } = embedded()
    cacheback(async () => 1, { name: 'dup', cache })
    expect(() => cacheback(async () => 2, { name: 'dup', cache })).toThrowError(expect.objectContaining({ code: 'E_DUPLICATE_JOB', job: 'dup' }))
    const a = new UserTweets({ cache })
    await a.get('x')
    await new UserTweets({ cache }).get('x') // same class again: fine
    expect(cache.findJob('UserTweets')).toBeInstanceOf(UserTweets)
  })
})

describe('values and options', () => {
  it('refuses a value that would not survive the store, naming the job', async () => {
    const { cache, log } = embedded()
    class Money {
      constructor(readonly cents: number) {}
      format() {
        return `${this.cents / 100}`
      }
    }
    const price = cacheback(async (_id: string) => ({ total: new Money(250) }), { name: 'price', cache })
    const error = await price('x').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CachebackError)
    expect(error).toMatchObject({ code: 'E_UNSERIALIZABLE_VALUE', job: 'price' })
    expect((error as Error).message).toContain('value.total (an instance of Money)')
    expect(await price.peek('x')).toEqual({ status: 'miss' })
    expect(log.count('store-error')).toBe(1)
  })

  it('replaces a corrupt entry whose header claims a newer createdAt', async () => {
    const { cache } = onRedis()
    const log = new EventLog()
    cache.addListener(log.listener)
    const job = cacheback(async (id: string) => `fresh ${id}`, { name: 'corrupt', cache })
    const key = job.job.keyFor('x')
    const header = Buffer.alloc(ENTRY_LAYOUT.headerBytes)
    header[0] = 0xcb
    header[1] = ENTRY_LAYOUT.version
    header.writeDoubleBE(9e15, 2) // createdAt far in the future
    header.writeDoubleBE(9e15, 10)
    header.writeDoubleBE(9e15, 18)
    const corrupt = Buffer.concat([header, Buffer.from([0xc1, 0xc1, 0xc1])]) // 0xc1 is never valid msgpack
    const raw = new Redis(inject('redisUrl'))
    await raw.set(key, corrupt)
    expect(await job('x')).toBe('fresh x')
    await cache.drain()
    expect(log.of('store-error').map((e) => (e.error as { code: string }).code)).toEqual(['E_CORRUPT_ENTRY'])
    expect(await job.peek('x')).toMatchObject({ status: 'hit', value: 'fresh x' })
    raw.disconnect()
  })

  it('keeps Map, Set, bigint, nested Dates and undefined through the store', async () => {
    const { cache } = onRedis()
    const value = { m: new Map([['a', new Date(5)]]), s: new Set([1, 2]), n: 10n, u: undefined, list: [new Date(7)] }
    const job = cacheback(async () => value, { name: 'types', cache })
    await job.set([], value)
    expect((await job.peek()).value).toEqual(value)
  })

  it.each([
    [{ lifetime: -1 }, /lifetime.*positive/],
    [{ lifetime: Number.NaN }, /lifetime.*positive/],
    [{ ttl: 10, lifetime: 20 }, /ttl \(10 s\) must not be shorter than lifetime \(20 s\)/],
    [{ refreshTimeout: 0 }, /refreshTimeout/],
    [{ fetchOnStaleThreshold: -5 }, /fetchOnStaleThreshold/],
  ])('rejects bad timing options %o with a coded error naming the job', (options, message) => {
    expect(() => cacheback(async () => 1, { name: 'timed', ...options })).toThrowError(message)
    expect(() => cacheback(async () => 1, { name: 'timed', ...options })).toThrowError(expect.objectContaining({ code: 'E_INVALID_OPTION', job: 'timed' }))
  })

  it('configure sets the process-wide default used by jobs without a cache', async () => {
    const configured = configure({ store: new MemoryStore(), namespace: uniqueNamespace('default') })
    caches.push(configured)
    const job = cacheback(async (n: number) => n * 2, { name: 'doubler' })
    expect(await job(21)).toBe(42)
    expect(getDefaultCache()).toBe(configured)
    expect(configured.findJob('doubler')).toBe(job.job)
  })
})
