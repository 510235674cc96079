/** How bee-queue connects to Redis (its own node-redis 3 client), typed here without bee-queue's or node-redis's types. */

/** node-redis 3 connection options, as bee-queue passes them to `redis.createClient` (the common ones typed, the rest passed through). */
export interface BeeQueueRedisOptions {
  /** Host name. @default '127.0.0.1' */
  host?: string
  /** Port. @default 6379 */
  port?: number
  /** `redis://[:password@]host:port[/db]`. */
  url?: string
  /** Database index. @default 0 */
  db?: number | string
  /** `AUTH` password. */
  password?: string
  /** Any other node-redis 3 option (`tls`, `retry_strategy`, …). */
  [option: string]: unknown
}

/** Redis connection for bee-queue: a URL or node-redis 3 options (not an ioredis client: bee-queue uses its own node-redis client). */
export type BeeQueueRedis = string | BeeQueueRedisOptions
