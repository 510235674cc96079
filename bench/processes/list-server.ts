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
 * - `mercurius`: the same without a cache;
 * - `yoga-cacheback`: GraphQL Yoga 5 on a Node HTTP server, the schema
 *   transformed by `cachebackDirective` as for Apollo, `useCacheback()`;
 * - `yoga`: the same server and plugin, the schema without a cache.
 *
 * Environment: `KIND`, `REDIS_URL`, `PREFIX` (key prefix of this run).
 */
import { createServer } from 'node:http'
import { ApolloServer } from '@apollo/server'
import { startStandaloneServer } from '@apollo/server/standalone'
import { makeExecutableSchema } from '@graphql-tools/schema'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import mercurius from 'mercurius'
import mercuriusCacheModule from 'mercurius-cache'
import { Cacheback } from 'graphql-cacheback'
import { RedisStore } from 'graphql-cacheback/redis'
import { cachebackDirective, cachebackTypeDefs } from 'graphql-cacheback/graphql'
import { cachebackApolloPlugin } from 'graphql-cacheback/apollo'
import { useCacheback } from 'graphql-cacheback/envelop'
import { createYoga } from 'graphql-yoga'
import { announceReady, env } from './child.js'
import { listResolvers, listTypeDefs } from './schemas.js'

/** The plugin (a CommonJS module whose typings declare it as the default export). */
const mercuriusCache = mercuriusCacheModule.default

const kind = env('KIND')
const redisUrl = env('REDIS_URL')
const prefix = env('PREFIX')

/** The schema Apollo and Yoga serve: transformed by cacheback when `cached` (with tags in use when `tagged`). */
function listSchema(cached: boolean, tagged = false) {
  const resolvers = listResolvers()
  if (process.env.ASYNC_RESOLVERS) {
    const sync = resolvers.Item.details
    resolvers.Item.details = (async (item: { id: number }) => sync(item)) as never
  }
  const schema = makeExecutableSchema({ typeDefs: [cachebackTypeDefs, tagged ? listTypeDefs(cached, true) : listTypeDefs(cached)], resolvers })
  if (!cached) return schema
  // COMMAND_TIMEOUT_MS: the store's command timeout (its default unless the run sets BENCH_COMMAND_TIMEOUT_MS).
  const commandTimeoutMs = process.env.COMMAND_TIMEOUT_MS ? Number(process.env.COMMAND_TIMEOUT_MS) : undefined
  const cache = new Cacheback({ store: new RedisStore({ redis: redisUrl, commandTimeoutMs }), namespace: `${prefix}list-cb` })
  return cachebackDirective({ cache }).transformer(schema)
}

async function yoga(cached: boolean): Promise<number> {
  const server = createServer(createYoga({ schema: listSchema(cached), plugins: [useCacheback()], logging: false }))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return typeof address === 'object' && address ? address.port : 0
}

async function apollo(cached: boolean, tagged = false): Promise<number> {
  const schema = listSchema(cached, tagged)
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

const port = kind.startsWith('apollo') ? await apollo(kind.startsWith('apollo-cacheback'), kind === 'apollo-cacheback-tags') : kind.startsWith('yoga') ? await yoga(kind === 'yoga-cacheback') : await mercuriusServer(kind === 'mercurius-cache')
announceReady(port, { stats: () => ({ ...counts }) })
