/**
 * The example: an Apollo Server 5 in front of a slow upstream, with cached
 * fields. `npm run example` (embedded: memory store, in-process refresh);
 * with `REDIS_URL` set, a Redis store whose refreshes are done by
 * `npm run example:worker`. Settings: see settings.ts.
 */
import { ApolloServer } from '@apollo/server'
import { startStandaloneServer } from '@apollo/server/standalone'
import { cachebackDirective } from 'graphql-cacheback/graphql'
import { cachebackApolloPlugin } from 'graphql-cacheback/apollo'
import { type CacheMode, createExampleCache, logCacheEvent } from './cache.js'
import { type ExampleContext, exampleSchema, refreshContext } from './schema.js'
import { type ExampleSettings, readSettings } from './settings.js'
import { type Upstream, startUpstream, upstreamClient } from './upstream.js'

const EXAMPLE_QUERY = '{ user(id: "ann") { profile { name } tweets { text createdAt } } }'
const EXAMPLE_MUTATION = 'mutation { postTweet(user: "ann", text: "hello") { invalidated } }'
const EXAMPLE_PURGE = 'mutation { postTweet(user: "ann", text: "hello again", purge: true) { invalidated } }'

/** `curl` of a query, single-quoted for the shell. */
function curlLine(url: string, query: string, headers: string[] = []): string {
  const body = JSON.stringify({ query }).replaceAll("'", `'\\''`)
  return ['curl -s', url, "-H 'content-type: application/json'", ...headers.map((h) => `-H '${h}'`), `-d '${body}'`].join(' ')
}

function banner(url: string, upstreamUrl: string, settings: ExampleSettings, mode: CacheMode): string {
  const cacheLine =
    mode === 'embedded'
      ? 'embedded (memory store, refreshes in this process)'
      : `Redis ${settings.redisUrl}, refreshes sent to queue "${settings.queue}": run \`npm run example:worker\` in another shell`
  const { tweets, profile } = settings.lifetimes
  return [
    `Upstream at ${upstreamUrl} (${settings.upstreamLatencyMs} ms per call; calls served: curl -s ${upstreamUrl}/stats)`,
    `Cache: ${cacheLine}`,
    `GraphQL server ready at ${url}`,
    '',
    `Example query (tweets stay fresh ${tweets} s, profiles ${profile} s; then they are served stale while a refresh runs):`,
    `  ${EXAMPLE_QUERY}`,
    'Run it, and read "extensions.cacheback" (hit / stale / miss, staleFields):',
    `  ${curlLine(url, EXAMPLE_QUERY)}`,
    'A PRIVATE field, cached per user (x-user header):',
    `  ${curlLine(url, '{ timeline { author text } }', ['x-user: bob'])}`,
    "Post a tweet: it invalidates ann's cached tweets (and timelines showing them); the next query serves them stale and refreshes:",
    `  ${curlLine(url, EXAMPLE_MUTATION)}`,
    'Or purge them, so the next query fetches them:',
    `  ${curlLine(url, EXAMPLE_PURGE)}`,
    '',
  ].join('\n')
}

async function main(): Promise<void> {
  const settings = readSettings()
  let upstream: Upstream | undefined
  if (!settings.upstreamUrl) upstream = await startUpstream({ port: settings.upstreamPort, latencyMs: settings.upstreamLatencyMs })
  const upstreamUrl = settings.upstreamUrl ?? upstream!.url
  const client = upstreamClient(upstreamUrl)

  const { cache, mode } = createExampleCache(settings, (event) => logCacheEvent(event))
  const directive = cachebackDirective({ cache, scope: (ctx: ExampleContext) => ctx.userId, context: refreshContext(client) })
  const schema = directive.transformer(exampleSchema(settings.lifetimes, settings.refreshTimeout))
  // Signals are handled below (Apollo, then the cache, then the upstream), not by Apollo itself.
  const server = new ApolloServer<ExampleContext>({ schema, plugins: [cachebackApolloPlugin()], stopOnTerminationSignals: false })
  const { url } = await startStandaloneServer(server, {
    listen: { port: settings.port },
    context: async ({ req }) => {
      const header = req.headers['x-user']
      return { upstream: client, userId: (Array.isArray(header) ? header[0] : header) || undefined, cache }
    },
  })
  console.log(banner(url, upstreamUrl, settings, mode))

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    console.log(`${signal}: stopping`)
    await server.stop()
    await cache.close()
    await upstream?.close()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
}

main().catch((error) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error)
  process.exit(1)
})
