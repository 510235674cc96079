/** Conformance cases of entries: round trips, multi-reads, compare-and-set, staleness marks. */
import assert from 'node:assert/strict'
import { ENTRY_LAYOUT, decodeEntry, encodeEntry, readHeader } from '../entry.js'
import { type CaseFunction, type ConformanceFixture, LIFETIME_MS, TTL_MS, bytesOf } from './fixture.js'

/** Byte round trips, missing keys, binary safety, copies, ordered multi-reads. */
export function entryCases(it: CaseFunction, f: ConformanceFixture): void {
  it('round-trips bytes through set, get and delete', async () => {
    const data = f.entryAt(f.now(), { name: 'ann', when: new Date(0), tags: ['a', 'b'] })
    assert.equal(await f.write(f.key('a'), data), true)
    assert.deepEqual(bytesOf(await f.store.get(f.key('a'))), data)
    assert.deepEqual(decodeEntry((await f.store.get(f.key('a'))) as Uint8Array, f.key('a')).value, { name: 'ann', when: new Date(0), tags: ['a', 'b'] })
    await f.store.delete(f.key('a'))
    assert.equal(await f.store.get(f.key('a')), undefined)
  })

  it('reads a missing key as undefined and deletes a missing key quietly', async () => {
    assert.equal(await f.store.get(f.key('nothing')), undefined)
    assert.equal(await f.store.delete(f.key('nothing')), undefined)
  })

  it('keeps every byte value (binary safe)', async () => {
    const data = Buffer.concat([f.entryAt(f.now()), Buffer.from([0x00, 0xff, 0xfe, 0xc3, 0x28, 0x0d, 0x0a, 0x00])])
    await f.write(f.key('bin'), data)
    assert.deepEqual(bytesOf(await f.store.get(f.key('bin'))), data)
  })

  it('stores a copy, so the caller may reuse its buffer', async () => {
    const data = f.entryAt(f.now())
    const original = Buffer.from(data)
    await f.write(f.key('copy'), data)
    data.fill(0)
    assert.deepEqual(bytesOf(await f.store.get(f.key('copy'))), original)
  })

  it('reads many keys in order, with undefined for the missing ones', async () => {
    const [a, c] = [f.entryAt(f.now(), 'a'), f.entryAt(f.now(), 'c')]
    await f.write(f.key('a'), a)
    await f.write(f.key('c'), c)
    const read = await f.store.getMany([f.key('a'), f.key('b'), f.key('c'), f.key('d'), f.key('a')])
    assert.deepEqual(read.map(bytesOf), [a, undefined, c, undefined, a])
    assert.deepEqual(await f.store.getMany([]), [])
  })
}

/** Writes refuse an older `createdAt` and overwrite foreign data. */
export function compareAndSetCases(it: CaseFunction, f: ConformanceFixture): void {
  it('refuses an entry older than the stored one and keeps the stored one', async () => {
    const newer = f.entryAt(f.now(), 'newer')
    await f.write(f.key('k'), newer)
    const older = f.entryAt(f.now() - 1, 'older')
    assert.equal(await f.write(f.key('k'), older, f.now() - 1), false)
    assert.deepEqual(bytesOf(await f.store.get(f.key('k'))), newer)
  })

  it('accepts an entry with an equal or newer createdAt', async () => {
    await f.write(f.key('k'), f.entryAt(f.now(), 'first'))
    const same = f.entryAt(f.now(), 'same time')
    assert.equal(await f.write(f.key('k'), same), true)
    assert.deepEqual(bytesOf(await f.store.get(f.key('k'))), same)
    f.advance(1)
    const newer = f.entryAt(f.now(), 'newer')
    assert.equal(await f.write(f.key('k'), newer), true)
    assert.deepEqual(bytesOf(await f.store.get(f.key('k'))), newer)
  })

  it('replaces an entry that cannot be right: created after the new one yet already expired at its creation', async () => {
    const now = f.now()
    const impossible = encodeEntry({ value: 'from the future', createdAt: now + 86_400_000, freshUntil: now - 2000, expiresAt: now - 1000 })
    assert.equal(await f.write(f.key('k'), impossible, now + 86_400_000), true)
    const entry = f.entryAt(now, 'now')
    assert.equal(await f.write(f.key('k'), entry, now), true)
    assert.deepEqual(bytesOf(await f.store.get(f.key('k'))), entry)
  })

  it('keeps an entry created after the new one while it has not expired (a clock ahead of ours)', async () => {
    const now = f.now()
    const ahead = f.entryAt(now + 5000, 'ahead')
    assert.equal(await f.write(f.key('k'), ahead, now + 5000), true)
    assert.equal(await f.write(f.key('k'), f.entryAt(now, 'now'), now), false) // still valid at `now`: the newer one wins
    assert.deepEqual(bytesOf(await f.store.get(f.key('k'))), ahead)
  })

  it('overwrites data that is not an entry of this format', async () => {
    const { magic } = ENTRY_LAYOUT
    // Another format version, older (v2, before fetchMs) or newer, is foreign data too.
    const otherVersion = (version: number) => Buffer.from([magic, version, ...f.entryAt(Number.MAX_VALUE).subarray(2)])
    const foreign = [Buffer.from('plain text'), Buffer.from([magic, ENTRY_LAYOUT.version, 0x00]), otherVersion(ENTRY_LAYOUT.version - 1), otherVersion(ENTRY_LAYOUT.version + 1)]
    for (const [i, data] of foreign.entries()) {
      assert.equal(await f.write(f.key(`f${i}`), data, Number.MAX_VALUE), true)
      const entry = f.entryAt(0)
      assert.equal(await f.write(f.key(`f${i}`), entry, 0), true)
      assert.deepEqual(bytesOf(await f.store.get(f.key(`f${i}`))), entry)
    }
  })
}

/** `expire` lowers `freshUntil` only, and only on an entry of this format. */
export function expireCases(it: CaseFunction, f: ConformanceFixture): void {
  it('lowers freshUntil and keeps the value and createdAt', async () => {
    const createdAt = f.now()
    const data = f.entryAt(createdAt, { kept: true })
    await f.write(f.key('e'), data)
    f.advance(5)
    assert.equal(await f.store.expire(f.key('e'), f.now()), true)
    const stored = (await f.store.get(f.key('e'))) as Uint8Array
    assert.deepEqual(readHeader(stored), { createdAt, freshUntil: f.now(), expiresAt: createdAt + TTL_MS * 10, invalidatedAt: 0, fetchMs: 0 })
    assert.deepEqual(decodeEntry(stored, f.key('e')).value, { kept: true })
    assert.deepEqual(bytesOf(stored)?.subarray(ENTRY_LAYOUT.headerBytes), data.subarray(ENTRY_LAYOUT.headerBytes))
  })

  it('never makes an entry fresher', async () => {
    const data = f.entryAt(f.now())
    await f.write(f.key('e'), data)
    assert.equal(await f.store.expire(f.key('e'), f.now() + LIFETIME_MS * 2), true)
    assert.deepEqual(bytesOf(await f.store.get(f.key('e'))), data)
  })

  it('is a no-op for a missing key or foreign data', async () => {
    assert.equal(await f.store.expire(f.key('missing'), f.now()), false)
    assert.equal(await f.store.get(f.key('missing')), undefined)
    await f.write(f.key('foreign'), Buffer.from('not an entry, but long enough to hold a header'))
    assert.equal(await f.store.expire(f.key('foreign'), f.now()), false)
    assert.equal(bytesOf(await f.store.get(f.key('foreign')))?.toString(), 'not an entry, but long enough to hold a header')
  })
}
