/**
 * The stored envelope, and the one place that knows its layout. One store
 * read gives the value and its own freshness, so fresh, stale and gone are
 * told apart with no second round-trip.
 *
 * Layout (38-byte header, then the value's bytes from `codec.ts`):
 *
 * | bytes  | content                                                |
 * |--------|--------------------------------------------------------|
 * | 0      | magic `0xCB`                                           |
 * | 1      | format version (`3`)                                   |
 * | 2–9    | `createdAt`, ms epoch, float64 big-endian              |
 * | 10–17  | `freshUntil`, ms epoch, float64 big-endian             |
 * | 18–25  | `expiresAt`, ms epoch, float64 big-endian              |
 * | 26–33  | `invalidatedAt`, ms epoch, float64 big-endian          |
 * | 34–37  | `fetchMs` (δ of refresh ahead), ms, float32 big-endian |
 * | 38–    | value, msgpack (structured clone extension)            |
 *
 * `invalidatedAt` is the time of the latest invalidation that reached the
 * entry (0: none); a write of a value fetched before it is stored stale or
 * refused (see `Store.set`). A **tombstone** is an entry with `expiresAt` 0
 * and a null value: what a purge leaves, read as a miss on every clock.
 * `fetchMs` is how long the fetch of the value took (0: unknown, a value
 * stored with `set`), the δ of refresh ahead. Entries of another format
 * version (v1 had no `invalidatedAt`, v2 no `fetchMs`) are not ours: a read
 * treats them as a miss and the next write replaces them.
 *
 * Store drivers use {@link ENTRY_LAYOUT} (the Redis Lua scripts take their
 * offsets from it) and {@link readHeader}; nothing else reads raw bytes.
 */
import { pack, unpack } from './codec.js'
import { CachebackError, messageOf } from './errors.js'

/** Byte offsets of the header fields (0-based), the header size, magic and version. */
export const ENTRY_LAYOUT = Object.freeze({
  magic: 0xcb,
  version: 3,
  magicOffset: 0,
  versionOffset: 1,
  createdAtOffset: 2,
  freshUntilOffset: 10,
  expiresAtOffset: 18,
  invalidatedAtOffset: 26,
  fetchMsOffset: 34,
  headerBytes: 38,
})

export const ENTRY_MAGIC = ENTRY_LAYOUT.magic
export const ENTRY_VERSION = ENTRY_LAYOUT.version
export const HEADER_BYTES = ENTRY_LAYOUT.headerBytes

/** The freshness of an entry. Times are ms epoch on the cache's clock. */
export interface EntryHeader {
  createdAt: number
  freshUntil: number
  expiresAt: number
  /**
   * Time of the latest invalidation that reached the entry, ms epoch on the
   * cache's clock; 0 when none.
   * @default 0
   */
  invalidatedAt?: number
  /**
   * How long the fetch that produced the value took, ms on the cache's clock
   * (δ of refresh ahead). 0 when unknown (a value stored with `set`).
   * @default 0
   */
  fetchMs?: number
}

/** A decoded cache entry. */
export interface Entry<T = unknown> extends EntryHeader {
  value: T
}

const { createdAtOffset, freshUntilOffset, expiresAtOffset, invalidatedAtOffset, fetchMsOffset } = ENTRY_LAYOUT

/** Encodes an entry into its stored form (`payload`: the value's bytes, when already packed). */
export function encodeEntry(entry: Entry, payload: Buffer = pack(entry.value)): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length)
  out[ENTRY_LAYOUT.magicOffset] = ENTRY_MAGIC
  out[ENTRY_LAYOUT.versionOffset] = ENTRY_VERSION
  out.writeDoubleBE(entry.createdAt, createdAtOffset)
  out.writeDoubleBE(entry.freshUntil, freshUntilOffset)
  out.writeDoubleBE(entry.expiresAt, expiresAtOffset)
  out.writeDoubleBE(entry.invalidatedAt ?? 0, invalidatedAtOffset)
  out.writeFloatBE(fetchMsOf(entry.fetchMs), fetchMsOffset)
  payload.copy(out, HEADER_BYTES)
  return out
}

function isOurs(bytes: Uint8Array): boolean {
  return bytes.length >= HEADER_BYTES && bytes[ENTRY_LAYOUT.magicOffset] === ENTRY_MAGIC && bytes[ENTRY_LAYOUT.versionOffset] === ENTRY_VERSION
}

/** Reads only the header (no payload decoding); undefined when not ours. */
export function readHeader(bytes: Uint8Array): EntryHeader | undefined {
  if (!isOurs(bytes)) return undefined
  const view = asBuffer(bytes)
  return {
    createdAt: view.readDoubleBE(createdAtOffset),
    freshUntil: view.readDoubleBE(freshUntilOffset),
    expiresAt: view.readDoubleBE(expiresAtOffset),
    invalidatedAt: view.readDoubleBE(invalidatedAtOffset),
    fetchMs: fetchMsOf(view.readFloatBE(fetchMsOffset)),
  }
}

/** True for data of an earlier format version of ours (read as a plain miss, replaced by the next write). */
export function isOlderFormat(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[ENTRY_LAYOUT.magicOffset] === ENTRY_MAGIC && bytes[ENTRY_LAYOUT.versionOffset] < ENTRY_VERSION
}

/** True for a tombstone: what a purge leaves (`expiresAt` 0), a miss on every clock. */
export function isTombstone(header: EntryHeader): boolean {
  return header.expiresAt === 0
}

/**
 * A tombstone: no value, a miss on every clock, remembering the `createdAt`
 * of the entry it replaced and the time of the invalidation, so that writes
 * of values fetched before it are refused.
 */
export function encodeTombstone(createdAt: number, invalidatedAt: number): Buffer {
  return encodeEntry({ value: null, createdAt, freshUntil: 0, expiresAt: 0, invalidatedAt })
}

/**
 * A copy of an encoded entry marked stale: `freshUntil` lowered to
 * `freshUntil` (when later), `invalidatedAt` raised to `invalidatedAt`.
 */
export function withInvalidation(bytes: Uint8Array, freshUntil: number, invalidatedAt: number): Buffer {
  const copy = Buffer.from(bytes)
  if (copy.readDoubleBE(freshUntilOffset) > freshUntil) copy.writeDoubleBE(freshUntil, freshUntilOffset)
  if (!(copy.readDoubleBE(invalidatedAtOffset) >= invalidatedAt)) copy.writeDoubleBE(invalidatedAt, invalidatedAtOffset)
  return copy
}

/** A copy of an encoded entry with `freshUntil` rewritten (what marking stale does). */
export function withFreshUntil(bytes: Uint8Array, freshUntil: number): Buffer {
  const copy = Buffer.from(bytes)
  copy.writeDoubleBE(freshUntil, freshUntilOffset)
  return copy
}

/**
 * Decodes a stored entry. Throws `E_CORRUPT_ENTRY` (naming the key) when the
 * bytes are not an entry of this format; callers treat that as a miss.
 */
export function decodeEntry<T>(bytes: Uint8Array, key: string): Entry<T> {
  // Fields read straight into the result (no intermediate header object): this runs on every hit.
  const view = isOurs(bytes) ? asBuffer(bytes) : undefined
  const createdAt = view ? view.readDoubleBE(createdAtOffset) : Number.NaN
  const freshUntil = view ? view.readDoubleBE(freshUntilOffset) : Number.NaN
  const expiresAt = view ? view.readDoubleBE(expiresAtOffset) : Number.NaN
  const fetchMs = view ? fetchMsOf(view.readFloatBE(fetchMsOffset)) : 0
  if (!Number.isFinite(createdAt) || !Number.isFinite(expiresAt)) {
    throw new CachebackError('E_CORRUPT_ENTRY', `Stored data at "${key}" is not a cacheback entry (format v${ENTRY_VERSION}); treating it as a miss`, { key })
  }
  let value: T
  try {
    value = unpack(bytes.subarray(HEADER_BYTES)) as T
  } catch (cause) {
    throw new CachebackError('E_CORRUPT_ENTRY', `Stored entry at "${key}" cannot be decoded: ${messageOf(cause)}`, { key, cause })
  }
  return { value, createdAt, freshUntil, expiresAt, fetchMs }
}

/** A fetch duration as stored: a finite, non-negative number of ms, else 0 (unknown). */
function fetchMsOf(ms: number | undefined): number {
  return ms !== undefined && ms > 0 && Number.isFinite(ms) ? ms : 0
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
}
