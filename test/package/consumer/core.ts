/**
 * A strict TypeScript consumer of the entry points that need no GraphQL
 * package: the root, `/redis` (peer ioredis), `/bee-queue` (peer bee-queue)
 * and `/testing`. Compiled by test/package/package.test.ts against the packed
 * package (no `skipLibCheck`, with ioredis and bee-queue installed but neither
 * `graphql` nor `@types/redis`), and by `npm run typecheck` against src/.
 * The `@ts-expect-error` lines are the type-level tests: each must fail.
 */
import { Cacheback, CachebackError, type CachebackEvent, type Store, InProcessRefresher, MemoryStore, cacheback, configure, decodeEntry, encodeEntry, isCachebackError, readHeader, withFreshUntil, ENTRY_LAYOUT } from 'graphql-cacheback'
import { RedisStore, type RedisClient } from 'graphql-cacheback/redis'
import { BeeQueueRefresher, createRefreshWorker, type RefreshWorker } from 'graphql-cacheback/bee-queue'
import { storeConformance } from 'graphql-cacheback/testing'

// fetchOnMiss: false makes a miss resolve to null, so a call is Promise<T | null>; otherwise Promise<T>.
const lookup = async (id: string): Promise<{ id: string }> => ({ id })
const maybe = cacheback(lookup, { name: 'maybe', fetchOnMiss: false })
const always = cacheback(lookup, { name: 'always' })
export const maybeValue: Promise<{ id: string } | null> = maybe('a')
// @ts-expect-error without fetchOnMiss the value may be null, so it is not a Promise<T>
export const notNull: Promise<{ id: string }> = maybe('a')
export const alwaysValue: Promise<{ id: string }> = always('a')
// @ts-expect-error the arguments are typed
void always(1)

export function setup(redisUrl: string): { cache: Cacheback; worker: RefreshWorker } {
  const cache = new Cacheback({ store: new RedisStore({ redis: redisUrl, commandTimeoutMs: 250 }), refresher: new BeeQueueRefresher({ redis: { host: '127.0.0.1', port: 6379 } }) })
  cache.addListener((event: CachebackEvent) => {
    if (event.type === 'store-error' && isCachebackError(event.error, 'E_STORE_TIMEOUT')) console.log(event.error.code)
  })
  configure({ store: new MemoryStore(), refresher: new InProcessRefresher() })
  const worker = createRefreshWorker({ cache, jobs: [always], concurrency: 4 })
  worker.queue.on('failed', (_job: unknown, error: Error) => console.log(error.message))
  return { cache, worker }
}

/** Any client with the methods RedisStore calls is accepted (an ioredis 5 one too). */
export const storeOf = (client: RedisClient): RedisStore => new RedisStore({ redis: client })

// The entry header helpers a store driver uses.
const bytes: Buffer = encodeEntry({ value: 1, createdAt: 0, freshUntil: 1, expiresAt: 2 })
export const header = readHeader(withFreshUntil(bytes, 0))
export const value: unknown = decodeEntry(bytes, 'k').value
export const createdAtOffset: number = ENTRY_LAYOUT.createdAtOffset
export const error = new CachebackError('E_INVALID_OPTION', 'x', { job: 'j' })

declare const framework: {
  describe(name: string, body: () => void): void
  it(name: string, body: () => Promise<void>): void
  beforeEach(hook: () => Promise<void>): void
  afterEach(hook: () => Promise<void>): void
}
export function conformance(makeStore: () => Store): void {
  storeConformance({ name: 'mine', makeStore: () => ({ store: makeStore(), cleanup: async () => {} }), ...framework })
}
