/**
 * The fresh / stale / refetch / miss decision: a pure function of the entry,
 * the time and the policy. No store, no clock, no I/O.
 */
import { describe, expect, it } from 'vitest'
import { decide } from '../src/index.js'
import { ageSeconds, olderThan } from '../src/policy.js'

const createdAt = 1_700_000_000_000
/** Fresh for 10 s, gone after 100 s. */
const entry = { value: 'v', createdAt, freshUntil: createdAt + 10_000, expiresAt: createdAt + 100_000 }
const at = (seconds: number) => createdAt + seconds * 1000
const kind = (...args: Parameters<typeof decide>) => decide(...args).kind

describe('decide()', () => {
  it('is a miss without an entry, whatever the policy', () => {
    expect(decide(undefined, at(0))).toEqual({ kind: 'miss', fetch: true })
    expect(kind(undefined, at(0), { refetchStale: olderThan(0) })).toBe('miss')
  })

  it('says whether a miss fetches, from the fetchOnMiss hook', () => {
    expect(decide(undefined, at(0), { fetchOnMiss: () => false })).toEqual({ kind: 'miss', fetch: false })
    expect(decide(entry, at(100), { fetchOnMiss: () => true })).toEqual({ kind: 'miss', fetch: true })
  })

  it('is a hit from createdAt until just before freshUntil, with the entry and its age', () => {
    expect(decide(entry, at(0))).toEqual({ kind: 'hit', entry, age: 0 })
    expect(kind(entry, at(10) - 1)).toBe('hit')
  })

  it('is stale from freshUntil until just before expiresAt', () => {
    expect(decide(entry, at(10))).toEqual({ kind: 'stale', entry, age: 10 })
    expect(kind(entry, at(100) - 1)).toBe('stale')
  })

  it('is a miss from expiresAt on (hard expiry)', () => {
    expect(kind(entry, at(100))).toBe('miss')
    expect(kind(entry, at(10_000))).toBe('miss')
  })

  it('refetches a stale entry strictly older than fetchOnStaleThreshold; at exactly the threshold it is served stale', () => {
    const policy = { refetchStale: olderThan(60) }
    expect(kind(entry, at(60) - 1, policy)).toBe('stale')
    expect(kind(entry, at(60), policy)).toBe('stale')
    expect(kind(entry, at(60) + 1, policy)).toBe('refetch')
    expect(decide(entry, at(61), policy)).toEqual({ kind: 'refetch', entry, age: 61 })
    expect(kind(entry, at(100) - 1, policy)).toBe('refetch')
    expect(kind(entry, at(100), policy)).toBe('miss')
  })

  it('never refetches a fresh entry, even past the threshold', () => {
    expect(kind(entry, at(5), { refetchStale: olderThan(1) })).toBe('hit')
    expect(kind(entry, at(10), { refetchStale: olderThan(1) })).toBe('refetch')
  })

  it('treats an entry marked stale (freshUntil lowered to createdAt) as stale at once', () => {
    const invalidated = { ...entry, freshUntil: createdAt }
    expect(kind(invalidated, at(0))).toBe('stale')
  })

  it('treats a clock behind createdAt as fresh, with age 0', () => {
    expect(decide(entry, createdAt - 5_000)).toEqual({ kind: 'hit', entry, age: 0 })
    expect(ageSeconds(entry, createdAt - 5_000)).toBe(0)
  })

  it('reports age in seconds, fractions kept', () => {
    expect(ageSeconds(entry, at(12.5))).toBe(12.5)
  })

  it('does not look at the value or mutate the entry', () => {
    const frozen = Object.freeze({ ...entry })
    expect(kind(frozen, at(50))).toBe('stale')
    expect(frozen).toEqual(entry)
  })
})
