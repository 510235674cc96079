/**
 * The benchmark's Redis: `REDIS_URL` when set, else a throwaway
 * `redis-server` on a free port (the one the test suite uses). Plus the few
 * Redis look-ups scenarios share.
 */
import { Redis, type RedisOptions } from 'ioredis'
import { startRedisServer } from '../../test/helpers/redis-server.js'

/** The Redis a run uses. */
export interface BenchRedis {
  url: string
  /** `started` when this run started it, `REDIS_URL` when given. */
  origin: 'started' | 'REDIS_URL'
  stop(): Promise<void>
}

/** Connects to `REDIS_URL`, or starts a redis-server of our own. */
export async function openBenchRedis(): Promise<BenchRedis> {
  const given = process.env.REDIS_URL
  if (given) return { url: given, origin: 'REDIS_URL', stop: async () => {} }
  const server = await startRedisServer()
  return { url: server.url, origin: 'started', stop: () => server.stop() }
}

/**
 * An ioredis client as every contender gets it: auto-pipelining on (commands
 * issued in one tick go out in one write), offline queue on.
 */
export function benchClient(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { enableAutoPipelining: true, ...options })
}

/** Parses `INFO <section>` into key/value pairs. */
export async function info(client: Redis, section: string): Promise<Record<string, string>> {
  const text = await client.info(section)
  const fields: Record<string, string> = {}
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon > 0 && !line.startsWith('#')) fields[line.slice(0, colon)] = line.slice(colon + 1)
  }
  return fields
}

/** Total calls per command from `INFO commandstats` (`get` → 12345). */
export async function commandCalls(client: Redis): Promise<Record<string, number>> {
  const stats = await info(client, 'commandstats')
  const calls: Record<string, number> = {}
  for (const [name, value] of Object.entries(stats)) {
    const match = /calls=(\d+)/.exec(value)
    if (match && name.startsWith('cmdstat_')) calls[name.slice('cmdstat_'.length)] = Number(match[1])
  }
  return calls
}

/** Deletes every key matching `pattern` (SCAN + UNLINK; benchmark clean-up only). */
export async function deleteMatching(client: Redis, pattern: string): Promise<number> {
  let cursor = '0'
  let deleted = 0
  do {
    const [nextCursor, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
    cursor = nextCursor
    if (keys.length > 0) deleted += await client.unlink(...keys)
  } while (cursor !== '0')
  return deleted
}
