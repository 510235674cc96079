/**
 * The subscriber connection of a `RedisBus`: one connection in pub/sub mode,
 * subscribed to every channel someone listens on. It tells each listener
 * when its subscription is made (after every (re)connection: `state(true)`)
 * and when the connection is lost (`state(false)`), and pings the server
 * every `heartbeatMs` while up: a ping unanswered for as long again (a hung
 * or partitioned server, which no socket event reveals) counts as lost and
 * reconnects.
 */
import type { Redis } from 'ioredis'
import { CachebackError } from '../errors.js'
import type { BusListener } from '../l1/bus.js'

/** Ms before a subscriber connection that could not be opened is tried again. */
const RETRY_OPEN_MS = 1000

/** What a subscriber connection is made with. */
export interface SubscriberSetup {
  /**
   * Opens the connection (not yet connected: `lazyConnect`). Called again
   * when a connection ends for good (its retry strategy gave up: a Cluster
   * node that is gone), so it may pick another server.
   */
  open: () => Promise<Redis>
  heartbeatMs: number
}

/** One subscriber connection and its channels' listeners. */
export class BusSubscriber {
  private readonly listeners = new Map<string, Set<BusListener>>()
  private client: Redis | undefined
  private opening: Promise<Redis | undefined> | undefined
  private up = false
  private lastError: unknown
  private heartbeat: NodeJS.Timeout | undefined
  private closed = false

  constructor(private readonly setup: SubscriberSetup) {}

  /** Adds a listener on `channel`; connects on first use. */
  add(channel: string, listener: BusListener): void {
    let set = this.listeners.get(channel)
    const fresh = set === undefined
    if (!set) this.listeners.set(channel, (set = new Set()))
    set.add(listener)
    if (!this.client) {
      this.opening ??= this.connect()
      return
    }
    if (!this.up) return // told on (re)connection
    if (fresh) void this.subscribe([channel])
    else listener.state(true)
  }

  /** Removes a listener; a channel nobody listens on any more is unsubscribed. */
  async remove(channel: string, listener: BusListener): Promise<void> {
    const set = this.listeners.get(channel)
    if (!set?.delete(listener) || set.size > 0) return
    this.listeners.delete(channel)
    if (this.up && this.client) await this.client.unsubscribe(channel).catch(() => undefined)
  }

  /** Disconnects for good. */
  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.heartbeat)
    const client = this.client ?? (await this.opening)
    if (!client || client.status === 'end' || client.status === 'wait') {
      client?.disconnect()
      return
    }
    let timer: NodeJS.Timeout | undefined
    const ended = new Promise<void>((resolve) => {
      client.once('end', () => resolve())
      timer = setTimeout(resolve, this.setup.heartbeatMs) // an 'end' that never comes does not hold up closing
    })
    client.disconnect()
    await ended
    clearTimeout(timer)
  }

  /** Opens and connects the connection; never rejects (a failed open is retried after a second). */
  private async connect(): Promise<Redis | undefined> {
    let client: Redis
    try {
      client = await this.setup.open()
    } catch (error) {
      this.lastError = error
      if (!this.closed) setTimeout(() => void (this.opening = this.connect()), RETRY_OPEN_MS).unref()
      return undefined
    }
    this.client = client
    client.on('ready', () => void this.subscribe([...this.listeners.keys()]))
    client.on('error', (error: unknown) => void (this.lastError = error))
    client.on('close', () => this.lost(this.lastError))
    client.on('end', () => {
      if (this.closed || this.client !== client) return
      this.client = undefined
      this.opening = this.connect() // its server is gone for good: open another
    })
    client.on('message', (channel: string, text: string) => {
      for (const listener of this.listeners.get(channel) ?? []) listener.message(text)
    })
    if (this.closed) client.disconnect()
    else void client.connect().catch((error: unknown) => void (this.lastError = error)) // retried by its retryStrategy
    return client
  }

  private async subscribe(channels: string[]): Promise<void> {
    const client = this.client
    if (!client || channels.length === 0) return
    try {
      await client.subscribe(...channels)
    } catch (error) {
      this.lastError = error
      client.disconnect(true) // subscribed to nothing: start over
      return
    }
    if (client.status !== 'ready' || this.closed) return
    this.up = true
    this.lastError = undefined
    this.heartbeat ??= setInterval(() => void this.ping(), this.setup.heartbeatMs).unref()
    for (const channel of channels) for (const listener of this.listeners.get(channel) ?? []) listener.state(true)
  }

  private lost(error: unknown): void {
    if (!this.up || this.closed) return
    this.up = false
    for (const set of this.listeners.values()) for (const listener of set) listener.state(false, error)
  }

  private async ping(): Promise<void> {
    const client = this.client
    if (!client || !this.up) return
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.setup.heartbeatMs)))
    const answer = await Promise.race([client.ping().catch(() => 'failed' as const), timedOut])
    clearTimeout(timer)
    if (answer !== 'timeout' && answer !== 'failed') return
    const error = new CachebackError('E_BUS_UNAVAILABLE', `Invalidation bus: the subscriber connection did not answer a ping within ${this.setup.heartbeatMs} ms; reconnecting`)
    this.lost(error)
    client.disconnect(true)
  }
}
