/**
 * `graphql-cacheback/testing`: the store conformance suite, for authors of
 * `Store` drivers (no peer; runs under any test framework). The entry header
 * helpers a driver needs (`ENTRY_LAYOUT`, `readHeader`, `encodeEntry`,
 * `decodeEntry`, `withFreshUntil`) come from the root `graphql-cacheback`.
 */
export {
  storeConformance,
  type StoreConformanceOptions,
  type StoreUnderTest,
  type SuiteFunction,
  type CaseFunction,
  type HookFunction,
} from './store-conformance.js'
