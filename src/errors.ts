/**
 * Coded errors. Every error this library raises or reports is a
 * {@link CachebackError} with a static `code`, the `job`, `key` or
 * `coordinate` it concerns, and the underlying `cause` when there is one.
 */

/** Every error code this library uses. */
export type CachebackErrorCode =
  | 'E_INVALID_OPTION'
  | 'E_DUPLICATE_JOB'
  | 'E_UNKNOWN_JOB'
  | 'E_INVALID_KEY'
  | 'E_INVALID_SCOPE'
  | 'E_MISSING_KEY_FIELD'
  | 'E_INVALID_PAYLOAD'
  | 'E_PAYLOAD_TOO_LARGE'
  | 'E_UNSERIALIZABLE_VALUE'
  | 'E_VALUE_TOO_LARGE'
  | 'E_CORRUPT_ENTRY'
  | 'E_STORE_TIMEOUT'
  | 'E_STORE_UNAVAILABLE'
  | 'E_BUS_UNAVAILABLE'
  | 'E_INVALID_BUS_MESSAGE'
  | 'E_DISPATCH_FAILED'
  | 'E_REFRESH_FAILED'
  | 'E_SCHEMA'
  | 'E_UNKNOWN_COORDINATE'
  | 'E_UNKNOWN_TYPE'
  | 'E_INVALID_SELECTOR'
  | 'E_INVALID_TAG'
  | 'E_UNKNOWN_COLUMN'
  | 'E_INVALID_QUERY'
  | 'E_MULTIPLE_ROWS'

/** What an error concerns; each field is set when it applies. */
export interface CachebackErrorContext {
  /** Name of the job involved. */
  job?: string
  /** Full cache key involved. */
  key?: string
  /** GraphQL schema coordinate involved (`Type.field`). */
  coordinate?: string
  /** The original error. */
  cause?: unknown
}

/** Base class of every error of this library. */
export class CachebackError extends Error {
  readonly code: CachebackErrorCode
  readonly job?: string
  readonly key?: string
  readonly coordinate?: string

  constructor(code: CachebackErrorCode, message: string, context: CachebackErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause })
    this.name = 'CachebackError'
    this.code = code
    this.job = context.job
    this.key = context.key
    this.coordinate = context.coordinate
  }
}

/** True when `error` is a {@link CachebackError} with the given code. */
export function isCachebackError(error: unknown, code?: CachebackErrorCode): error is CachebackError {
  return error instanceof CachebackError && (code === undefined || error.code === code)
}

/** Message of any thrown thing, for wrapping. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * A short, bounded label for an error, safe as a metric attribute: its
 * `code` (a CachebackError's, or a system error's such as `ECONNREFUSED`)
 * when it looks like one, else its class name (`TypeError`), else `unknown`.
 */
export function errorCodeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,39}$/.test(code)) return code
  const name = error instanceof Error ? error.name : undefined
  return name && /^[A-Za-z][A-Za-z0-9_]{0,39}$/.test(name) ? name : 'unknown'
}
