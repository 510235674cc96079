/**
 * A `stale-storm` server process; the scenario runs two of each kind on one
 * Redis (`KIND`):
 *
 * - `apollo-cacheback`: Apollo Server 5, `@cacheback(lifetime: LIFETIME)`
 *   on `Query.item`, `RedisStore` and `BeeQueueRefresher` (the refreshes are
 *   run by the worker process, `storm-worker.ts`);
 * - `mercurius-cache`: Fastify 5 + Mercurius + mercurius-cache with its
 *   Redis storage, `ttl: LIFETIME` and `stale` (refreshes in this process).
 *
 * `Query.item` calls the slow upstream at `UPSTREAM_URL`. `stats` answers
 * what the cache did so far (event counts, hits left out).
 *
 * Environment: `KIND`, `REDIS_URL`, `PREFIX`, `UPSTREAM_URL`, `LIFETIME`
 * (seconds), and for cacheback those of `storm-cache.ts`.
 */
import { ApolloServer } from '@apollo/server'
import { startStandaloneServer } from '@apollo/server/standalone'
import { makeExecutableSchema } from '@graphql-tools/schema'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import mercurius from 'mercurius'
import mercuriusCacheModule from 'mercurius-cache'
import { type CachebackEvent } from 'graphql-cacheback'
import { cachebackDirective, cachebackTypeDefs } from 'graphql-cacheback/graphql'
import { cachebackApolloPlugin } from 'graphql-cacheback/apollo'
import { announceReady, env } from './child.js'
import { eventName, stormCache } from './storm-cache.js'
import { stormResolvers, stormTypeDefs } from './schemas.js'

const mercuriusCache = mercuriusCacheModule.default
const kind = env('KIND')
const redisUrl = env('REDIS_URL')
const prefix = env('PREFIX')
const upstreamUrl = env('UPSTREAM_URL')
const lifetime = Number(env('LIFETIME'))

/** Event counts (`stale`, `miss`, `refresh-dispatched:bee-queue`, `store-error:E_STORE_TIMEOUT`, …). */
const counts: Record<string, number> = {}
const count = (name: string) => void (counts[name] = (counts[name] ?? 0) + 1)

function countEvent(event: CachebackEvent): void {
  if (event.type !== 'hit') count(eventName(event))
}

async function apollo(): Promise<number> {
  const cache = stormCache(countEvent)
  const base = makeExecutableSchema({ typeDefs: [cachebackTypeDefs, stormTypeDefs(true, lifetime)], resolvers: stormResolvers(upstreamUrl) })
  const schema = cachebackDirective({ cache }).transformer(base)
  const server = new ApolloServer({ schema, plugins: [cachebackApolloPlugin()] })
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } })
  return Number(new URL(url).port)
}

async function mercuriusServer(): Promise<number> {
  const app = Fastify({ logger: false })
  app.register(mercurius, { schema: stormTypeDefs(false, lifetime), resolvers: stormResolvers(upstreamUrl) })
  const client = new Redis(redisUrl, { enableAutoPipelining: true, keyPrefix: `${prefix}storm-mc:` })
  app.register(mercuriusCache, {
    ttl: lifetime,
    stale: 3600,
    policy: { Query: { item: true } },
    storage: { type: 'redis', options: { client, invalidation: false } },
    onHit: () => count('hit'),
    onMiss: () => count('miss'),
    onDedupe: () => count('dedupe'),
    onError: () => count('error'),
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  return typeof address === 'object' && address ? address.port : 0
}

const port = kind === 'apollo-cacheback' ? await apollo() : await mercuriusServer()
announceReady(port, { stats: () => ({ ...counts }) })
