/**
 * One cache's in-process tier and its link to the invalidation bus. The
 * tier serves only while the bus (when there is one) is listening: a process
 * that lost its subscription cannot know what it missed, so it reads from
 * the store until the subscription is back, and clears the tier then.
 * Every key this process writes, removes or invalidates is dropped here and
 * announced (coalesced per tick into one message of up to
 * `DEFAULT_BUS_KEYS_PER_MESSAGE` keys); announcements from other processes
 * drop their keys here.
 */
import { randomUUID } from 'node:crypto'
import { DEFAULT_BUS_KEYS_PER_MESSAGE } from '../defaults.js'
import type { Entry } from '../entry.js'
import { CachebackError, isCachebackError, messageOf } from '../errors.js'
import { type CachebackEvent, busDownEvent, busMessageEvent, busUpEvent, storeErrorEvent } from '../events.js'
import { type InvalidationBus, busChannelOf, decodeBusMessage, encodeBusMessage } from './bus.js'
import type { KeyMemo } from './key-memo.js'
import type { HeldEntry, LocalTier } from './local-tier.js'

/** What an `L1` needs from its cache. */
export interface L1Setup {
  namespace: string
  /** The tier; undefined for a process that only announces (a worker, say). */
  local: LocalTier | undefined
  memo: KeyMemo | undefined
  bus: InvalidationBus | undefined
  /** Close the bus with the cache (it was opened for it). */
  ownsBus: boolean
  emit: (event: CachebackEvent) => void
  listened: () => boolean
  track: (promise: Promise<unknown>) => void
}

/** Options of a forget. */
export interface ForgetOptions {
  /** Tell the other processes too. @default true */
  announce?: boolean
}

/** The in-process tier of one cache, and its bus. */
export class L1 {
  readonly local: LocalTier | undefined
  readonly memo: KeyMemo | undefined
  /** Identifies this cache's messages (its own are not applied twice). */
  readonly origin = randomUUID()
  private readonly setup: L1Setup
  private readonly channel: string
  private listening: boolean
  private stopListening: (() => Promise<void>) | undefined
  private outbox: string[] = []
  private flush: Promise<void> | undefined

  constructor(setup: L1Setup) {
    this.setup = setup
    this.local = setup.local
    this.memo = setup.memo
    this.channel = busChannelOf(setup.namespace)
    // Without a bus the tier is process-local (a MemoryStore): it always serves.
    this.listening = setup.bus === undefined
    if (setup.bus && setup.local) this.stopListening = setup.bus.listen(this.channel, { message: (text) => this.receive(text), state: (up, error) => this.onState(up, error) })
  }

  /** Whether the tier serves and admits (it has one, and its bus, if any, is listening). */
  get serving(): boolean {
    return this.listening && this.local !== undefined
  }

  /** The held entry of `key` while serving. */
  lookup(key: string): HeldEntry | undefined {
    return this.listening ? this.local?.get(key) : undefined
  }

  /** A ticket for admitting what a store read brings back (-1, refused, while not serving). */
  ticket(): number {
    return this.listening && this.local ? this.local.ticket() : -1
  }

  /** Holds a fresh entry a store read brought back, unless the ticket is refused (see `LocalTier.admit`). */
  admit(key: string, entry: Entry, bytes: Uint8Array, ticket: number): void {
    if (ticket >= 0) this.local?.admit(key, entry, bytes, ticket)
  }

  /**
   * Drops `keys` here and, unless `announce` is false, announces them to every
   * other process. Resolves once the announcement is published (or its failure
   * reported as a `store-error` event); never rejects.
   */
  forget(keys: readonly string[], options: ForgetOptions = {}): Promise<void> {
    this.local?.forget(keys)
    if (options.announce === false || this.setup.bus === undefined || keys.length === 0) return Promise.resolve()
    for (const key of keys) this.outbox.push(key)
    this.flush ??= new Promise<void>((resolve) => process.nextTick(resolve)).then(() => this.sendOutbox())
    return this.flush
  }

  /** Drops everything here and, unless `announce` is false, tells every other process to (an invalidation whose keys are unknown). */
  forgetAll(options: ForgetOptions = {}): Promise<void> {
    this.local?.clear()
    if (options.announce === false || this.setup.bus === undefined) return Promise.resolve()
    return this.publish(encodeBusMessage({ origin: this.origin, all: true }), '*')
  }

  /** Stops listening; closes the bus when it was opened for this cache. */
  async close(): Promise<void> {
    await this.flush
    this.listening = false
    await this.stopListening?.()
    if (this.setup.ownsBus) await this.setup.bus?.close()
  }

  private async sendOutbox(): Promise<void> {
    const keys = [...new Set(this.outbox)]
    this.outbox = []
    this.flush = undefined
    const sends: Promise<void>[] = []
    for (let i = 0; i < keys.length; i += DEFAULT_BUS_KEYS_PER_MESSAGE) {
      const chunk = keys.slice(i, i + DEFAULT_BUS_KEYS_PER_MESSAGE)
      sends.push(this.publish(encodeBusMessage({ origin: this.origin, keys: chunk }), chunk[0]))
    }
    await Promise.all(sends)
  }

  private publish(text: string, firstKey: string): Promise<void> {
    const bus = this.setup.bus!
    const sent = bus.publish(this.channel, text).catch((error: unknown) => {
      const coded = isCachebackError(error)
        ? error
        : new CachebackError('E_BUS_UNAVAILABLE', `Invalidation bus (${bus.name}): announcing "${firstKey}" failed: ${messageOf(error)}; other processes may serve it from memory until it is stale`, { key: firstKey, cause: error })
      this.setup.emit(storeErrorEvent(coded, undefined, firstKey))
    })
    this.setup.track(sent)
    return sent
  }

  private receive(text: string): void {
    let message
    try {
      message = decodeBusMessage(text)
    } catch (error) {
      this.local?.clear() // whatever it meant, nothing held can be trusted more than the store
      this.setup.emit(storeErrorEvent(error))
      return
    }
    if (message.origin === this.origin) return // dropped here when it was sent
    if (message.all) this.local?.clear()
    else this.local?.forget(message.keys)
    if (this.setup.listened()) this.setup.emit(busMessageEvent(this.setup.bus!.name, message.keys ?? [], message.all === true))
  }

  private onState(up: boolean, error?: unknown): void {
    if (up === this.listening) return
    // Down: what is held may be changed elsewhere unannounced. Up: messages sent while away are lost.
    this.local?.clear()
    this.listening = up
    const name = this.setup.bus!.name
    this.setup.emit(up ? busUpEvent(name) : busDownEvent(name, error))
  }
}
