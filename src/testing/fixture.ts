/**
 * What every conformance case works on: the store under test, a logical clock
 * (the times the cases pass to the store; no real time passes) and a key
 * namespace unique to the case, so drivers sharing one server never see
 * another case's keys.
 */
import { randomBytes } from 'node:crypto'
import { encodeEntry } from '../entry.js'
import type { Store } from '../stores/store.js'

/** Real-time safety net (`ttlMs`) of the cases' writes. */
export const TTL_MS = 60_000
/** How long the cases' entries stay fresh on the logical clock, ms. */
export const LIFETIME_MS = 600_000
/** Where the logical clock starts, ms epoch. */
const CLOCK_START_MS = 1_700_000_000_000

/** A test framework's `describe`: registers a group whose body registers cases. */
export type SuiteFunction = (name: string, body: () => void) => unknown
/** A test framework's `it` / `test`: registers an async case. */
export type CaseFunction = (name: string, body: () => Promise<void>) => unknown
/** A test framework's `beforeEach` / `afterEach`. */
export type HookFunction = (hook: () => Promise<void>) => unknown

let namespaces = 0

/** A namespace unique per call: `conformance-<pid>-<counter>-<random>`. */
function uniqueNamespace(): string {
  namespaces += 1
  return `conformance-${process.pid}-${namespaces}-${randomBytes(4).toString('hex')}`
}

/** The state of one case: set up before it, read by its assertions. */
export class ConformanceFixture {
  /** The store under test. */
  store!: Store
  private nowMs = CLOCK_START_MS
  private namespace = uniqueNamespace()

  /** Starts a case on `store`, with the clock at its start and a new namespace. */
  reset(store: Store): void {
    this.store = store
    this.nowMs = CLOCK_START_MS
    this.namespace = uniqueNamespace()
  }

  /** Current logical time, ms epoch. */
  now(): number {
    return this.nowMs
  }

  /** Moves the logical clock forward by `seconds` (fractions allowed). */
  advance(seconds: number): void {
    this.nowMs += seconds * 1000
  }

  /** A key of this case. */
  key(suffix: string): string {
    return `${this.namespace}:job:${suffix}`
  }

  /** An encoded entry created at `createdAt`, fresh for `LIFETIME_MS`. */
  entryAt(createdAt: number, value: unknown = { at: createdAt }): Buffer {
    return encodeEntry({ value, createdAt, freshUntil: createdAt + LIFETIME_MS, expiresAt: createdAt + TTL_MS * 10 })
  }

  /** Writes `data` at `key` with compare-and-set on `createdAt` (default: now). */
  write(key: string, data: Uint8Array, createdAt = this.now()): Promise<boolean> {
    return this.store.set(key, data, { createdAt, ttlMs: TTL_MS })
  }
}

/** Stored bytes as a Buffer, for byte-wise comparison (a driver may return any Uint8Array). */
export function bytesOf(data: Uint8Array | undefined): Buffer | undefined {
  return data ? Buffer.from(data) : undefined
}
