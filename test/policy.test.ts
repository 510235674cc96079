/**
 * The fresh / stale / refetch / miss decision: a pure function of the entry,
 * the time and the policy. No store, no clock, no I/O.
 */
import { describe, expect, it } from 'vitest'
import { decide } from '../src/index.js'
import { ageSeconds } from '../src/policy.js'

const createdAt = 1_700_000_000_000
/** Fresh for 10 s, gone after 100 s. */
const entry = { createdAt, freshUntil: createdAt + 10_000, expiresAt: createdAt + 100_000 }
const at = (seconds: number) => createdAt + seconds * 1000

describe('decide()', () => {
  it('is a miss without an entry, whatever the policy', () => {
    expect(decide(undefined, at(0), {})).toBe('miss')
    expect(decide(undefined, at(0), { fetchOnStaleThresholdMs: 0 })).toBe('miss')
  })

  it('is a hit from createdAt until just before freshUntil', () => {
    expect(decide(entry, at(0), {})).toBe('hit')
    expect(decide(entry, at(10) - 1, {})).toBe('hit')
  })

  it('is stale from freshUntil until just before expiresAt', () => {
    expect(decide(entry, at(10), {})).toBe('stale')
    expect(decide(entry, at(100) - 1, {})).toBe('stale')
  })

  it('is a miss from expiresAt on (hard expiry)', () => {
    expect(decide(entry, at(100), {})).toBe('miss')
    expect(decide(entry, at(10_000), {})).toBe('miss')
  })

  it('refetches a stale entry whose age reaches fetchOnStaleThreshold', () => {
    const policy = { fetchOnStaleThresholdMs: 60_000 }
    expect(decide(entry, at(60) - 1, policy)).toBe('stale')
    expect(decide(entry, at(60), policy)).toBe('refetch')
    expect(decide(entry, at(100) - 1, policy)).toBe('refetch')
    expect(decide(entry, at(100), policy)).toBe('miss')
  })

  it('never refetches a fresh entry, even past the threshold', () => {
    expect(decide(entry, at(5), { fetchOnStaleThresholdMs: 1_000 })).toBe('hit')
    expect(decide(entry, at(10), { fetchOnStaleThresholdMs: 1_000 })).toBe('refetch')
  })

  it('treats an entry marked stale (freshUntil lowered to createdAt) as stale at once', () => {
    const invalidated = { ...entry, freshUntil: createdAt }
    expect(decide(invalidated, at(0), {})).toBe('stale')
  })

  it('treats a clock behind createdAt as fresh, with age 0', () => {
    expect(decide(entry, createdAt - 5_000, {})).toBe('hit')
    expect(ageSeconds(entry, createdAt - 5_000)).toBe(0)
  })

  it('reports age in seconds, fractions kept', () => {
    expect(ageSeconds(entry, at(12.5))).toBe(12.5)
  })

  it('does not look at the value or mutate the entry', () => {
    const frozen = Object.freeze({ ...entry })
    expect(decide(frozen, at(50), {})).toBe('stale')
    expect(frozen).toEqual(entry)
  })
})
