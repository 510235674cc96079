/**
 * The in-process tier: an LRU of decoded entries, bounded in entries and in
 * estimated heap bytes. What enters it is protected (`protect.ts`), so no
 * reader can change what the next one gets. Admission is ticketed: a read
 * takes a ticket before its store round-trip, and the entry it brings back
 * is refused when its key was forgotten (written, removed, invalidated here
 * or announced by another process) after the ticket was taken: a value read
 * just before a change never outlives the change in memory.
 */
import { LRUCache } from 'lru-cache'
import { unpack } from '../codec.js'
import { L1_ENTRY_OVERHEAD_BYTES, L1_HEAP_PER_ENCODED_BYTE } from '../defaults.js'
import { type Entry, HEADER_BYTES } from '../entry.js'
import { deepFreeze, isFreezable } from './protect.js'

/** How values leave the tier: the one frozen object, or a fresh copy per hit. */
export type L1Protection = 'freeze' | 'copy'

/** Bounds and protection of a {@link LocalTier}. */
export interface LocalTierOptions {
  maxEntries: number
  maxBytes: number
  protect: L1Protection
}

/** One held entry: its header and frozen value, or the bytes each hit decodes (then `value` is undefined). */
export interface HeldEntry extends Entry {
  /** The value's encoded bytes, decoded per hit (copy protection, or a value freezing cannot protect). */
  readonly payload: Uint8Array | undefined
  /** Size of the value's encoding, bytes (what its heap size is estimated from). */
  readonly encodedBytes: number
}

/** Forgotten keys remembered for in-flight admissions; beyond it, every older ticket is refused. */
const MAX_FORGOTTEN = 10_000

/** An LRU of decoded entries. */
export class LocalTier {
  private readonly lru: LRUCache<string, HeldEntry>
  private readonly protect: L1Protection
  /** Bumped by every forget and clear; admission tickets are its values. */
  private sequence = 0
  /** Tickets below this are refused (set by `clear`, or when `forgotten` overflowed). */
  private floor = 0
  private readonly forgotten = new Map<string, number>()

  constructor(options: LocalTierOptions) {
    this.protect = options.protect
    this.lru = new LRUCache<string, HeldEntry>({ max: options.maxEntries, maxSize: options.maxBytes, sizeCalculation: heldBytes })
  }

  /** Entries held. */
  get size(): number {
    return this.lru.size
  }

  /** Estimated heap bytes held, as counted against `maxBytes`. */
  get bytes(): number {
    return this.lru.calculatedSize
  }

  /** The held entry of `key`, marking it recently used. */
  get(key: string): HeldEntry | undefined {
    return this.lru.get(key)
  }

  /** The value a hit on `held` serves: the frozen one, or a fresh decoded copy. */
  valueOf(held: HeldEntry): unknown {
    return held.payload === undefined ? held.value : unpack(held.payload)
  }

  /** A ticket for an admission after a store read: take it before the read. */
  ticket(): number {
    return this.sequence
  }

  /**
   * Holds a fresh entry read from the store (`bytes`: its stored form) unless
   * its key was forgotten since `ticket`. A freezable value is deep-frozen in
   * place (the reader that brought it gets the frozen object, as later hits
   * do); any other is kept as bytes and left as it is.
   */
  admit(key: string, entry: Entry, bytes: Uint8Array, ticket: number): void {
    if (ticket !== this.sequence && !this.admissible(key, ticket)) return
    const { createdAt, freshUntil, expiresAt, fetchMs } = entry
    const encodedBytes = bytes.byteLength - HEADER_BYTES
    if (this.protect === 'freeze' && isFreezable(entry.value)) {
      deepFreeze(entry.value)
      this.lru.set(key, { value: entry.value, createdAt, freshUntil, expiresAt, fetchMs, payload: undefined, encodedBytes })
    } else {
      // An own copy: the store's buffer may be a slice of a larger socket read.
      this.lru.set(key, { value: undefined, createdAt, freshUntil, expiresAt, fetchMs, payload: new Uint8Array(bytes.subarray(HEADER_BYTES)), encodedBytes })
    }
  }

  private admissible(key: string, ticket: number): boolean {
    if (ticket < this.floor) return false
    const forgottenAt = this.forgotten.get(key)
    return forgottenAt === undefined || forgottenAt <= ticket
  }

  /** Drops these keys; admissions ticketed before are refused for them. */
  forget(keys: readonly string[]): void {
    const at = ++this.sequence
    for (const key of keys) {
      this.lru.delete(key)
      this.forgotten.set(key, at)
    }
    if (this.forgotten.size > MAX_FORGOTTEN) {
      this.forgotten.clear()
      this.floor = at
    }
  }

  /** Drops a held entry that is no longer fresh (it cannot become fresh again). */
  drop(key: string): void {
    this.lru.delete(key)
  }

  /** Drops everything; every admission ticketed before is refused. */
  clear(): void {
    this.floor = ++this.sequence
    this.forgotten.clear()
    this.lru.clear()
  }
}

/** Estimated heap bytes of a held entry: the decoded value (from its encoded size) or the kept bytes, a fixed overhead and the key. */
function heldBytes(held: HeldEntry, key: string): number {
  const valueBytes = held.payload === undefined ? Math.ceil(held.encodedBytes * L1_HEAP_PER_ENCODED_BYTE) : held.payload.byteLength
  return valueBytes + L1_ENTRY_OVERHEAD_BYTES + key.length
}
