/**
 * The conformance suite every Store driver runs: byte round trips, ordered
 * multi-reads, compare-and-set on createdAt, staleness marks and refresh
 * locks on the logical clock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ENTRY_LAYOUT, decodeEntry, encodeEntry, readHeader } from '../src/entry.js'
import type { Store } from '../src/stores/store.js'
import { createClock, type TestClock } from './helpers/clock.js'
import { uniqueNamespace } from './helpers/namespace.js'

/** What a driver's factory returns. */
export interface StoreUnderTest {
  store: Store
  cleanup(): Promise<void>
}

const TTL_MS = 60_000
const LIFETIME_MS = 600_000

/** Registers the conformance suite for one driver. */
export function describeStoreConformance(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`Store conformance: ${name}`, () => {
    let subject: StoreUnderTest
    let store: Store
    let clock: TestClock
    let ns: string

    beforeEach(async () => {
      subject = await makeStore()
      store = subject.store
      clock = createClock()
      ns = uniqueNamespace('conformance')
    })
    afterEach(async () => {
      await subject.cleanup()
    })

    const key = (suffix: string): string => `${ns}:job:${suffix}`
    const entryAt = (createdAt: number, value: unknown = { at: createdAt }): Buffer =>
      encodeEntry({ value, createdAt, freshUntil: createdAt + LIFETIME_MS, expiresAt: createdAt + TTL_MS * 10 })
    const write = (k: string, data: Uint8Array, createdAt = clock.now()): Promise<boolean> =>
      store.set(k, data, { createdAt, ttlMs: TTL_MS })
    const bytesOf = (data: Uint8Array | undefined): Buffer | undefined => (data ? Buffer.from(data) : undefined)

    describe('entries', () => {
      it('round-trips bytes through set, get and delete', async () => {
        const data = entryAt(clock.now(), { name: 'ann', when: new Date(0), tags: ['a', 'b'] })
        expect(await write(key('a'), data)).toBe(true)
        expect(bytesOf(await store.get(key('a')))).toEqual(data)
        expect(decodeEntry(await store.get(key('a')) as Uint8Array, key('a')).value).toEqual({ name: 'ann', when: new Date(0), tags: ['a', 'b'] })
        await store.delete(key('a'))
        expect(await store.get(key('a'))).toBeUndefined()
      })

      it('reads a missing key as undefined and deletes a missing key quietly', async () => {
        expect(await store.get(key('nothing'))).toBeUndefined()
        await expect(store.delete(key('nothing'))).resolves.toBeUndefined()
      })

      it('keeps every byte value (binary safe)', async () => {
        const data = Buffer.concat([entryAt(clock.now()), Buffer.from([0x00, 0xff, 0xfe, 0xc3, 0x28, 0x0d, 0x0a, 0x00])])
        await write(key('bin'), data)
        expect(bytesOf(await store.get(key('bin')))).toEqual(data)
      })

      it('stores a copy, so the caller may reuse its buffer', async () => {
        const data = entryAt(clock.now())
        const original = Buffer.from(data)
        await write(key('copy'), data)
        data.fill(0)
        expect(bytesOf(await store.get(key('copy')))).toEqual(original)
      })

      it('reads many keys in order, with undefined for the missing ones', async () => {
        const [a, c] = [entryAt(clock.now(), 'a'), entryAt(clock.now(), 'c')]
        await write(key('a'), a)
        await write(key('c'), c)
        const read = await store.getMany([key('a'), key('b'), key('c'), key('d'), key('a')])
        expect(read.map(bytesOf)).toEqual([a, undefined, c, undefined, a])
        expect(await store.getMany([])).toEqual([])
      })
    })

    describe('compare-and-set on createdAt', () => {
      it('refuses an entry older than the stored one and keeps the stored one', async () => {
        const newer = entryAt(clock.now(), 'newer')
        await write(key('k'), newer)
        const older = entryAt(clock.now() - 1, 'older')
        expect(await write(key('k'), older, clock.now() - 1)).toBe(false)
        expect(bytesOf(await store.get(key('k')))).toEqual(newer)
      })

      it('accepts an entry with an equal or newer createdAt', async () => {
        await write(key('k'), entryAt(clock.now(), 'first'))
        const same = entryAt(clock.now(), 'same time')
        expect(await write(key('k'), same)).toBe(true)
        expect(bytesOf(await store.get(key('k')))).toEqual(same)
        clock.advance(1)
        const newer = entryAt(clock.now(), 'newer')
        expect(await write(key('k'), newer)).toBe(true)
        expect(bytesOf(await store.get(key('k')))).toEqual(newer)
      })

      it('overwrites data that is not an entry of this format', async () => {
        const foreign = [Buffer.from('plain text'), Buffer.from([0xcb, 0x01, 0x00]), Buffer.from([0xcb, ENTRY_LAYOUT.version + 1, ...entryAt(Number.MAX_VALUE).subarray(2)])]
        for (const [i, data] of foreign.entries()) {
          expect(await write(key(`f${i}`), data, Number.MAX_VALUE)).toBe(true)
          const entry = entryAt(0)
          expect(await write(key(`f${i}`), entry, 0)).toBe(true)
          expect(bytesOf(await store.get(key(`f${i}`)))).toEqual(entry)
        }
      })
    })

    describe('expire (mark stale)', () => {
      it('lowers freshUntil and keeps the value and createdAt', async () => {
        const createdAt = clock.now()
        const data = entryAt(createdAt, { kept: true })
        await write(key('e'), data)
        clock.advance(5)
        expect(await store.expire(key('e'), clock.now())).toBe(true)
        const stored = await store.get(key('e')) as Uint8Array
        expect(readHeader(stored)).toEqual({ createdAt, freshUntil: clock.now(), expiresAt: createdAt + TTL_MS * 10, invalidatedAt: 0 })
        expect(decodeEntry(stored, key('e')).value).toEqual({ kept: true })
        expect(bytesOf(stored)?.subarray(ENTRY_LAYOUT.headerBytes)).toEqual(data.subarray(ENTRY_LAYOUT.headerBytes))
      })

      it('never makes an entry fresher', async () => {
        const data = entryAt(clock.now())
        await write(key('e'), data)
        expect(await store.expire(key('e'), clock.now() + LIFETIME_MS * 2)).toBe(true)
        expect(bytesOf(await store.get(key('e')))).toEqual(data)
      })

      it('is a no-op for a missing key or foreign data', async () => {
        expect(await store.expire(key('missing'), clock.now())).toBe(false)
        expect(await store.get(key('missing'))).toBeUndefined()
        await write(key('foreign'), Buffer.from('not an entry, but long enough to hold a header'))
        expect(await store.expire(key('foreign'), clock.now())).toBe(false)
        expect(bytesOf(await store.get(key('foreign')))?.toString()).toBe('not an entry, but long enough to hold a header')
      })
    })

    describe('refresh locks', () => {
      const lock = async (token: string, refreshTimeoutMs = 60_000): Promise<boolean> =>
        (await store.acquireLock(key('lock'), { now: clock.now(), until: clock.now() + refreshTimeoutMs, token, ttlMs: 120_000 })) === 'acquired'
      const attempt = (token: string) => store.acquireLock(key('lock'), { now: clock.now(), until: clock.now() + 60_000, token, ttlMs: 120_000 })

      it('tells a lock held by a failed refresh from a running one, until it lapses', async () => {
        expect(await attempt('a')).toBe('acquired')
        expect(await attempt('b')).toBe('held')
        await store.markLockFailed(key('lock'), 'b') // not the holder: no effect
        expect(await attempt('b')).toBe('held')
        await store.markLockFailed(key('lock'), 'a')
        expect(await attempt('b')).toBe('failed')
        await store.releaseLock(key('lock'), 'a') // the failed holder can still release it
        expect(await attempt('b')).toBe('acquired')
        await store.markLockFailed(key('lock'), 'b')
        clock.advance(60)
        expect(await attempt('c')).toBe('acquired')
        await store.markLockFailed(key('missing-lock'), 'x')
      })

      it('is taken once and refused to others until its logical expiry', async () => {
        expect(await lock('a')).toBe(true)
        expect(await lock('b')).toBe(false)
        clock.advance(59.999)
        expect(await lock('b')).toBe(false)
        clock.advance(0.001)
        expect(await lock('b')).toBe(true)
        expect(await lock('a')).toBe(false)
      })

      it('is independent per lock key', async () => {
        expect(await lock('a')).toBe(true)
        expect(await store.acquireLock(key('other'), { now: clock.now(), until: clock.now() + 1000, token: 'b', ttlMs: 1000 })).toBe('acquired')
      })

      it('is released only by the token that holds it', async () => {
        expect(await lock('a')).toBe(true)
        await store.releaseLock(key('lock'), 'b')
        expect(await lock('c')).toBe(false)
        await store.releaseLock(key('lock'), 'a')
        expect(await lock('c')).toBe(true)
        await store.releaseLock(key('missing-lock'), 'c')
      })

      it('is kept until a later logical time when released with a hold', async () => {
        expect(await lock('a')).toBe(true)
        await store.releaseLock(key('lock'), 'b', { until: clock.now() + 120_000, ttlMs: 240_000 })
        clock.advance(61)
        expect(await lock('b')).toBe(true) // a hold by a non-holder changed nothing
        await store.releaseLock(key('lock'), 'b', { until: clock.now() + 120_000, ttlMs: 240_000 })
        clock.advance(119)
        expect(await lock('c')).toBe(false)
        clock.advance(1)
        expect(await lock('c')).toBe(true)
      })

      it('is released whoever holds it when no token is given', async () => {
        expect(await lock('a')).toBe(true)
        await store.releaseLock(key('lock'), undefined)
        expect(await lock('b')).toBe(true)
        await store.releaseLock(key('missing-lock'), undefined)
      })

      it('handles tokens containing colons', async () => {
        expect(await lock('host:1234:abc')).toBe(true)
        await store.releaseLock(key('lock'), '1234:abc')
        expect(await lock('other')).toBe(false)
        await store.releaseLock(key('lock'), 'host:1234:abc')
        expect(await lock('other')).toBe(true)
      })

      it('goes to exactly one of 50 concurrent callers', async () => {
        const results = await Promise.all(Array.from({ length: 50 }, (_, i) => lock(`caller-${i}`)))
        expect(results.filter(Boolean)).toHaveLength(1)
      })
    })
  })
}
