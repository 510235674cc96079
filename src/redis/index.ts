/** `graphql-cacheback/redis`: the Redis store and invalidation bus (peer: `ioredis`). */
export { RedisStore, type RedisStoreOptions, type RedisClient, DEFAULT_COMMAND_TIMEOUT_MS } from './redis-store.js'
export { RedisBus, type RedisBusOptions } from './bus.js'
