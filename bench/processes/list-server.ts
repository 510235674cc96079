/**
 * A `graphql-list` server process, one per contender (`KIND`):
 *
 * - `apollo-cacheback`: Apollo Server 5 (standalone HTTP server), the
 *   schema transformed by `cachebackDirective` on a `RedisStore` made from
 *   `REDIS_URL`, `cachebackApolloPlugin()`;
 * - `apollo-cacheback-tags`: the same with tags in use (`LIST_TAGS`, filled
 *   on every read and filed on every write);
 * - `apollo`: the same server and plugin, the schema without a cache;
 * - `mercurius-cache`: Fastify 5 + Mercurius + mercurius-cache with its
 *   Redis storage (`ttl` and `stale` as cacheback's lifetime and grace);
 * - `mercurius`: the same without a cache.
 *
 * Environment: `KIND`, `REDIS_URL`, `PREFIX` (key prefix of this run).
 */
import { ApolloServer } from '@apollo/server'
import { startStandaloneServer } from '@apollo/server/standalone'
import { makeExecutableSchema } from '@graphql-tools/schema'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import mercurius from 'mercurius'
import mercuriusCacheModule from 'mercurius-cache'
import { Cacheback } from '../../src/index.js'
import { RedisStore } from '../../src/redis/index.js'
import { cachebackDirective, cachebackTypeDefs } from '../../src/graphql/index.js'
import { cachebackApolloPlugin } from '../../src/apollo/index.js'
import { announceReady, env } from './child.js'
import { listResolvers, listTypeDefs } from './schemas.js'

/** The plugin (a CommonJS module whose typings declare it as the default export). */
const mercuriusCache = mercuriusCacheModule.default

const kind = env('KIND')
const redisUrl = env('REDIS_URL')
const prefix = env('PREFIX')

async function apollo(cached: boolean, tagged = false): Promise<number> {
  const resolvers = listResolvers()
  if (process.env.ASYNC_RESOLVERS) {
    const sync = resolvers.Item.details
    resolvers.Item.details = (async (item: { id: number }) => sync(item)) as never
  }
  let schema = makeExecutableSchema({ typeDefs: [cachebackTypeDefs, tagged ? listTypeDefs(cached, true) : listTypeDefs(cached)], resolvers })
  if (cached) {
    // COMMAND_TIMEOUT_MS: the store's command timeout (its default unless the run sets BENCH_COMMAND_TIMEOUT_MS).
    const commandTimeoutMs = process.env.COMMAND_TIMEOUT_MS ? Number(process.env.COMMAND_TIMEOUT_MS) : undefined
    const cache = new Cacheback({ store: new RedisStore({ redis: redisUrl, commandTimeoutMs }), namespace: `${prefix}list-cb` })
    schema = cachebackDirective({ cache }).transformer(schema)
  }
  const server = new ApolloServer({ schema, plugins: [cachebackApolloPlugin()] })
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } })
  return Number(new URL(url).port)
}

const counts = { hits: 0, misses: 0 }

async function mercuriusServer(cached: boolean): Promise<number> {
  const app = Fastify({ logger: false })
  app.register(mercurius, { schema: listTypeDefs(false), resolvers: listResolvers() })
  if (cached) {
    const client = new Redis(redisUrl, { enableAutoPipelining: true, keyPrefix: `${prefix}list-mc:` })
    app.register(mercuriusCache, {
      ttl: 3600,
      stale: 3600,
      policy: { Item: { details: true } },
      storage: { type: 'redis', options: { client, invalidation: false } },
      onHit: () => void counts.hits++,
      onMiss: () => void counts.misses++,
    })
  }
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  return typeof address === 'object' && address ? address.port : 0
}

const port = kind.startsWith('apollo') ? await apollo(kind.startsWith('apollo-cacheback'), kind === 'apollo-cacheback-tags') : await mercuriusServer(kind === 'mercurius-cache')
announceReady(port, { stats: () => ({ ...counts }) })
