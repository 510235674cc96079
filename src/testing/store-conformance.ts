/**
 * `storeConformance`: the suite every `Store` driver passes (byte round trips,
 * ordered multi-reads, compare-and-set on `createdAt`, staleness marks,
 * refresh locks on the logical clock, and invalidation: indexes, stale and
 * purge marks, and the write rule that lets an invalidation win). It brings no test framework: the
 * caller passes its own `describe`, `it`, `beforeEach` and `afterEach`
 * (vitest, jest, mocha and `node:test` all fit), and the cases assert with
 * `node:assert/strict`.
 */
import type { Store } from '../stores/store.js'
import { compareAndSetCases, entryCases, expireCases } from './entry-cases.js'
import { type CaseFunction, ConformanceFixture, type HookFunction, type SuiteFunction } from './fixture.js'
import { invalidationCases, writeRuleCases } from './invalidation-cases.js'
import { claimCases, lockCases, lockReleaseCases } from './lock-cases.js'

export type { CaseFunction, HookFunction, SuiteFunction } from './fixture.js'

/** What a driver's factory returns: the store, and how to dispose of it after a case. */
export interface StoreUnderTest {
  /** A store ready to use, empty of the case's keys. */
  store: Store
  /** Called after each case: close what `makeStore` opened. */
  cleanup(): Promise<void>
}

/** Options of {@link storeConformance}. */
export interface StoreConformanceOptions {
  /** Name of the driver setup, in the group title (`Store conformance: <name>`). */
  name: string
  /** Makes a fresh store for each case (called in `beforeEach`). */
  makeStore: () => StoreUnderTest | Promise<StoreUnderTest>
  /** The framework's `describe`. */
  describe: SuiteFunction
  /** The framework's `it` (or `test`). */
  it: CaseFunction
  /** The framework's `beforeEach`. */
  beforeEach: HookFunction
  /** The framework's `afterEach`. */
  afterEach: HookFunction
}

/**
 * Registers the conformance suite of one store driver with the caller's test
 * framework.
 * @example
 * import { describe, it, beforeEach, afterEach } from 'vitest'
 * import { storeConformance } from 'graphql-cacheback/testing'
 * storeConformance({ name: 'MyStore', makeStore: () => ({ store: new MyStore(), cleanup: async () => {} }), describe, it, beforeEach, afterEach })
 */
export function storeConformance(options: StoreConformanceOptions): void {
  const { describe, it } = options
  describe(`Store conformance: ${options.name}`, () => {
    const fixture = new ConformanceFixture()
    let subject: StoreUnderTest | undefined
    options.beforeEach(async () => {
      subject = await options.makeStore()
      fixture.reset(subject.store)
    })
    options.afterEach(async () => {
      await subject?.cleanup()
      subject = undefined
    })
    describe('entries', () => entryCases(it, fixture))
    describe('compare-and-set on createdAt', () => compareAndSetCases(it, fixture))
    describe('expire (mark stale)', () => expireCases(it, fixture))
    describe('refresh locks', () => {
      lockCases(it, fixture)
      lockReleaseCases(it, fixture)
    })
    describe('refresh claims', () => claimCases(it, fixture))
    describe('invalidation', () => {
      invalidationCases(it, fixture)
      writeRuleCases(it, fixture)
    })
  })
}
