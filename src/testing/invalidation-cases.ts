/**
 * Conformance cases of invalidation: indexed writes, `invalidate` of keys and
 * of indexes in both modes, and the write rule by which an invalidation wins
 * over a write of a value fetched before it (a tombstone, a stale mark, an
 * index stamp).
 */
import assert from 'node:assert/strict'
import { decodeEntry, encodeEntry, readHeader } from '../entry.js'
import { lockKeyOf } from '../keys.js'
import type { InvalidateRequest, InvalidationMode } from '../stores/store.js'
import { type CaseFunction, type ConformanceFixture, LIFETIME_MS, TTL_MS } from './fixture.js'

/** How long the cases' invalidations are remembered, ms. */
const REMEMBER_MS = 60_000

/** An index key of the case (the shape the core builds: `<namespace>:index:<kind>:{…}`). */
const index = (f: ConformanceFixture, name: string): string => f.key(`index:tag:{${name}}`)
const request = (f: ConformanceFixture, mode: InvalidationMode = 'stale'): InvalidateRequest => ({ now: f.now(), mode, rememberMs: REMEMBER_MS })
const entryAt = (createdAt: number, value: unknown = { at: createdAt }): Buffer =>
  encodeEntry({ value, createdAt, freshUntil: createdAt + LIFETIME_MS, expiresAt: createdAt + TTL_MS * 10 })

/** How a case writes: filed under `indexes`, created at `createdAt` (default now), holding `value`. */
interface CaseWrite {
  indexes?: string[]
  createdAt?: number
  value?: unknown
}

/** Writes an entry at `key`. */
function write(f: ConformanceFixture, key: string, { indexes = [], createdAt = f.now(), value }: CaseWrite = {}): Promise<boolean> {
  return f.store.set(key, entryAt(createdAt, value), { createdAt, ttlMs: TTL_MS, indexes })
}

async function headerOf(f: ConformanceFixture, key: string) {
  const bytes = await f.store.get(key)
  return bytes && readHeader(bytes)
}

/** Invalidating indexes and keys: what is reached, counted, marked, purged. */
export function invalidationCases(it: CaseFunction, f: ConformanceFixture): void {
  it('marks every entry of an index stale, keeping values, and counts them', async () => {
    const createdAt = f.now()
    await write(f, f.key('a'), { indexes: [index(f, 't')], createdAt, value: 'value a' })
    await write(f, f.key('b'), { indexes: [index(f, 't'), index(f, 'u')], createdAt, value: 'value b' })
    await write(f, f.key('c'), { indexes: [index(f, 'u')], createdAt })
    f.advance(5)
    assert.equal(await f.store.invalidate({ index: index(f, 't') }, request(f)), 2)
    assert.deepEqual(await headerOf(f, f.key('a')), { createdAt, freshUntil: f.now(), expiresAt: createdAt + TTL_MS * 10, invalidatedAt: f.now(), fetchMs: 0 })
    assert.equal(decodeEntry(await f.store.get(f.key('b')) as Uint8Array, f.key('b')).value, 'value b')
    assert.equal((await headerOf(f, f.key('c')))?.freshUntil, createdAt + LIFETIME_MS)
  })

  it('purges every entry of an index: tombstones read as a miss on every clock', async () => {
    const createdAt = f.now()
    await write(f, f.key('a'), { indexes: [index(f, 't')], createdAt })
    await write(f, f.key('b'), { indexes: [index(f, 't')], createdAt })
    f.advance(1)
    assert.equal(await f.store.invalidate({ index: index(f, 't') }, request(f, 'purge')), 2)
    const tombstone = await f.store.get(f.key('a')) as Uint8Array
    assert.deepEqual(readHeader(tombstone), { createdAt, freshUntil: 0, expiresAt: 0, invalidatedAt: f.now(), fetchMs: 0 })
    assert.equal(decodeEntry(tombstone, f.key('a')).value, null)
    assert.equal(await f.store.invalidate({ index: index(f, 't') }, request(f, 'purge')), 0) // tombstones are not counted again
  })

  it('reaches only the keys with the given prefix, and given keys (a missing one gets a tombstone, not counted)', async () => {
    await write(f, f.key('one:1'), { indexes: [index(f, 'e')] })
    await write(f, f.key('two:1'), { indexes: [index(f, 'e')] })
    assert.equal(await f.store.invalidate({ index: index(f, 'e'), prefix: f.key('one:') }, request(f)), 1)
    assert.equal((await headerOf(f, f.key('two:1')))?.invalidatedAt, 0)
    assert.equal(await f.store.invalidate({ keys: [f.key('two:1'), f.key('missing')] }, request(f)), 1)
    assert.deepEqual(await headerOf(f, f.key('missing')), { createdAt: 0, freshUntil: 0, expiresAt: 0, invalidatedAt: f.now(), fetchMs: 0 })
    assert.equal(await f.store.invalidate({ index: index(f, 'nothing') }, request(f)), 0)
  })

  it('removes the refresh locks of what it reaches, and leaves foreign data alone', async () => {
    const lock = (key: string) => f.store.acquireLock(lockKeyOf(key), { now: f.now(), until: f.now() + 60_000, token: 'holder', ttlMs: 120_000 })
    await write(f, f.key('a'), { indexes: [index(f, 't')] })
    await write(f, f.key('b'))
    assert.equal(await lock(f.key('a')), 'acquired')
    assert.equal(await lock(f.key('b')), 'acquired')
    await f.store.invalidate({ index: index(f, 't') }, request(f))
    assert.equal(await lock(f.key('a')), 'acquired')
    assert.equal(await lock(f.key('b')), 'held')
    const foreign = 'not an entry of ours, long enough for a header'
    await f.store.set(f.key('a'), Buffer.from(foreign), { createdAt: f.now() + 1, ttlMs: TTL_MS })
    assert.equal(await f.store.invalidate({ index: index(f, 't') }, request(f, 'purge')), 0)
    assert.equal(Buffer.from(await f.store.get(f.key('a')) as Uint8Array).toString(), foreign)
  })

  it('forgets entries that expired (by their expiresAt on the cache clock)', async () => {
    await write(f, f.key('old'), { indexes: [index(f, 't')] })
    f.advance((TTL_MS * 10) / 1000)
    await write(f, f.key('new'), { indexes: [index(f, 't')] })
    assert.equal(await f.store.invalidate({ index: index(f, 't') }, request(f)), 1)
  })
}

/** The write rule: a value fetched before an invalidation is stored stale or refused, never fresh. */
export function writeRuleCases(it: CaseFunction, f: ConformanceFixture): void {
  it('stores a value fetched before a stale mark stale, and one fetched after it fresh', async () => {
    const before = f.now()
    await write(f, f.key('a'), { indexes: [index(f, 't')], createdAt: before - 1000 })
    f.advance(2)
    await f.store.invalidate({ index: index(f, 't') }, request(f))
    const marked = f.now()
    assert.equal(await write(f, f.key('a'), { indexes: [index(f, 't')], createdAt: before }), true)
    assert.deepEqual(await headerOf(f, f.key('a')), { createdAt: before, freshUntil: before, expiresAt: before + TTL_MS * 10, invalidatedAt: marked, fetchMs: 0 })
    f.advance(1)
    assert.equal(await write(f, f.key('a'), { indexes: [index(f, 't')] }), true)
    assert.equal((await headerOf(f, f.key('a')))?.freshUntil, f.now() + LIFETIME_MS)
  })

  it('refuses a value fetched before a purge, and stores one fetched after it', async () => {
    const before = f.now()
    await write(f, f.key('a'), { indexes: [index(f, 't')], createdAt: before - 1000 })
    f.advance(2)
    await f.store.invalidate({ keys: [f.key('a')] }, request(f, 'purge'))
    assert.equal(await write(f, f.key('a'), { indexes: [index(f, 't')], createdAt: before }), false)
    assert.equal((await headerOf(f, f.key('a')))?.expiresAt, 0)
    assert.equal(await write(f, f.key('a'), { indexes: [index(f, 't')], value: 'after' }), true)
    assert.equal(decodeEntry(await f.store.get(f.key('a')) as Uint8Array, f.key('a')).value, 'after')
  })

  it('applies an index stamp to a key that was never stored (a miss fetch in flight)', async () => {
    const before = f.now()
    f.advance(2)
    await f.store.invalidate({ index: index(f, 's') }, request(f))
    await f.store.invalidate({ index: index(f, 'p') }, request(f, 'purge'))
    assert.equal(await write(f, f.key('stale'), { indexes: [index(f, 's')], createdAt: before }), true)
    assert.equal((await headerOf(f, f.key('stale')))?.freshUntil, before)
    assert.equal(await write(f, f.key('refused'), { indexes: [index(f, 'other'), index(f, 'p')], createdAt: before }), false)
    assert.equal(await f.store.get(f.key('refused')), undefined)
    assert.equal(await write(f, f.key('fresh'), { indexes: [index(f, 's')] }), true)
    assert.equal((await headerOf(f, f.key('fresh')))?.freshUntil, f.now() + LIFETIME_MS)
  })

  it('refuses a value fetched before the tombstone a missing key got', async () => {
    const before = f.now()
    f.advance(1)
    await f.store.invalidate({ keys: [f.key('gone')] }, request(f))
    assert.equal(await write(f, f.key('gone'), { createdAt: before }), false)
    assert.equal(await write(f, f.key('gone')), true)
  })
}
