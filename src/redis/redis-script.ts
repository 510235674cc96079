/**
 * Runs a Lua script by its SHA1 (EVALSHA) and falls back to EVAL, which also
 * loads it, when the server answers NOSCRIPT (first use, SCRIPT FLUSH, a
 * restarted or failed-over server). The client is not modified, so a
 * user-supplied ioredis client gets no extra commands defined on it.
 */
import { createHash } from 'node:crypto'
import type { Cluster, Redis } from 'ioredis'

/** A standalone or cluster ioredis client. */
export type RedisClient = Redis | Cluster

/** An argument of a script call. */
export type ScriptArg = string | Buffer | number

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
