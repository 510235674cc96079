/**
 * The invalidation half of the store conformance suite, kept apart from the
 * entry and lock cases: indexed writes, `invalidate` of keys and indexes in
 * both modes, and the write rule that makes an invalidation win over a
 * write of a value fetched before it (a tombstone, a stale mark, an index
 * stamp). Every driver runs it (test/invalidation-store.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { decodeEntry, encodeEntry, readHeader } from '../src/entry.js'
import { lockKeyOf } from '../src/keys.js'
import type { InvalidateRequest, InvalidationMode, Store } from '../src/stores/store.js'
import { createClock, type TestClock } from './helpers/clock.js'
import { uniqueNamespace } from './helpers/namespace.js'

/** What a driver's factory returns. */
export interface StoreUnderTest {
  store: Store
  cleanup(): Promise<void>
}

const TTL_MS = 60_000
const LIFETIME_MS = 600_000
const REMEMBER_MS = 60_000

/** Registers the invalidation conformance cases for one driver. */
export function describeInvalidationConformance(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`Store invalidation conformance: ${name}`, () => {
    let subject: StoreUnderTest
    let store: Store
    let clock: TestClock
    let ns: string

    beforeEach(async () => {
      subject = await makeStore()
      store = subject.store
      clock = createClock()
      ns = uniqueNamespace('inv-conformance')
    })
    afterEach(async () => {
      await subject.cleanup()
    })

    const key = (suffix: string): string => `${ns}:job:${suffix}`
    const index = (suffix: string): string => `${ns}:index:tag:{${suffix}}`
    const entryAt = (createdAt: number, value: unknown = { at: createdAt }): Buffer =>
      encodeEntry({ value, createdAt, freshUntil: createdAt + LIFETIME_MS, expiresAt: createdAt + TTL_MS * 10 })
    const write = (k: string, indexes: string[] = [], createdAt = clock.now(), value?: unknown): Promise<boolean> =>
      store.set(k, entryAt(createdAt, value), { createdAt, ttlMs: TTL_MS, indexes })
    const request = (mode: InvalidationMode = 'stale'): InvalidateRequest => ({ now: clock.now(), mode, rememberMs: REMEMBER_MS })
    const headerOf = async (k: string) => {
      const bytes = await store.get(k)
      return bytes && readHeader(bytes)
    }
    const lock = (k: string) => store.acquireLock(lockKeyOf(k), { now: clock.now(), until: clock.now() + 60_000, token: 'holder', ttlMs: 120_000 })

    it('marks every entry of an index stale, keeping values, and counts them', async () => {
      const createdAt = clock.now()
      await write(key('a'), [index('t')], createdAt, 'value a')
      await write(key('b'), [index('t'), index('u')], createdAt, 'value b')
      await write(key('c'), [index('u')], createdAt)
      clock.advance(5)
      expect(await store.invalidate({ index: index('t') }, request())).toBe(2)
      expect(await headerOf(key('a'))).toEqual({ createdAt, freshUntil: clock.now(), expiresAt: createdAt + TTL_MS * 10, invalidatedAt: clock.now() })
      expect(decodeEntry(await store.get(key('b')) as Uint8Array, key('b')).value).toBe('value b')
      expect((await headerOf(key('c')))?.freshUntil).toBe(createdAt + LIFETIME_MS)
    })

    it('purges every entry of an index: tombstones read as a miss on every clock', async () => {
      const createdAt = clock.now()
      await write(key('a'), [index('t')], createdAt)
      await write(key('b'), [index('t')], createdAt)
      clock.advance(1)
      expect(await store.invalidate({ index: index('t') }, request('purge'))).toBe(2)
      const tombstone = await store.get(key('a')) as Uint8Array
      expect(readHeader(tombstone)).toEqual({ createdAt, freshUntil: 0, expiresAt: 0, invalidatedAt: clock.now() })
      expect(decodeEntry(tombstone, key('a')).value).toBeNull()
      expect(await store.invalidate({ index: index('t') }, request('purge'))).toBe(0) // tombstones are not counted again
    })

    it('reaches only the keys with the given prefix', async () => {
      await write(`${ns}:one:1`, [index('e')])
      await write(`${ns}:two:1`, [index('e')])
      expect(await store.invalidate({ index: index('e'), prefix: `${ns}:one:` }, request())).toBe(1)
      expect((await headerOf(`${ns}:one:1`))?.invalidatedAt).toBe(clock.now())
      expect((await headerOf(`${ns}:two:1`))?.invalidatedAt).toBe(0)
    })

    it('invalidates given keys; a missing key gets a tombstone and is not counted', async () => {
      await write(key('a'))
      expect(await store.invalidate({ keys: [key('a'), key('missing')] }, request())).toBe(1)
      expect((await headerOf(key('a')))?.freshUntil).toBe(clock.now())
      expect(await headerOf(key('missing'))).toEqual({ createdAt: 0, freshUntil: 0, expiresAt: 0, invalidatedAt: clock.now() })
      expect(await store.invalidate({ index: index('nothing') }, request())).toBe(0)
    })

    it('removes the refresh locks of what it reaches', async () => {
      await write(key('a'), [index('t')])
      await write(key('b'))
      expect(await lock(key('a'))).toBe('acquired')
      expect(await lock(key('b'))).toBe('acquired')
      await store.invalidate({ index: index('t') }, request())
      expect(await lock(key('a'))).toBe('acquired')
      expect(await lock(key('b'))).toBe('held')
      await store.invalidate({ keys: [key('b')] }, request('purge'))
      expect(await lock(key('b'))).toBe('acquired')
    })

    it('leaves foreign data at a member key alone', async () => {
      await write(key('a'), [index('t')])
      await store.set(key('a'), Buffer.from('not an entry of ours, long enough for a header'), { createdAt: clock.now() + 1, ttlMs: TTL_MS })
      expect(await store.invalidate({ index: index('t') }, request('purge'))).toBe(0)
      expect(Buffer.from(await store.get(key('a')) as Uint8Array).toString()).toBe('not an entry of ours, long enough for a header')
    })

    it('forgets entries that expired (by their expiresAt on the cache clock)', async () => {
      await write(key('old'), [index('t')])
      clock.advance((TTL_MS * 10) / 1000)
      await write(key('new'), [index('t')])
      expect(await store.invalidate({ index: index('t') }, request())).toBe(1)
      expect((await headerOf(key('new')))?.invalidatedAt).toBe(clock.now())
    })

    describe('a write of a value fetched before an invalidation', () => {
      it('is stored stale after a stale mark, and fresh when fetched after it', async () => {
        const before = clock.now()
        await write(key('a'), [index('t')], before - 1000)
        clock.advance(2)
        await store.invalidate({ index: index('t') }, request())
        const marked = clock.now()
        expect(await write(key('a'), [index('t')], before)).toBe(true)
        expect(await headerOf(key('a'))).toEqual({ createdAt: before, freshUntil: before, expiresAt: before + TTL_MS * 10, invalidatedAt: marked })
        clock.advance(1)
        expect(await write(key('a'), [index('t')])).toBe(true)
        expect(await headerOf(key('a'))).toMatchObject({ createdAt: clock.now(), freshUntil: clock.now() + LIFETIME_MS })
      })

      it('is refused after a purge, and stored when fetched after it', async () => {
        const before = clock.now()
        await write(key('a'), [index('t')], before - 1000)
        clock.advance(2)
        await store.invalidate({ keys: [key('a')] }, request('purge'))
        expect(await write(key('a'), [index('t')], before)).toBe(false)
        expect((await headerOf(key('a')))?.expiresAt).toBe(0)
        expect(await write(key('a'), [index('t')], clock.now(), 'after')).toBe(true)
        expect(decodeEntry(await store.get(key('a')) as Uint8Array, key('a')).value).toBe('after')
      })

      it('loses to an index stamp even when the key was never stored (a miss fetch in flight)', async () => {
        const before = clock.now()
        clock.advance(2)
        expect(await store.invalidate({ index: index('s') }, request())).toBe(0)
        expect(await store.invalidate({ index: index('p') }, request('purge'))).toBe(0)
        expect(await write(key('stale'), [index('s')], before)).toBe(true)
        expect(await headerOf(key('stale'))).toMatchObject({ freshUntil: before, invalidatedAt: clock.now() })
        expect(await write(key('refused'), [index('other'), index('p')], before)).toBe(false)
        expect(await store.get(key('refused'))).toBeUndefined()
        expect(await write(key('fresh'), [index('s')], clock.now())).toBe(true)
        expect((await headerOf(key('fresh')))?.freshUntil).toBe(clock.now() + LIFETIME_MS)
      })

      it('loses to the tombstone a missing key got', async () => {
        const before = clock.now()
        clock.advance(1)
        await store.invalidate({ keys: [key('gone')] }, request())
        expect(await write(key('gone'), [], before)).toBe(false)
        expect(await write(key('gone'), [], clock.now())).toBe(true)
      })
    })

    it('invalidates 10,000 entries of one tag, each once', async () => {
      const keys = Array.from({ length: 10_000 }, (_, i) => key(`many-${i}`))
      for (let i = 0; i < keys.length; i += 200) await Promise.all(keys.slice(i, i + 200).map((k) => write(k, [index('big'), index(`own-${k}`)])))
      clock.advance(1)
      expect(await store.invalidate({ index: index('big') }, request('purge'))).toBe(10_000)
      const sample = await store.getMany([keys[0], keys[4321], keys[9999]])
      expect(sample.map((bytes) => bytes && readHeader(bytes)?.expiresAt)).toEqual([0, 0, 0])
      expect(await store.invalidate({ index: index('big') }, request('stale'))).toBe(0)
    }, 60_000)
  })
}
