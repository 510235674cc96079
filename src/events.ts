/**
 * Events reported through `onEvent` / `addListener`: a tagged union, each
 * type with exactly its fields, built by one factory per type. Background
 * failures are reported here, never thrown at a caller.
 */

/** What every event about one entry carries. */
interface EntryFields {
  /** Job name (`fetchTweets`, or `graphql:User.tweets` for a field). */
  job: string
  /** Full cache key. */
  key: string
  /** Schema coordinate (`User.tweets`) when the job caches a GraphQL field. */
  coordinate?: string
}

/** Where a hit was served from: this process's in-process tier (`l1`), or the store. */
export type HitTier = 'l1' | 'store'

/** A fresh entry was served. */
export interface HitEvent extends EntryFields {
  type: 'hit'
  /** Age of the entry, seconds. */
  age: number
  /** `l1`: from this process's memory, no store round-trip; `store`: read from the store. */
  tier: HitTier
}
/** A stale entry was served (a refresh is dispatched unless one is in flight). */
export interface StaleEvent extends EntryFields {
  type: 'stale'
  age: number
}
/** Nothing usable was stored (absent, expired, or stale past `fetchOnStaleThreshold`: then `age` is set). */
export interface MissEvent extends EntryFields {
  type: 'miss'
  age?: number
}
/** One fetch of the job's value finished (a read's or a refresh's); `error` when it failed. */
export interface FetchEvent extends EntryFields {
  type: 'fetch'
  /** How long the fetch took on the cache's clock, ms. */
  fetchMs: number
  error?: unknown
}
/** A refresh was handed to a refresher. */
export interface RefreshDispatchedEvent extends EntryFields {
  type: 'refresh-dispatched'
  /** `in-process`, or the refresher's name (`bee-queue`). */
  via: string
  /** Set when a fresh read dispatched it early (refresh ahead), not a stale one. */
  ahead?: true
}
/** A refresh stored its value. */
export interface RefreshSucceededEvent extends EntryFields {
  type: 'refresh-succeeded'
  /** Fetch plus store, on the cache's clock, ms. */
  refreshMs: number
  /** Who ran it: `in-process`, or the refresher that delivered it (`bee-queue` in a worker). */
  via: string
  /** Set for a refresh dispatched ahead (by a fresh read). */
  ahead?: true
}
/** A refresh failed: the stale entry stays, no retry before `refreshTimeout`. Job and key are unknown for unreadable payloads. */
export interface RefreshFailedEvent extends Partial<EntryFields> {
  type: 'refresh-failed'
  error: unknown
  /** Set when the refresh ran (not for refused dispatches or payloads). */
  refreshMs?: number
  /** Who ran it, or would have (`in-process`, `bee-queue`); unset when unknown. */
  via?: string
  /** Set for a refresh dispatched ahead: the entry stays fresh until its lifetime ends (stale-if-error). */
  ahead?: true
}
/** The store, queue or stored data failed; the read fell back (fail open). */
export interface StoreErrorEvent extends Partial<EntryFields> {
  type: 'store-error'
  error: unknown
}

/** What an invalidation selected: a whole entity, a field's or job's entries, a tag, or one entry. */
export type InvalidationKind = 'entity' | 'coordinate' | 'tag' | 'key'

/** An invalidation finished (`cache.invalidate`, a directive's `invalidate`, a job's `invalidate`). */
export interface InvalidatedEvent {
  type: 'invalidated'
  kind: InvalidationKind
  /** `stale` (marked stale) or `purge` (removed). */
  mode: 'stale' | 'purge'
  /** Stored entries it marked or removed. */
  count: number
  /** The job whose entries it selected, when it selected one job's (or field's). */
  job?: string
  /** The schema coordinate, when it selected a field's entries. */
  coordinate?: string
  /** The entry key, when it selected one entry (`kind: 'key'`). */
  key?: string
  /** How long it took on the cache's clock, ms. */
  invalidateMs: number
}

/** What events about no one entry declare, so that `event.job` and `event.key` read on any event. */
interface NoEntry {
  job?: undefined
  key?: undefined
  coordinate?: undefined
}

/**
 * The invalidation bus is listening (`l1` serves again). Emitted when the
 * subscription is first made and after every reconnection; the in-process
 * tier was cleared first, since messages sent while away are lost.
 */
export interface BusUpEvent extends NoEntry {
  type: 'bus-up'
  /** The bus (`redis`). */
  bus: string
}
/** The invalidation bus lost its connection: reads bypass the in-process tier until `bus-up`. */
export interface BusDownEvent extends NoEntry {
  type: 'bus-down'
  bus: string
  error?: unknown
}
/** Another process announced keys it wrote, removed or invalidated; this process dropped them from its in-process tier. */
export interface BusMessageEvent extends NoEntry {
  type: 'bus-message'
  bus: string
  /** The keys dropped (empty when `all`). */
  keys: readonly string[]
  /** The sender asked to drop everything (an invalidation whose keys it did not list). */
  all: boolean
}

/** One event. */
export type CachebackEvent =
  | HitEvent
  | StaleEvent
  | MissEvent
  | FetchEvent
  | RefreshDispatchedEvent
  | RefreshSucceededEvent
  | RefreshFailedEvent
  | StoreErrorEvent
  | InvalidatedEvent
  | BusUpEvent
  | BusDownEvent
  | BusMessageEvent

/** Every event type. */
export type CachebackEventType = CachebackEvent['type']

/** Receives events. Must not throw; errors it throws are swallowed. */
export type EventListener = (event: CachebackEvent) => void

/** Who an event is about: a job (name, optional coordinate) and a key. */
export interface EventSubject {
  name: string
  coordinate?: string
}

function about(job: EventSubject, key: string): EntryFields {
  return job.coordinate === undefined ? { job: job.name, key } : { job: job.name, key, coordinate: job.coordinate }
}

export const hitEvent = (job: EventSubject, key: string, age: number, tier: HitTier): HitEvent => ({ type: 'hit', ...about(job, key), age, tier })
export const staleEvent = (job: EventSubject, key: string, age: number): StaleEvent => ({ type: 'stale', ...about(job, key), age })
export const missEvent = (job: EventSubject, key: string, age?: number): MissEvent =>
  age === undefined ? { type: 'miss', ...about(job, key) } : { type: 'miss', ...about(job, key), age }
export const fetchEvent = (job: EventSubject, key: string, fetchMs: number, error?: unknown): FetchEvent =>
  error === undefined ? { type: 'fetch', ...about(job, key), fetchMs } : { type: 'fetch', ...about(job, key), fetchMs, error }
export const refreshDispatchedEvent = (job: EventSubject, key: string, via: string, ahead?: boolean): RefreshDispatchedEvent =>
  ahead ? { type: 'refresh-dispatched', ...about(job, key), via, ahead: true } : { type: 'refresh-dispatched', ...about(job, key), via }

/** A refresh that stored its value: how long it took, who ran it, whether it was dispatched ahead. */
export function refreshSucceededEvent(job: EventSubject, key: string, run: { refreshMs: number; via: string; ahead?: boolean }): RefreshSucceededEvent {
  const event: RefreshSucceededEvent = { type: 'refresh-succeeded', ...about(job, key), refreshMs: run.refreshMs, via: run.via }
  if (run.ahead) event.ahead = true
  return event
}

/** How a failed refresh ran: its duration (when it ran) and who ran it. */
export interface RefreshRun {
  refreshMs?: number
  via?: string
  /** Dispatched ahead (refresh ahead). */
  ahead?: boolean
}

export const busUpEvent = (bus: string): BusUpEvent => ({ type: 'bus-up', bus })
export const busDownEvent = (bus: string, error?: unknown): BusDownEvent => (error === undefined ? { type: 'bus-down', bus } : { type: 'bus-down', bus, error })
export const busMessageEvent = (bus: string, keys: readonly string[], all: boolean): BusMessageEvent => ({ type: 'bus-message', bus, keys, all })

/** A failed refresh; `job` may be only a name (a payload naming no known job), or unknown. */
export function refreshFailedEvent(error: unknown, job?: EventSubject | string, key?: string, run: RefreshRun = {}): RefreshFailedEvent {
  const event: RefreshFailedEvent = { type: 'refresh-failed', ...subjectFields(job, key), error }
  if (run.refreshMs !== undefined) event.refreshMs = run.refreshMs
  if (run.via !== undefined) event.via = run.via
  if (run.ahead) event.ahead = true
  return event
}

/** A finished invalidation. */
export function invalidatedEvent(fields: Omit<InvalidatedEvent, 'type'>): InvalidatedEvent {
  const event: InvalidatedEvent = { type: 'invalidated', kind: fields.kind, mode: fields.mode, count: fields.count, invalidateMs: fields.invalidateMs }
  if (fields.job !== undefined) event.job = fields.job
  if (fields.coordinate !== undefined) event.coordinate = fields.coordinate
  if (fields.key !== undefined) event.key = fields.key
  return event
}

/** A store, queue or data failure. */
export function storeErrorEvent(error: unknown, job?: EventSubject | string, key?: string): StoreErrorEvent {
  return { type: 'store-error', ...subjectFields(job, key), error }
}

function subjectFields(job: EventSubject | string | undefined, key: string | undefined): Partial<EntryFields> {
  const out: Partial<EntryFields> = {}
  if (typeof job === 'string') out.job = job
  else if (job) {
    out.job = job.name
    if (job.coordinate !== undefined) out.coordinate = job.coordinate
  }
  if (key !== undefined) out.key = key
  return out
}
