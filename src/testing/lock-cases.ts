/** Conformance cases of refresh locks, on the logical clock. */
import assert from 'node:assert/strict'
import type { LockResult, RefreshPath } from '../stores/store.js'
import { type CaseFunction, type ConformanceFixture, bytesOf } from './fixture.js'

/** The lock key of the cases, its refresh timeout and real-time safety net (ms). */
const LOCK = 'lock'
const REFRESH_TIMEOUT_MS = 60_000
const LOCK_TTL_MS = 120_000

/** Tries the case's lock with `token`: what `acquireLock` answers. */
function attempt(f: ConformanceFixture, token: string): Promise<LockResult> {
  return f.store.acquireLock(f.key(LOCK), { now: f.now(), until: f.now() + REFRESH_TIMEOUT_MS, token, ttlMs: LOCK_TTL_MS })
}

/** True when `token` took the case's lock. */
async function lock(f: ConformanceFixture, token: string): Promise<boolean> {
  return (await attempt(f, token)) === 'acquired'
}

/** Taking a lock: once, per key, until its logical expiry, failed marks. */
export function lockCases(it: CaseFunction, f: ConformanceFixture): void {
  it('tells a lock held by a failed refresh from a running one, until it lapses', async () => {
    assert.equal(await attempt(f, 'a'), 'acquired')
    assert.equal(await attempt(f, 'b'), 'held')
    await f.store.markLockFailed(f.key(LOCK), 'b') // not the holder: no effect
    assert.equal(await attempt(f, 'b'), 'held')
    await f.store.markLockFailed(f.key(LOCK), 'a')
    assert.equal(await attempt(f, 'b'), 'failed')
    await f.store.releaseLock(f.key(LOCK), 'a') // the failed holder can still release it
    assert.equal(await attempt(f, 'b'), 'acquired')
    await f.store.markLockFailed(f.key(LOCK), 'b')
    f.advance(60)
    assert.equal(await attempt(f, 'c'), 'acquired')
    await f.store.markLockFailed(f.key('missing-lock'), 'x')
  })

  it('is taken once and refused to others until its logical expiry', async () => {
    assert.equal(await lock(f, 'a'), true)
    assert.equal(await lock(f, 'b'), false)
    f.advance(59.999)
    assert.equal(await lock(f, 'b'), false)
    f.advance(0.001)
    assert.equal(await lock(f, 'b'), true)
    assert.equal(await lock(f, 'a'), false)
  })

  it('is independent per lock key', async () => {
    assert.equal(await lock(f, 'a'), true)
    assert.equal(await f.store.acquireLock(f.key('other'), { now: f.now(), until: f.now() + 1000, token: 'b', ttlMs: 1000 }), 'acquired')
  })

  it('goes to exactly one of 50 concurrent callers', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => lock(f, `caller-${i}`)))
    assert.equal(results.filter(Boolean).length, 1)
  })

  it('is taken before its expiry by a request covering a newer entry than the lock does', async () => {
    const cover = (token: string, covers?: number) => f.store.acquireLock(f.key(LOCK), { now: f.now(), until: f.now() + REFRESH_TIMEOUT_MS, token, ttlMs: LOCK_TTL_MS, covers })
    assert.equal(await cover('a', 1000), 'acquired')
    assert.equal(await cover('b', 1000), 'held') // the same entry
    assert.equal(await cover('b', 999), 'held') // an older one
    assert.equal(await cover('b'), 'held') // no entry (a miss)
    await f.store.releaseLock(f.key(LOCK), 'a', { until: f.now() + 120_000, ttlMs: 240_000 }) // the hold keeps covering entry 1000
    assert.equal(await cover('b', 1000), 'held')
    assert.equal(await cover('b', 2000), 'acquired') // a read of the new entry: refresh ahead of its lifetime
    await f.store.markLockFailed(f.key(LOCK), 'b')
    assert.equal(await cover('c', 2000), 'failed')
    assert.equal(await cover('c', 2001), 'acquired')
    // Taken for a miss (covering no entry), the lock goes to a request covering any entry.
    await f.store.releaseLock(f.key(LOCK), undefined)
    assert.equal(await cover('d'), 'acquired')
    assert.equal(await cover('e'), 'held')
    assert.equal(await cover('e', 0), 'acquired')
  })
}

/** Releasing a lock: by its token only, with a hold, without a token. */
export function lockReleaseCases(it: CaseFunction, f: ConformanceFixture): void {
  it('is released only by the token that holds it', async () => {
    assert.equal(await lock(f, 'a'), true)
    await f.store.releaseLock(f.key(LOCK), 'b')
    assert.equal(await lock(f, 'c'), false)
    await f.store.releaseLock(f.key(LOCK), 'a')
    assert.equal(await lock(f, 'c'), true)
    await f.store.releaseLock(f.key('missing-lock'), 'c')
  })

  it('is kept until a later logical time when released with a hold', async () => {
    assert.equal(await lock(f, 'a'), true)
    await f.store.releaseLock(f.key(LOCK), 'b', { until: f.now() + 120_000, ttlMs: 240_000 })
    f.advance(61)
    assert.equal(await lock(f, 'b'), true) // a hold by a non-holder changed nothing
    await f.store.releaseLock(f.key(LOCK), 'b', { until: f.now() + 120_000, ttlMs: 240_000 })
    f.advance(119)
    assert.equal(await lock(f, 'c'), false)
    f.advance(1)
    assert.equal(await lock(f, 'c'), true)
  })

  it('is released whoever holds it when no token is given', async () => {
    assert.equal(await lock(f, 'a'), true)
    await f.store.releaseLock(f.key(LOCK), undefined)
    assert.equal(await lock(f, 'b'), true)
    await f.store.releaseLock(f.key('missing-lock'), undefined)
  })

  it('is handed over by the write that ends a refresh (setAndReleaseLock, or set then releaseLock where a driver lacks it)', async () => {
    const setAndRelease = (data: Uint8Array, createdAt: number, token: string, holdMs?: number) => {
      const options = { createdAt, ttlMs: LOCK_TTL_MS }
      const release = { lockKey: f.key(LOCK), token, hold: holdMs === undefined ? undefined : { until: f.now() + holdMs, ttlMs: holdMs * 2 } }
      if (f.store.setAndReleaseLock) return f.store.setAndReleaseLock(f.key('k'), data, options, release)
      return f.store.set(f.key('k'), data, options).then(async (written) => (await f.store.releaseLock(release.lockKey, release.token, release.hold), written))
    }
    assert.equal(await lock(f, 'a'), true)
    const first = f.entryAt(f.now(), 'first')
    assert.equal(await setAndRelease(first, f.now(), 'a', 120_000), true)
    assert.deepEqual(bytesOf(await f.store.get(f.key('k'))), first)
    f.advance(61)
    assert.equal(await lock(f, 'b'), false) // held by a's hand-over until 120 s after the write, past the lock's own 60 s
    f.advance(59)
    assert.equal(await lock(f, 'b'), true)
    // A refused (older) write still releases the lock; a wrong token releases nothing.
    assert.equal(await setAndRelease(f.entryAt(f.now() - 1_000_000, 'older'), f.now() - 1_000_000, 'b'), false)
    assert.deepEqual(bytesOf(await f.store.get(f.key('k'))), first)
    assert.equal(await lock(f, 'c'), true)
    assert.equal(await setAndRelease(f.entryAt(f.now(), 'third'), f.now(), 'not-c'), true)
    assert.equal(await lock(f, 'd'), false)
  })

  it('handles tokens containing colons', async () => {
    assert.equal(await lock(f, 'host:1234:abc'), true)
    await f.store.releaseLock(f.key(LOCK), '1234:abc')
    assert.equal(await lock(f, 'other'), false)
    await f.store.releaseLock(f.key(LOCK), 'host:1234:abc')
    assert.equal(await lock(f, 'other'), true)
  })
}

/** Refresh claims: one path (in-process or queue) runs a lock token's refresh. */
export function claimCases(it: CaseFunction, f: ConformanceFixture): void {
  const claim = (token: string, via: RefreshPath, lockKey = f.key('lock')) => f.store.claimRefresh(lockKey, { token, via, ttlMs: 120_000 })

  it('lets the first path run a token, refuses the other, and lets the first claim it again', async () => {
    assert.equal(await claim('a', 'in-process'), true)
    assert.equal(await claim('a', 'queue'), false) // the late queued job
    assert.equal(await claim('a', 'in-process'), true)
    assert.equal(await claim('b', 'queue'), true) // a later dispatch
    assert.equal(await claim('b', 'queue'), true) // its job delivered again (a stalled job rerun)
    assert.equal(await claim('b', 'in-process'), false)
    assert.equal(await claim('a', 'queue', f.key('other-lock')), true) // independent per lock key
  })

  it('handles tokens containing colons in claims', async () => {
    assert.equal(await claim('host:1:abc', 'queue'), true)
    assert.equal(await claim('1:abc', 'in-process'), true) // another token
    assert.equal(await claim('1:abc', 'queue'), false)
  })

  it('goes to exactly one path of 50 concurrent claims of one token', async () => {
    const vias: RefreshPath[] = Array.from({ length: 50 }, (_, i) => (i % 2 ? 'queue' : 'in-process'))
    const results = await Promise.all(vias.map((via) => claim('t', via)))
    const winners = new Set(vias.filter((_, i) => results[i]))
    assert.equal(winners.size, 1)
    assert.equal(results.filter(Boolean).length, 25) // every claim of the winning path, none of the other
  })
}
