/**
 * The coded errors of `RedisStore`: what a failed Redis call is reported as.
 * A call refused because the client is not connected names why it is not
 * (the client's last connection error): a Redis that refuses the password
 * says so, instead of ioredis's "Stream isn't writeable".
 */
import { CachebackError, messageOf } from '../errors.js'

/** One failed call: which operation, on which keys, under which bound. */
export interface FailedCall {
  op: string
  keys: string | readonly string[]
  timeoutMs: number
  /** The client's last connection error, while it is not connected. */
  connectionError?: unknown
}

/** True for the replies of a Redis that refuses the credentials or wants some (`WRONGPASS`, `NOAUTH`, old servers' `ERR invalid password`). */
export function isAuthFailure(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (/^(WRONGPASS|NOAUTH)\b|^ERR (invalid password|AUTH\b|Client sent AUTH)/.test(e.message) || /refused the password|requires a password/.test(e.message)) return true
  }
  return false
}

/** What a connection error means, for messages: the password part spelled out. */
export function describeConnectionError(error: unknown): string {
  const message = messageOf(error)
  if (/^NOAUTH\b/.test(message)) return `Redis requires a password and the connection gave none or the wrong one (${message})`
  if (isAuthFailure(error)) return `Redis refused the password (${message})`
  return message
}

/** Reads a key of another type as absent, as `MGET` does, so one such key does not fail a Cluster batch. */
export function nullOnWrongType(error: unknown): null {
  if (isWrongType(error)) return null
  throw error
}

function isWrongType(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('WRONGTYPE')
}

/** ioredis's refusals of a command while it is not connected (no offline queue). */
function isNotConnected(error: unknown): boolean {
  return error instanceof Error && (error.message.startsWith("Stream isn't writeable") || error.message === 'Connection is closed.')
}

/** `"key"`, or `"first" (and N more keys)` for a multi-key call. */
function subjectOf(keys: string | readonly string[]): string {
  return typeof keys === 'string' ? `"${keys}"` : `"${keys[0]}" (and ${keys.length - 1} more keys)`
}

function firstKey(keys: string | readonly string[]): string {
  return typeof keys === 'string' ? keys : keys[0]
}

/** `E_STORE_TIMEOUT`: the call took longer than its bound. */
export function timeoutError(call: FailedCall, cause?: unknown): CachebackError {
  return new CachebackError('E_STORE_TIMEOUT', `Redis ${call.op} of ${subjectOf(call.keys)} took longer than ${call.timeoutMs} ms`, { key: firstKey(call.keys), cause })
}

/** The coded error of a failed call. */
export function wrapError(error: unknown, call: FailedCall): CachebackError {
  if (error instanceof CachebackError) return error
  const { op, keys } = call
  const key = firstKey(keys)
  if (isWrongType(error)) {
    // Not an outage: something other than a string sits at one of our keys. Reads treat it as a miss; writes overwrite it.
    return new CachebackError('E_CORRUPT_ENTRY', `Stored data at ${subjectOf(keys)} is not a cacheback entry: the key holds another Redis type than a string (WRONGTYPE); treating it as a miss`, { key, cause: error })
  }
  if (error instanceof Error && error.message === 'Command timed out') return timeoutError(call, error)
  if (isNotConnected(error) && call.connectionError !== undefined) {
    return new CachebackError('E_STORE_UNAVAILABLE', `Redis ${op} of ${subjectOf(keys)} failed: not connected: ${describeConnectionError(call.connectionError)}`, { key, cause: call.connectionError })
  }
  return new CachebackError('E_STORE_UNAVAILABLE', `Redis ${op} of ${subjectOf(keys)} failed: ${describeConnectionError(error)}`, { key, cause: error })
}
