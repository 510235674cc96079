/**
 * The refresh payload that travels through bee-queue: job name, key, lock
 * token and the job's prepared arguments, serialized with the value
 * serializer so Dates and the like keep their types. For a GraphQL field the
 * arguments are the parent (its `keyFields` projection when the field has
 * keyFields, else the whole parent object), the coerced field arguments and
 * the scope id: never the request's context or headers, but whatever the
 * parent holds.
 */
import { CachebackError, messageOf } from '../errors.js'
import { findUnstorable, pack, unpack } from '../codec.js'
import type { RefreshRequest } from '../refresh/refresher.js'

/** Format version of payloads. */
export const PAYLOAD_VERSION = 1

/** The JSON a queue job carries. */
export interface RefreshPayload {
  v: number
  job: string
  key: string
  token: string
  /** msgpack of the args array, base64. */
  args: string
  /** Dispatched ahead (refresh ahead); absent otherwise. */
  ahead?: true
}

/** Builds the payload of a request, refusing unserializable or oversized arguments. */
export function encodePayload(request: RefreshRequest, maxBytes: number): RefreshPayload {
  return checkedPayload(request, maxBytes).payload
}

/** The payload of a request as the JSON a queue job carries (`encodePayload`, stringified once). */
export function serializePayload(request: RefreshRequest, maxBytes: number): string {
  return checkedPayload(request, maxBytes).json
}

function checkedPayload(request: RefreshRequest, maxBytes: number): { payload: RefreshPayload; json: string } {
  const bad = findUnstorable(request.args, 'args', { strings: true }) // a changed argument would give the worker another key
  if (bad) {
    throw new CachebackError('E_INVALID_PAYLOAD', `Refresh of "${request.job}": ${bad} cannot be sent to a worker`, { job: request.job, key: request.key })
  }
  const args = pack(request.args).toString('base64')
  const payload: RefreshPayload = { v: PAYLOAD_VERSION, job: request.job, key: request.key, token: request.token, args }
  if (request.ahead) payload.ahead = true
  const json = JSON.stringify(payload)
  // Each UTF-16 unit is at most 3 bytes in UTF-8: most payloads are far enough under the limit to skip the count.
  const size = json.length * 3 <= maxBytes ? json.length : Buffer.byteLength(json)
  if (size > maxBytes) {
    throw new CachebackError('E_PAYLOAD_TOO_LARGE', `Refresh of "${request.job}": payload is ${size} bytes, over the limit of ${maxBytes} (maxPayloadBytes); the stale value stays served`, { job: request.job, key: request.key })
  }
  return { payload, json }
}

/** Limits a worker applies to the payloads it takes. */
export interface PayloadLimits {
  /** Largest payload decoded, bytes (its JSON, as `encodePayload` measures it). @default Infinity */
  maxBytes?: number
}

/**
 * Reads a payload from a queue job, or throws `E_INVALID_PAYLOAD` saying what
 * is wrong and naming the queue job id, the job and the key when known. A
 * payload over `limits.maxBytes` is not decoded: `E_PAYLOAD_TOO_LARGE`;
 * `sizeAtMost` (bytes), when the caller knows that the payload's JSON is at
 * most that long, spares the count when it is under the limit.
 */
export function decodePayload(data: unknown, queueJobId?: string, limits: PayloadLimits = {}, sizeAtMost = Number.POSITIVE_INFINITY): RefreshRequest {
  const p = data as Partial<RefreshPayload> | null
  const job = typeof p?.job === 'string' ? p.job : undefined
  const key = typeof p?.key === 'string' ? p.key : undefined
  const where = `${queueJobId === undefined ? '' : ` (queue job ${queueJobId})`}${job ? ` for job "${job}"` : ''}${key ? ` at ${key}` : ''}`
  const maxBytes = limits.maxBytes ?? Number.POSITIVE_INFINITY
  // `sizeAtMost`: a bound on the payload's JSON size known to the caller (the queue job's); under the limit, nothing to count.
  const size = Number.isFinite(maxBytes) && sizeAtMost > maxBytes ? Buffer.byteLength(JSON.stringify(data) ?? '') : 0
  if (size > maxBytes) {
    throw new CachebackError('E_PAYLOAD_TOO_LARGE', `Refresh payload${where} is ${size} bytes, over this worker's limit of ${maxBytes} (maxPayloadBytes); not decoded`, { job, key })
  }
  const fail = (why: string, cause?: unknown) => new CachebackError('E_INVALID_PAYLOAD', `Malformed refresh payload${where}: ${why}`, { job, key, cause })
  if (!p || typeof p !== 'object') throw fail('not an object')
  if (p.v !== PAYLOAD_VERSION) throw fail(`unknown format version ${String(p.v)}`)
  if (!job) throw fail('missing job name')
  if (typeof p.key !== 'string' || typeof p.token !== 'string' || typeof p.args !== 'string') throw fail('key, token and args must be strings')
  let args: unknown
  try {
    args = unpack(Buffer.from(p.args, 'base64'))
  } catch (cause) {
    throw fail(`args cannot be decoded: ${messageOf(cause)}`, cause)
  }
  if (!Array.isArray(args)) throw fail('args is not an array')
  const request: RefreshRequest = { job, key: p.key, token: p.token, args }
  if (p.ahead === true) request.ahead = true
  return request
}
