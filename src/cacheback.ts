/**
 * `Cacheback`: a stale-while-revalidate cache. Its public surface is what
 * users call; the read path (`read.ts`), fetching (`fetch.ts`) and refreshes
 * (`refresh/`) work on its internal `CacheCore`. Everything that can fail in
 * the background is reported through `onEvent`, never thrown at a reader.
 */
import { CacheCore, type CachebackOptions } from './core.js'
import type { Entry } from './entry.js'
import type { CachebackEvent, EventListener } from './events.js'
import { encodeForStore, fetchAndStore, storeBytes } from './fetch.js'
import type { AnyJob, Job, JobCache } from './job.js'
import { entryIndexes } from './invalidation/index-keys.js'
import { runInvalidation } from './invalidation/invalidate.js'
import { type InvalidateOptions, type InvalidationMode, type InvalidationSelector, type ResolvedSelector, modeOf, resolveSelector } from './invalidation/selectors.js'
import type { L1 } from './l1/l1.js'
import { type CacheRead, act, peekEntry, readLocal, readMany, readOne } from './read.js'
import { AHEAD, fieldHit, readLocalAhead } from './l1/field-hit.js'
import type { HeldEntry } from './l1/local-tier.js'
import type { RefreshRequest, RefreshRunner, Refresher } from './refresh/refresher.js'
import { claimAhead, runRefresh } from './refresh/run.js'
import type { UnknownJobExplainer } from './registry.js'
import type { PeekResult, ReadResult } from './results.js'
import type { Store } from './stores/store.js'

export type { CachebackOptions } from './core.js'
export type { CacheRead } from './read.js'
export type { InvalidateOptions, InvalidationMode, InvalidationSelector } from './invalidation/selectors.js'

/** A stale-while-revalidate cache. */
export class Cacheback implements JobCache, RefreshRunner {
  private readonly core: CacheCore

  constructor(options: CachebackOptions = {}) {
    this.core = new CacheCore(options, (request) => runRefresh(this.core, request))
  }

  /** Where entries and refresh locks live. */
  get store(): Store {
    return this.core.store
  }
  /** Who runs refreshes. */
  get refresher(): Refresher {
    return this.core.refresher
  }
  /** Prefix of every key. */
  get namespace(): string {
    return this.core.namespace
  }
  /** The cache's clock, ms epoch. */
  get now(): () => number {
    return this.core.now
  }

  // ---- reads -------------------------------------------------------------

  /** Reads through the cache for a job's prepared `args`: hit, stale (refresh dispatched) or miss. */
  read<T>(job: Job<any[], T>, args: unknown[]): Promise<ReadResult<T>> {
    return readOne<T>(this.core, { job, args })
  }

  /** Many reads with one store round-trip; each promise settles on its own. */
  readMany(reads: readonly CacheRead[]): Promise<ReadResult<unknown>>[] {
    return readMany(this.core, reads)
  }

  /** Looks at an entry without fetching or dispatching. */
  peek<T>(job: Job<any[], T>, args: unknown[]): Promise<PeekResult<T>> {
    return peekEntry<T>(this.core, job, args)
  }

  /** Full key of a job's prepared arguments. */
  keyOf(job: AnyJob, args: readonly unknown[]): string {
    return this.core.keyOf(job, args)
  }

  // ---- writes ------------------------------------------------------------

  /** Stores a value as freshly fetched now (the `set` operation). */
  async write(job: AnyJob, args: unknown[], value: unknown): Promise<void> {
    const call = { job, args, key: this.core.keyOf(job, args) }
    const createdAt = this.core.now()
    await storeBytes(this.core, call, { bytes: encodeForStore(this.core, call, value, { createdAt }), createdAt, indexes: entryIndexes({ namespace: this.core.namespace, job, args, value }) })
  }

  /** Fetches now, stores and returns (the `refresh` operation). */
  async refresh<T>(job: Job<any[], T>, args: unknown[]): Promise<T> {
    const { value, written } = await fetchAndStore(this.core, { job, args, key: this.core.keyOf(job, args) })
    await written
    return value as T
  }

  /** Removes an entry (the `delete` operation): the next read is a miss. With `l1`, resolves once every process has been told (bus published). */
  async remove(job: AnyJob, args: unknown[]): Promise<void> {
    const key = this.core.keyOf(job, args)
    await this.forgetAfter(key, this.core.store.delete(key))
  }

  /**
   * Invalidates every entry a selector reaches: `{ tag }`, `{ entity: { type,
   * id } }`, or `{ job, args? }` (a job or its name; with `args`, its one
   * entry). Mode `stale` (default): the next read serves the old value once
   * and dispatches a refresh; `purge`: the next read is a miss. A refresh
   * that started before never makes an entry fresh again. Seen by every
   * process sharing the store. Resolves with the number of stored entries
   * marked or removed. GraphQL coordinates: `cachebackDirective(...).invalidate`.
   * @example await cache.invalidate({ tag: 'tweets:ann' }, { mode: 'purge' })
   */
  async invalidate(selector: InvalidationSelector, options?: InvalidateOptions): Promise<number> {
    return runInvalidation(this.core, resolveSelector(this.core, selector), modeOf(options))
  }

  /** Marks an entry stale (a job's `invalidate`): the next read serves it once and dispatches a refresh. */
  async markStale(job: AnyJob, args: unknown[]): Promise<void> {
    const key = this.core.keyOf(job, args)
    await runInvalidation(this.core, { target: { keys: [key] }, kind: 'key', job: job.name, coordinate: job.coordinate }, 'stale')
  }

  /** Drops `key` from the tier and announces it once `change` settles (it may land even when it fails); rejects as `change` did. */
  private async forgetAfter(key: string, change: Promise<unknown>): Promise<void> {
    const l1 = this.core.l1
    if (l1 === undefined) {
      await change
      return
    }
    try {
      await change
    } finally {
      await l1.forget([key])
    }
  }

  // ---- jobs, events, lifecycle --------------------------------------------

  /** Registers a job under its name (a different job with a taken name is `E_DUPLICATE_JOB`). Reads register the jobs they are given. */
  register(job: AnyJob): void {
    this.core.registry.add(job)
  }

  /** The registered job of that name, if any. */
  findJob(name: string): AnyJob | undefined {
    return this.core.registry.get(name)
  }

  /** Adds an event listener besides `onEvent`; returns a function that removes it. */
  addListener(listener: EventListener): () => void {
    return this.core.listeners.add(listener)
  }

  /** Resolves when every background task of this process (dispatches, in-process refreshes, writes) has finished. */
  drain(): Promise<void> {
    return this.core.background.drain()
  }

  /** Waits for background work, then closes the refresher, the bus (when the cache opened it) and the store. */
  async close(): Promise<void> {
    await this.drain()
    await this.core.refresher.close()
    await this.core.l1?.close()
    await this.core.store.close()
  }

  // ---- for integrations and workers ----------------------------------------

  /** @internal Runs one dispatched refresh (workers). Rejects on failure, already reported. */
  runRefresh(request: RefreshRequest): Promise<void> {
    return this.core.runRefresh(request)
  }

  /** @internal Starts the claim of a refresh that will run later (`RefreshRequest.claim`); undefined when it would fail first. */
  claimRefresh(request: RefreshRequest): Promise<boolean> | undefined {
    return claimAhead(this.core, request)
  }

  /** @internal Reports an event to the listeners. */
  emit(event: CachebackEvent): void {
    this.core.emit(event)
  }

  /** @internal Tracks background work for `drain()`. */
  track(promise: Promise<unknown>): void {
    this.core.track(promise)
  }

  /** @internal Names a family of job names (`graphql:`) with its own unknown-job error. */
  addJobFamily(prefix: string, explain: UnknownJobExplainer): void {
    this.core.registry.addFamily(prefix, explain)
  }

  /** @internal Acts on an entry already read, as a read that got it from the store would. */
  resolve<T>(job: AnyJob, key: string, args: unknown[], entry: Entry<T> | undefined): Promise<ReadResult<T>> {
    return act(this.core, { job, args, key }, key, entry)
  }

  /** @internal Invalidates a resolved selector (the directive's coordinates resolve to these). */
  invalidateResolved(resolved: ResolvedSelector, mode: InvalidationMode): Promise<number> {
    return runInvalidation(this.core, resolved, mode)
  }

  /**
   * @internal A fresh hit from the in-process tier, synchronously (the
   * GraphQL hit path answers from it without a promise); undefined when the
   * tier holds no fresh entry of `key`, or there is no tier.
   */
  readL1<T>(job: AnyJob, key: string, args: unknown[]): ReadResult<T> | undefined {
    return this.core.l1 === undefined ? undefined : readLocal<T>(this.core, job, args, key)
  }

  /** @internal The GraphQL fast path's in-process hit (`l1/field-hit.ts`): the fresh held entry of `key`, `AHEAD`, or undefined. */
  fieldHitL1(job: AnyJob, key: string, beta: number): HeldEntry | typeof AHEAD | undefined {
    return fieldHit(this.core, job, key, beta)
  }

  /** @internal Finishes an in-process hit that `fieldHitL1` drew a refresh ahead for. */
  readL1Ahead<T>(job: AnyJob, key: string, args: unknown[]): ReadResult<T> | undefined {
    return readLocalAhead<T>(this.core, job, args, key)
  }

  /** @internal The value a hit on a held entry serves (the frozen one, or a fresh copy). */
  heldValue(held: HeldEntry): unknown {
    return this.core.l1!.local!.valueOf(held)
  }

  /** @internal The key of a read whose key depends on `id` alone (a field of an `{ id }` parent, no arguments): remembered with `l1`. */
  keyOfId(job: AnyJob, id: unknown, args: readonly unknown[]): string {
    return this.core.keyOfId(job, id, args)
  }

  /** @internal The in-process tier and its bus (invalidation code calls `forget(keys)` with the keys it reached). */
  get l1(): L1 | undefined {
    return this.core.l1
  }

  /** @internal Reads and decodes one entry (store failures and corrupt data read as a miss). */
  readEntry<T>(job: AnyJob, key: string): Promise<Entry<T> | undefined> {
    return this.core.readEntry<T>(job, key, false)
  }
}
