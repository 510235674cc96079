/**
 * The invalidation bus: how processes sharing a store tell each other which
 * keys they wrote, removed or invalidated, so each drops them from its
 * in-process tier. One channel per namespace. The core knows only this
 * interface; `graphql-cacheback/redis` has the Redis pub/sub driver
 * (`RedisBus`, also what `RedisStore.openBus()` opens).
 */
import { CachebackError } from '../errors.js'

/** What a bus tells the process listening on a channel. */
export interface BusListener {
  /** A message published on the channel (by any process, this one included). */
  message(text: string): void
  /**
   * The subscription came up (`true`: every message published from now on
   * will be delivered) or went down (`false`: messages may be lost until it
   * is up again).
   */
  state(up: boolean, error?: unknown): void
}

/** A publish/subscribe channel between processes. */
export interface InvalidationBus {
  /** Short name for events (`redis`). */
  readonly name: string
  /**
   * Listens on `channel` until the returned function is called. The
   * listener's `state(true)` follows once the subscription is made.
   */
  listen(channel: string, listener: BusListener): () => Promise<void>
  /** Publishes `text` on `channel`; rejects with a coded error when it cannot. */
  publish(channel: string, text: string): Promise<void>
  /** Closes the connections the bus opened. */
  close(): Promise<void>
}

/** The channel of a namespace. */
export function busChannelOf(namespace: string): string {
  return `${namespace}:l1-invalidations`
}

/** One announcement: who sent it, and the keys to drop (or all). */
export type BusMessage = { origin: string; keys: readonly string[]; all?: undefined } | { origin: string; all: true; keys?: undefined }

/** The wire form: `{"o":"<origin>","k":["key",…]}` or `{"o":"<origin>","a":1}`. */
export function encodeBusMessage(message: BusMessage): string {
  return message.all ? JSON.stringify({ o: message.origin, a: 1 }) : JSON.stringify({ o: message.origin, k: message.keys })
}

/** Reads a message; `E_INVALID_BUS_MESSAGE` when it is not one of ours. */
export function decodeBusMessage(text: string): BusMessage {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (cause) {
    throw invalid(text, cause)
  }
  const { o, k, a } = (parsed ?? {}) as { o?: unknown; k?: unknown; a?: unknown }
  if (typeof o !== 'string') throw invalid(text)
  if (a === 1) return { origin: o, all: true }
  if (!Array.isArray(k) || !k.every((key) => typeof key === 'string')) throw invalid(text)
  return { origin: o, keys: k as string[] }
}

function invalid(text: string, cause?: unknown): CachebackError {
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text
  return new CachebackError('E_INVALID_BUS_MESSAGE', `Invalidation bus: cannot read message ${JSON.stringify(shown)}; dropping the whole in-process tier instead`, { cause })
}
