/**
 * Every default of the library, in one place: jobs, the directive (a test
 * compares these with the SDL's defaults), stores, the refresher and the
 * worker read them from here. Times in the API are seconds; `…Ms` are ms.
 */

/** Seconds a value is fresh. */
export const DEFAULT_LIFETIME = 600
/** Seconds until a value is gone (30 days). */
export const DEFAULT_TTL = 2_592_000
/** Seconds one dispatched refresh holds the key's refresh lock. */
export const DEFAULT_REFRESH_TIMEOUT = 60
/**
 * β of refresh ahead (probabilistic early expiration): 0 is off. See
 * README "Refresh ahead" for the measurement behind this value.
 */
export const DEFAULT_REFRESH_AHEAD = 0
/** A miss fetches synchronously. */
export const DEFAULT_FETCH_ON_MISS = true
/** Prefix of every key. */
export const DEFAULT_NAMESPACE = 'cacheback'
/** Largest serialized value stored, bytes (4 MiB). */
export const DEFAULT_MAX_VALUE_BYTES = 4 * 1024 * 1024
/**
 * Deepest nesting of a value or of refresh arguments that is stored or sent
 * (a fixed limit, not an option): deeper ones are refused with
 * `E_UNSERIALIZABLE_VALUE` / `E_INVALID_PAYLOAD`, where the serializer would
 * otherwise overflow the stack (it does from about 2,000 levels).
 */
export const MAX_VALUE_DEPTH = 500
/** Most stale fields one context records for `extensions.cacheback` (the counts stay exact). */
export const DEFAULT_MAX_STALE_FIELDS = 100
/**
 * How long a store remembers an invalidation for writes of values fetched
 * before it (the tombstone of a purged entry, the stamp of an index), ms:
 * a fetch that started before an invalidation and finishes within this is
 * stored stale or refused, never fresh.
 */
export const DEFAULT_INVALIDATION_MEMORY_MS = 600_000
/** How an invalidation treats what it reaches when no mode is given. */
export const DEFAULT_INVALIDATION_MODE = 'stale'
/** Most entry keys one invalidation script call marks (Redis). */
export const INVALIDATION_CHUNK = 200
/** Most entries a `MemoryStore` keeps. */
export const DEFAULT_MAX_ENTRIES = 10_000

/** Most entries an in-process tier (`l1`) keeps. */
export const DEFAULT_L1_MAX_ENTRIES = 10_000
/** Most bytes an in-process tier keeps, estimated heap of its values (64 MiB). */
export const DEFAULT_L1_MAX_BYTES = 64 * 1024 * 1024
/**
 * Estimated heap bytes of a decoded value per byte of its msgpack encoding:
 * what `l1.maxBytes` counts (measured 2.4 for JSON-like objects of ~1 KB).
 */
export const L1_HEAP_PER_ENCODED_BYTE = 2.5
/** Fixed heap bytes an in-process tier entry costs besides its value (key, header, list node). */
export const L1_ENTRY_OVERHEAD_BYTES = 200
/** Keys one bus message carries at most; more are sent as several messages. */
export const DEFAULT_BUS_KEYS_PER_MESSAGE = 1000
/** Ms between a bus subscriber's health pings; an unanswered one (after as long again) reconnects it. */
export const DEFAULT_BUS_HEARTBEAT_MS = 1000

/** Redis used when none is given. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379'
/** Bound of every Redis store call, ms. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 250

/** bee-queue queue of refreshes. */
export const DEFAULT_QUEUE = 'cacheback-refresh'
/** bee-queue key prefix. */
export const DEFAULT_QUEUE_PREFIX = 'bq'
/** Largest refresh payload accepted, bytes (64 KiB). */
export const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024
/** Bound of one enqueue, ms; past it the refresh runs in-process. */
export const DEFAULT_DISPATCH_TIMEOUT_MS = 1000
/**
 * Refreshes a worker runs at once. Refreshes mostly wait on upstreams (a few
 * hundred µs of CPU against tens to hundreds of ms of waiting), so this, not
 * CPU, sets a worker's refresh rate: 64 refreshes 320 keys per second behind
 * a 200 ms upstream. README "Sizing the worker".
 */
export const DEFAULT_WORKER_CONCURRENCY = 64
/** Ms between a worker's stalled-job checks. */
export const DEFAULT_STALL_INTERVAL_MS = 5000
/** Ms a closing worker waits for running refreshes. */
export const DEFAULT_WORKER_CLOSE_TIMEOUT_MS = 30_000

/**
 * Reconnect backoff of every client the library opens (ioredis and bee-queue's
 * node-redis): 100 ms more per attempt, capped at 1 s, so service resumes
 * about 1 s after Redis returns however long it was away.
 */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(attempt * 100, 1000)
}

/** Ms between two publications of a process's counters to Redis (the dashboard and `cacheback stats` read them). */
export const DEFAULT_STATS_INTERVAL_MS = 5000
/** Published counters outlive their process by this many intervals, then vanish. */
export const STATS_TTL_INTERVALS = 3
/** Job names / coordinates a process keeps counters for; more are counted under `(other)`. */
export const DEFAULT_STATS_MAX_NAMES = 200
/** Recent errors a process keeps and publishes. */
export const DEFAULT_STATS_RECENT_ERRORS = 20
/** Ms between a worker's log lines about the refreshes it ran. */
export const DEFAULT_WORKER_LOG_INTERVAL_MS = 60_000
/** Ms between two reloads of the dashboard page's figures. */
export const DEFAULT_DASHBOARD_REFRESH_MS = 2000
