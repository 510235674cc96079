/** `graphql-cacheback/redis`: the Redis store (peer: `ioredis`). */
export { RedisStore, type RedisStoreOptions, type RedisClient, DEFAULT_COMMAND_TIMEOUT_MS } from './redis-store.js'
