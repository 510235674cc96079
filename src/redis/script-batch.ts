/**
 * Calls of one per-key script made in one tick, sent to a standalone Redis
 * as one script call (`batch-scripts.ts`): the refresh locks that the reads
 * of one reply chunk take, the claims and the end-of-refresh writes of the
 * refreshes a worker runs side by side. One round trip, one script run and
 * one timer for all of them instead of one each; every call still gets its
 * own reply. A tick with one call sends the single script, as before.
 */
import type { BoundedCall, RedisScript, ScriptArg } from './redis-script.js'

/** Calls sent in one script call at most (a larger tick is split), so that one stays short on the server. */
export const MAX_BATCH = 200

/** One script of one key and its form for many. */
export interface BatchedScript {
  /** Operation name for errors (`LOCK`, `CLAIM`, `SET`). */
  op: string
  /** The script of one call. */
  single: RedisScript
  /** The script of many calls, replying with the array of the single replies. */
  many: RedisScript
  /** Each call's arguments open with its number of keys (the calls have different key counts). */
  counted?: boolean
}

interface Pending {
  keys: readonly string[]
  args: readonly ScriptArg[]
  resolve(reply: unknown): void
  reject(error: unknown): void
}

/** The calls of one script waiting for the end of the tick. */
export class ScriptBatch {
  private pending: Pending[] = []

  constructor(
    private readonly script: BatchedScript,
    private readonly call: BoundedCall,
  ) {}

  /** Runs the script with `keys` and `args` together with the other calls of this tick; its own reply. */
  run(keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    if (this.pending.length === 0) process.nextTick(() => this.flush())
    return new Promise((resolve, reject) => this.pending.push({ keys, args, resolve, reject }))
  }

  private flush(): void {
    const pending = this.pending
    this.pending = []
    for (let start = 0; start < pending.length; start += MAX_BATCH) this.send(pending.slice(start, start + MAX_BATCH))
  }

  private send(calls: Pending[]): void {
    const { op, single, many, counted } = this.script
    if (calls.length === 1) {
      const [only] = calls
      this.call(op, only.keys[0], (client) => single.run(client, only.keys, only.args)).then(only.resolve, only.reject)
      return
    }
    const keys: string[] = []
    const args: ScriptArg[] = []
    for (const c of calls) {
      for (const key of c.keys) keys.push(key)
      if (counted) args.push(c.keys.length)
      for (const arg of c.args) args.push(arg)
    }
    this.call(
      op,
      calls.map((c) => c.keys[0]),
      (client) => many.run(client, keys, args),
    ).then(
      (replies) => calls.forEach((c, i) => c.resolve((replies as unknown[])[i])),
      (error: unknown) => calls.forEach((c) => c.reject(error)),
    )
  }
}
