/**
 * Commands on bee-queue's own node-redis 3 clients (its command client and
 * its blocking client), for the scripts this package runs beside bee-queue's:
 * the worker's job loop and the producer's batched enqueue.
 */
import { createHash } from 'node:crypto'

/** The node-redis 3 client bee-queue connects with. */
export interface NodeRedis {
  send_command(command: string, args: unknown[], callback: (error: Error | null, reply: unknown) => void): boolean
}

/** One command; its reply. */
export function call<T>(client: NodeRedis, command: string, args: unknown[]): Promise<T> {
  return new Promise((resolve, reject) => client.send_command(command, args, (error, reply) => (error ? reject(error) : resolve(reply as T))))
}

/** A Lua script run by SHA, loaded on NOSCRIPT (a restarted Redis). */
export class Script {
  private readonly sha: string
  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex')
  }

  async run<T>(client: NodeRedis, keys: string[], args: unknown[]): Promise<T> {
    try {
      return await call<T>(client, 'EVALSHA', [this.sha, keys.length, ...keys, ...args])
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
      return call<T>(client, 'EVAL', [this.source, keys.length, ...keys, ...args])
    }
  }
}
