/**
 * The example server and its workers as child processes, as a user starts
 * them (`node --import tsx ...`), on the Redis and settings a scenario
 * chooses, and the queries the reliability loads send to them, each with a
 * check of its answer (whose tweets, whose timeline).
 */
import { type ExampleProcess, startExampleProcess } from '../../example/example-process.js'
import type { LoadQuery } from './load.js'

/** Settings of one example deployment (see example-server/settings.ts). */
export interface ExampleSettings {
  redisUrl: string
  /** Key namespace and queue name. */
  namespace: string
  upstreamLatencyMs: number
  /** Whole seconds. */
  tweetsLifetime: number
  /** Whole seconds. @default 60 */
  profileLifetime?: number
  /** Whole seconds. @default the directive's 60 */
  refreshTimeout?: number
  /** Workers' stalled-job check interval, ms. @default the library's 5000 */
  stallIntervalMs?: number
}

function environment(settings: ExampleSettings): Record<string, string> {
  const env: Record<string, string> = {
    REDIS_URL: settings.redisUrl,
    CACHEBACK_NAMESPACE: settings.namespace,
    CACHEBACK_QUEUE: settings.namespace,
    UPSTREAM_LATENCY_MS: String(settings.upstreamLatencyMs),
    TWEETS_LIFETIME: String(settings.tweetsLifetime),
    PROFILE_LIFETIME: String(settings.profileLifetime ?? 60),
  }
  if (settings.refreshTimeout !== undefined) env.REFRESH_TIMEOUT = String(settings.refreshTimeout)
  if (settings.stallIntervalMs !== undefined) env.STALL_INTERVAL_MS = String(settings.stallIntervalMs)
  return env
}

/** A running example server. */
export interface ExampleServer {
  process: ExampleProcess
  /** GraphQL endpoint. */
  url: string
  /** The upstream the server started (or was given). */
  upstreamUrl: string
}

/** Starts `example-server/server.ts` on free ports (its own upstream unless `upstreamUrl`); resolves once it listens. */
export async function startExampleServer(settings: ExampleSettings, upstreamUrl?: string): Promise<ExampleServer> {
  const env = { ...environment(settings), PORT: '0', UPSTREAM_PORT: '0', ...(upstreamUrl ? { UPSTREAM_URL: upstreamUrl } : {}) }
  const server = startExampleProcess(['example-server/server.ts'], env)
  const [, url] = await server.waitForLine(/ready at (http:\/\/\S+)/)
  return { process: server, url, upstreamUrl: upstreamUrl ?? (await server.waitForLine(/^Upstream at (http:\/\/\S+)/))[1] }
}

/** Starts a worker (`src/cli/worker.ts --module example-server/worker.ts`) whose refreshes call `upstreamUrl`; resolves once it consumes. */
export async function startExampleWorker(settings: ExampleSettings, upstreamUrl: string): Promise<ExampleProcess> {
  const worker = startExampleProcess(['src/cli/worker.ts', '--module', 'example-server/worker.ts'], { ...environment(settings), UPSTREAM_URL: upstreamUrl })
  await worker.waitForLine(/ready: queue/)
  return worker
}

/** Refreshes a worker's log shows as done. */
export const REFRESHED_TWEETS = /refresh-succeeded graphql:User\.tweets /
export const REFRESH_FAILED = /refresh-failed graphql:/

const FOLLOWS: Record<string, string[]> = { ann: ['bob', 'cat'], bob: ['ann'], cat: ['ann', 'bob'] }

interface Tweet {
  id: string
  author: string
  text: string
}

/** What is wrong with `user`'s tweets (`limit` of them, all by that user), or undefined. */
function checkTweets(tweets: Tweet[] | undefined, user: string, limit: number): string | undefined {
  if (!Array.isArray(tweets) || tweets.length !== limit) return `${user}: expected ${limit} tweets, got ${JSON.stringify(tweets)}`
  const foreign = tweets.find((t) => t.author !== user || !t.id.startsWith(`${user}-`))
  return foreign ? `${user}: a tweet of someone else: ${JSON.stringify(foreign)}` : undefined
}

const NAMES: Record<string, string> = { ann: 'Ann Archer', bob: 'Bob Baker', cat: 'Cat Cooper' }

function userQuery(users: string[], limit = 3): LoadQuery {
  const limitArg = limit === 3 ? '' : `(limit: ${limit})`
  return {
    name: `user:${users.join('+')}`,
    query: `{ ${users.map((u) => `${u}: user(id: "${u}") { profile { name } tweets${limitArg} { id author text } }`).join(' ')} }`,
    check: (data) => {
      for (const user of users) {
        if (data[user]?.profile?.name !== NAMES[user]) return `${user}: wrong profile ${JSON.stringify(data[user]?.profile)}`
        const wrong = checkTweets(data[user]?.tweets, user, limit)
        if (wrong) return wrong
      }
      return undefined
    },
  }
}

function timelineQuery(user: string): LoadQuery {
  return {
    name: `timeline:${user}`,
    query: '{ timeline { id author text } }',
    headers: { 'x-user': user },
    check: (data) => {
      const timeline = data.timeline as Tweet[] | null
      if (!Array.isArray(timeline) || timeline.length !== 3) return `timeline of ${user}: ${JSON.stringify(timeline)}`
      const foreign = timeline.find((t) => !FOLLOWS[user].includes(t.author))
      return foreign ? `timeline of ${user} holds a tweet of ${foreign.author}, whom ${user} does not follow` : undefined
    },
  }
}

/** A mix over every cached field: profiles and tweets of all three users, and each one's PRIVATE timeline. */
export const MIXED_QUERIES: LoadQuery[] = [userQuery(['ann', 'bob']), userQuery(['cat'], 5), timelineQuery('ann'), userQuery(['bob', 'cat']), timelineQuery('bob'), timelineQuery('cat')]

/** Ann's tweets only: one cached key. */
export const ANN_TWEETS: LoadQuery = {
  name: 'tweets:ann',
  query: '{ ann: user(id: "ann") { tweets { id author text } } }',
  check: (data) => checkTweets(data.ann?.tweets, 'ann', 3),
}

/** The tweets of each user, one cached key per user and query. */
export const TWEETS_OF_ALL: LoadQuery[] = ['ann', 'bob', 'cat'].map((user) => ({
  name: `tweets:${user}`,
  query: `{ ${user}: user(id: "${user}") { tweets { id author text } } }`,
  check: (data: any) => checkTweets(data[user]?.tweets, user, 3),
}))
