/**
 * graphql-cacheback: the core. No integration is loaded from here: Redis,
 * bee-queue, GraphQL and the servers are subpath exports
 * (`graphql-cacheback/redis`, `/bee-queue`, `/graphql`, `/apollo`, …).
 */
export { Cacheback, type CachebackOptions, type CacheRead, type InvalidateOptions, type InvalidationMode, type InvalidationSelector } from './cacheback.js'
export type { EntityRef, EntityId } from './invalidation/entity.js'
export type { TagSelector, EntitySelector, JobSelector } from './invalidation/selectors.js'
export type { ReadResult, PeekResult, RefreshState } from './results.js'
export { configure, getDefaultCache } from './default-cache.js'
export { cacheback, FunctionJob, type CachedFunction } from './decorator.js'
export { Job, type JobOptions, type JobCache, type AnyJob } from './job.js'
export { CachebackError, isCachebackError, type CachebackErrorCode, type CachebackErrorContext } from './errors.js'
export type * from './events.js'
export { decide, type Decision, type ReadPolicy } from './policy.js'
export { stableSerialize, buildKey } from './keys.js'
export type { Store, StoreSetOptions, LockRequest, LockResult, LockHold, InvalidateRequest, InvalidationTarget } from './stores/store.js'
export { MemoryStore, type MemoryStoreOptions } from './stores/memory-store.js'
export { ENTRY_LAYOUT, type Entry, type EntryHeader, encodeEntry, decodeEntry, readHeader, withFreshUntil, withInvalidation, encodeTombstone, isTombstone } from './entry.js'
export { writeVerdict, type WriteVerdict, type IndexStamps } from './invalidation/write-rule.js'
export type { Refresher, RefreshRequest, RefreshRunner } from './refresh/refresher.js'
export { InProcessRefresher } from './refresh/in-process.js'
export type { InvalidationBus, BusListener } from './l1/bus.js'
export type { L1Options } from './l1/options.js'
export type { L1Protection } from './l1/local-tier.js'
export * as defaults from './defaults.js'
