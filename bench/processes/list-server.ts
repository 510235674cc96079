/**
 * A `graphql-list` server process, one per contender (`KIND`):
 *
 * - `apollo-cacheback`: Apollo Server 5 (standalone HTTP server), the
 *   schema transformed by `cachebackDirective` on a `RedisStore` made from
 *   `REDIS_URL`, `cachebackApolloPlugin()`;
 * - `apollo-cacheback-tags`: the same with tags in use (`LIST_TAGS`, filled
 *   on every read and filed on every write);
 * - `apollo-cacheback-l1`: the same with an in-process tier
 *   (`l1: { maxEntries: 10000 }`, its bus the store's; ready once it listens);
 * - `apollo`: the same server and plugin, the schema without a cache;
 * - `mercurius-cache`: Fastify 5 + Mercurius + mercurius-cache with its
 *   Redis storage (`ttl` and `stale` as cacheback's lifetime and grace);
 * - `mercurius`: the same without a cache;
 * - `yoga-cacheback`: GraphQL Yoga 5 on a Node HTTP server, the schema
 *   transformed by `cachebackDirective` as for Apollo, `useCacheback()`;
 * - `yoga`: the same server and plugin, the schema without a cache.
 *
 * Environment: `KIND`, `REDIS_URL`, `PREFIX` (key prefix of this run),
 * `MODE`: `http` (default: listens, the parent loads it over HTTP) or
 * `in-process` (Apollo only: no HTTP server; the parent's `run` request makes
 * this process send `IN_PROCESS_REQUESTS` queries to itself with
 * `executeOperation`, `IN_PROCESS_CONCURRENCY` at a time, and answer with the
 * load result).
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
import { runLoad } from '../support/stats.js'
import { announceReady, env } from './child.js'
import { LIST_PAGES, LIST_QUERY, LIST_SIZE, listResolvers, listTypeDefs } from './schemas.js'

/** The plugin (a CommonJS module whose typings declare it as the default export). */
const mercuriusCache = mercuriusCacheModule.default

const kind = env('KIND')
const redisUrl = env('REDIS_URL')
const prefix = env('PREFIX')

const mode = process.env.MODE ?? 'http'

/** The cache of an `apollo-cacheback*` server, once its tier (if any) serves. */
async function listCache(l1: boolean): Promise<Cacheback> {
  // COMMAND_TIMEOUT_MS: the store's command timeout (its default unless the run sets BENCH_COMMAND_TIMEOUT_MS).
  const commandTimeoutMs = process.env.COMMAND_TIMEOUT_MS ? Number(process.env.COMMAND_TIMEOUT_MS) : undefined
  const cache = new Cacheback({ store: new RedisStore({ redis: redisUrl, commandTimeoutMs }), namespace: `${prefix}list-cb${l1 ? '-l1' : ''}`, l1: l1 ? { maxEntries: 10_000 } : undefined })
  if (l1 && !cache.l1!.serving) {
    // Waits for the bus, then stops listening: a listener makes every hit build an event, which the uncached server does not pay for.
    await new Promise<void>((resolve) => {
      const stop = cache.addListener((event) => event.type === 'bus-up' && (stop(), resolve()))
    })
  }
  return cache
}

/** In-process load: `IN_PROCESS_REQUESTS` `executeOperation`s (page `i mod LIST_PAGES`), `IN_PROCESS_CONCURRENCY` in flight. */
function inProcessRun(server: ApolloServer): () => Promise<unknown> {
  const requests = Number(env('IN_PROCESS_REQUESTS'))
  const concurrency = Number(env('IN_PROCESS_CONCURRENCY'))
  const requestsOf = Array.from({ length: LIST_PAGES }, (_, page) => ({ query: LIST_QUERY, variables: { page } }))
  return () =>
    runLoad(
      async (i) => {
        const response = await server.executeOperation(requestsOf[i % LIST_PAGES], { contextValue: {} })
        if (response.body.kind !== 'single' || response.body.singleResult.errors) throw new Error(`in-process query failed: ${JSON.stringify(response.body)}`)
      },
      requests,
      concurrency,
    )
}

/** Three passes over every page (the first stores, the second admits to the tier), checking the last one's reads. */
async function warmInProcess(server: ApolloServer, cached: boolean): Promise<void> {
  for (let pass = 0; pass < 3; pass++) {
    for (let page = 0; page < LIST_PAGES; page++) {
      const response = await server.executeOperation({ query: LIST_QUERY, variables: { page } }, { contextValue: {} })
      const result = response.body.kind === 'single' ? response.body.singleResult : undefined
      const hits = (result?.extensions?.cacheback as { hit?: number } | undefined)?.hit
      if (!result || result.errors || (pass === 2 && cached && hits !== LIST_SIZE)) throw new Error(`warm-up of page ${page} failed: ${JSON.stringify(result)}`)
    }
  }
}

/** The schema Apollo and Yoga serve: transformed by cacheback when `cached` (with tags in use when `tagged`). */
async function listSchema(cached: boolean, tagged = false, l1 = false) {
  const resolvers = listResolvers()
  if (process.env.ASYNC_RESOLVERS) {
    const sync = resolvers.Item.details
    resolvers.Item.details = (async (item: { id: number }) => sync(item)) as never
  }
  const schema = makeExecutableSchema({ typeDefs: [cachebackTypeDefs, tagged ? listTypeDefs(cached, true) : listTypeDefs(cached)], resolvers })
  if (!cached) return schema
  return cachebackDirective({ cache: await listCache(l1) }).transformer(schema)
}

async function yoga(cached: boolean): Promise<number> {
  const server = createServer(createYoga({ schema: await listSchema(cached), plugins: [useCacheback()], logging: false }))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return typeof address === 'object' && address ? address.port : 0
}

async function apollo(cached: boolean, variant: { tagged?: boolean; l1?: boolean } = {}): Promise<number> {
  const schema = await listSchema(cached, variant.tagged, variant.l1)
  const server = new ApolloServer({ schema, plugins: [cachebackApolloPlugin()] })
  if (mode === 'in-process') {
    await server.start()
    handlers.run = inProcessRun(server)
    handlers.warm = () => warmInProcess(server, cached)
    return 0
  }
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } })
  return Number(new URL(url).port)
}

const counts = { hits: 0, misses: 0 }
const handlers: Record<string, () => unknown> = { stats: () => ({ ...counts }) }

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

const port = kind.startsWith('apollo')
  ? await apollo(kind.startsWith('apollo-cacheback'), { tagged: kind === 'apollo-cacheback-tags', l1: kind === 'apollo-cacheback-l1' })
  : kind.startsWith('yoga')
    ? await yoga(kind === 'yoga-cacheback')
    : await mercuriusServer(kind === 'mercurius-cache')
announceReady(port, handlers)
