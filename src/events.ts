/**
 * Events reported through the `onEvent` option of `Cacheback`.
 * Background failures are reported here, never thrown at a caller.
 */

/** Every event type. */
export type CachebackEventType =
  | 'hit'
  | 'stale'
  | 'miss'
  | 'refresh-dispatched'
  | 'refresh-succeeded'
  | 'refresh-failed'
  | 'store-error'

/** One event. `job` and `key` are set for every event about one entry. */
export interface CachebackEvent {
  type: CachebackEventType
  /** Job name (`fetchTweets`, or `graphql:User.tweets` for fields). */
  job?: string
  /** Full cache key. */
  key?: string
  /** Age of the entry read, in seconds (hit and stale). */
  age?: number
  /** The error, for refresh-failed and store-error. */
  error?: unknown
  /** Where a refresh ran or was sent: `in-process` or the refresher's name. */
  via?: string
}

/** Receives events. Must not throw; errors it throws are swallowed. */
export type EventListener = (event: CachebackEvent) => void

/** Builds an event about one entry. */
export function entryEvent(
  type: CachebackEventType,
  job: string,
  key: string,
  extra: Partial<CachebackEvent> = {},
): CachebackEvent {
  return { type, job, key, ...extra }
}

/** Builds a store-error event. */
export function storeErrorEvent(error: unknown, job?: string, key?: string): CachebackEvent {
  return { type: 'store-error', job, key, error }
}
