/**
 * Reads back every key of a namespace (SCAN: test code only, never on a
 * request path) and decodes each entry with the library's own decoder, so a
 * scenario can show that no fault left a corrupt entry behind.
 */
import { Redis } from 'ioredis'
import { decodeEntry } from '../../../src/entry.js'

/** What a namespace holds. */
export interface NamespaceContents {
  /** Entry keys, each decoded without error. */
  entries: { key: string; createdAt: number; freshUntil: number; value: unknown }[]
  /** Refresh lock keys (`<entry key>:refresh`) and refresh claims (`<entry key>:refresh:claim`). */
  locks: string[]
  /** Invalidation index keys (`<namespace>:index:…`, sorted sets and their stamps). */
  indexes: string[]
  /** Keys that are neither a decodable entry nor a lock, with the reason. */
  corrupt: { key: string; reason: string }[]
}

/** SCANs `<namespace>:*` on `redisUrl` and decodes every entry. */
export async function readNamespace(redisUrl: string, namespace: string): Promise<NamespaceContents> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 })
  try {
    const keys: string[] = []
    let cursor = '0'
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 500)
      keys.push(...batch)
      cursor = next
    } while (cursor !== '0')
    const contents: NamespaceContents = { entries: [], locks: [], indexes: [], corrupt: [] }
    for (const key of keys.sort()) {
      if (key.startsWith(`${namespace}:index:`)) {
        contents.indexes.push(key)
        continue
      }
      if (key.endsWith(':refresh') || key.endsWith(':refresh:claim')) {
        contents.locks.push(key)
        continue
      }
      try {
        const bytes = await redis.getBuffer(key)
        if (!bytes) continue // expired between SCAN and GET
        const { value, createdAt, freshUntil } = decodeEntry(bytes, key)
        contents.entries.push({ key, createdAt, freshUntil, value })
      } catch (error) {
        contents.corrupt.push({ key, reason: (error as Error).message })
      }
    }
    return contents
  } finally {
    redis.disconnect()
  }
}
