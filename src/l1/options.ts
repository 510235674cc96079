/**
 * The `l1` and `bus` options of a `Cacheback`, checked, and the `L1` they
 * make: a tier when `l1` is given, a bus when `bus` says so (by default the
 * store's own, `store.openBus()`, whenever there is a tier).
 */
import { DEFAULT_L1_MAX_BYTES, DEFAULT_L1_MAX_ENTRIES } from '../defaults.js'
import { CachebackError } from '../errors.js'
import type { CachebackEvent } from '../events.js'
import type { Store } from '../stores/store.js'
import type { InvalidationBus } from './bus.js'
import { KeyMemo } from './key-memo.js'
import { L1 } from './l1.js'
import { type L1Protection, LocalTier } from './local-tier.js'

/** Options of the in-process tier. */
export interface L1Options {
  /** Most entries held; the least recently used is evicted beyond it. @default 10000 */
  maxEntries?: number
  /**
   * Most bytes held: the estimated heap size of the held values (2.5 × their
   * msgpack size, plus 200 bytes and the key per entry). An entry larger
   * than this is not held. @default 67108864 (64 MiB)
   */
  maxBytes?: number
  /**
   * How a held value is kept from being changed through what a reader got:
   * `freeze` deep-freezes it once when it enters the tier (every hit then
   * hands out the same frozen object; writing to it throws a `TypeError`);
   * `copy` decodes a fresh copy for every hit (slower, but readers may
   * mutate what they get). Values holding a `Date`, `Map`, `Set`, `RegExp`
   * or typed array are copied either way (freezing does not protect them).
   * @default 'freeze'
   */
  protect?: L1Protection
}

/** What the `L1` of a cache is made from. */
export interface L1Input {
  l1: L1Options | undefined
  bus: InvalidationBus | boolean | undefined
  store: Store
  namespace: string
  emit: (event: CachebackEvent) => void
  listened: () => boolean
  track: (promise: Promise<unknown>) => void
}

function checkWhole(value: number, option: string, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new CachebackError('E_INVALID_OPTION', `Cacheback: option "${option}" must be a whole number ≥ ${min}, got ${String(value)}`)
  }
  return value
}

function localTierOf(options: L1Options): LocalTier {
  const protect = options.protect ?? 'freeze'
  if (protect !== 'freeze' && protect !== 'copy') throw new CachebackError('E_INVALID_OPTION', `Cacheback: option "l1.protect" must be 'freeze' or 'copy', got ${String(protect)}`)
  return new LocalTier({
    maxEntries: checkWhole(options.maxEntries ?? DEFAULT_L1_MAX_ENTRIES, 'l1.maxEntries', 1),
    maxBytes: checkWhole(options.maxBytes ?? DEFAULT_L1_MAX_BYTES, 'l1.maxBytes', 1),
    protect,
  })
}

/** The bus: given, the store's (`true`, or by default with a tier), or none. */
function busOf(input: L1Input): { bus: InvalidationBus | undefined; owned: boolean } {
  const { bus, store } = input
  if (typeof bus === 'object' && bus !== null) return { bus, owned: false }
  if (bus === false || (bus === undefined && input.l1 === undefined)) return { bus: undefined, owned: false }
  if (typeof store.openBus === 'function') return { bus: store.openBus(), owned: true }
  if (bus === true) throw new CachebackError('E_INVALID_OPTION', `Cacheback: option "bus" is true, but the ${store.name} store opens no bus (pass an InvalidationBus, e.g. new RedisBus({ redis }))`)
  return { bus: undefined, owned: false } // a process-local store: nothing to announce
}

/** The `L1` of a cache, or undefined when it has neither a tier nor a bus. */
export function createL1(input: L1Input): L1 | undefined {
  if (input.bus !== undefined && typeof input.bus !== 'boolean' && (typeof input.bus !== 'object' || input.bus === null)) {
    throw new CachebackError('E_INVALID_OPTION', `Cacheback: option "bus" must be an InvalidationBus or a boolean, got ${String(input.bus)}`)
  }
  if (input.l1 !== undefined && (typeof input.l1 !== 'object' || input.l1 === null)) {
    throw new CachebackError('E_INVALID_OPTION', `Cacheback: option "l1" must be an object ({ maxEntries, maxBytes, protect }), got ${String(input.l1)}`)
  }
  const local = input.l1 === undefined ? undefined : localTierOf(input.l1)
  const { bus, owned } = busOf(input)
  if (!local && !bus) return undefined
  const memo = local ? new KeyMemo(checkWhole(input.l1?.maxEntries ?? DEFAULT_L1_MAX_ENTRIES, 'l1.maxEntries', 1)) : undefined
  return new L1({ namespace: input.namespace, local, memo, bus, ownsBus: owned, emit: input.emit, listened: input.listened, track: input.track })
}
