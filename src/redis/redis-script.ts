/**
 * Runs a Lua script by its SHA1 (EVALSHA) and falls back to EVAL, which also
 * loads it, when the server answers NOSCRIPT (first use, SCRIPT FLUSH, a
 * restarted or failed-over server). The client is not modified, so a
 * user-supplied ioredis client gets no extra commands defined on it.
 */
import { createHash } from 'node:crypto'

/** An argument of a script call. */
export type ScriptArg = string | Buffer | number

/** An event listener of a client. */
type Listener = (...args: any[]) => void

/**
 * A standalone or Cluster ioredis client (ioredis 5 or 6), typed by the
 * methods the store calls rather than by ioredis's classes, so a client of
 * another ioredis major than the one this package was built against is
 * accepted as long as it has them.
 */
export interface RedisClient {
  /** Connection state: `wait`, `connecting`, `connect`, `ready`, `close`, `reconnecting`, `end`. */
  readonly status: string
  /** True for a Cluster client. */
  readonly isCluster: boolean
  /** `GET`, as bytes. */
  getBuffer(key: string): Promise<Buffer | null>
  /** `MGET`, as bytes (standalone only). */
  mgetBuffer(...keys: string[]): Promise<(Buffer | null)[]>
  /** `DEL`. */
  del(...keys: string[]): Promise<number>
  /** `EVALSHA` of a loaded script. */
  evalsha(sha1: string, numkeys: number, ...args: ScriptArg[]): Promise<unknown>
  /** `EVAL` (loads the script). */
  eval(script: string, numkeys: number, ...args: ScriptArg[]): Promise<unknown>
  /** `QUIT`. */
  quit(): Promise<unknown>
  /** Closes the connection at once. */
  disconnect(): void
  /** Present on every ioredis client: how the store tells a client from connection options. */
  sendCommand(...args: any[]): unknown
  /** Connection events (`ready`, `error`, `close`, `end`). */
  on(event: string, listener: Listener): this
  once(event: string, listener: Listener): this
  off(event: string, listener: Listener): this
}

/** One store call bounded by the store's command timeout, with coded errors (`RedisStore`'s). */
export type BoundedCall = <T>(op: string, keys: string | readonly string[], run: (client: RedisClient) => Promise<T>) => Promise<T>

/** One Lua script with its SHA1. */
export class RedisScript {
  /** SHA1 of the source, as EVALSHA wants it. */
  readonly sha: string

  constructor(readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex')
  }

  /** Runs the script with `keys` and `args` (one round-trip when cached on the server). */
  async run(client: RedisClient, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args)
    } catch (error) {
      if (!isNoScript(error)) throw error
      return client.eval(this.lua, keys.length, ...keys, ...args)
    }
  }

  /** Like `run`, with bulk replies as Buffers (binary-safe). */
  async runBuffer(client: RedisClient, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    // ioredis defines `<command>Buffer` for every command, `evalshaBuffer` included, without declaring its type;
    // `callBuffer` would lose its command name under auto-pipelining.
    const binary = client as unknown as Record<'evalshaBuffer' | 'evalBuffer', (...parts: ScriptArg[]) => Promise<unknown>>
    try {
      return await binary.evalshaBuffer(this.sha, keys.length, ...keys, ...args)
    } catch (error) {
      if (!isNoScript(error)) throw error
      return binary.evalBuffer(this.lua, keys.length, ...keys, ...args)
    }
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.includes('NOSCRIPT')
}
