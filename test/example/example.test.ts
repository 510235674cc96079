/**
 * The example server end to end, started as a user starts it (child
 * processes, real HTTP with fetch), embedded and on Redis with a worker
 * process: the first query pays the upstream latency; repeated queries
 * inside `lifetime` call the upstream zero times; after `lifetime` answers
 * come at once, stale, naming the stale fields; each stale key is then
 * fetched from the upstream exactly once, whatever the number of clients;
 * the `postTweet` mutation invalidates the tweets it changed (soft or purge).
 *
 * The processes run on real clocks: an injected clock cannot cross the
 * process boundary, so this file (and only this one) waits in real time for
 * entries to go stale, with short lifetimes. Every other wait is on an event
 * (a log line), bounded.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { UpstreamStats } from '../../example-server/upstream.js'
import { uniqueNamespace } from '../helpers/namespace.js'
import { type ExampleProcess, startExampleProcess } from './example-process.js'

const LATENCY_MS = 1000
/** Far below the latency: an answer this fast did not wait for the upstream. */
const NO_WAIT_MS = LATENCY_MS / 2
/** Whole seconds (the directive takes an Int); leaves room for the first query (latency + warm-up, ~1.5 s under load) and the repeated ones. */
const TWEETS_LIFETIME_S = 3
const PROFILE_LIFETIME_S = 60
const CLIENTS = 50
const TIMEOUT_MS = 60_000

const QUERY = `{
  ann: user(id: "ann") { profile { name } tweets { id text } }
  bob: user(id: "bob") { profile { name } tweets { id text } }
}`
const TWEETS_PATHS = ['/users/ann/tweets?limit=3', '/users/bob/tweets?limit=3']
const PROFILE_PATHS = ['/users/ann', '/users/bob']

interface GraphQLResponse {
  data?: any
  errors?: unknown[]
  extensions?: { cacheback?: { hit: number; stale: number; miss: number; staleFields: { path: (string | number)[]; coordinate: string; age: number; lifetime: number; refresh: string }[] } }
}

interface Running {
  server: ExampleProcess
  /** The process whose log shows completed refreshes. */
  refresher: ExampleProcess
  refreshedLine: RegExp
  url: string
  upstreamUrl: string
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))

async function query(url: string, text: string, headers: Record<string, string> = {}): Promise<{ body: GraphQLResponse; ms: number }> {
  const started = performance.now()
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: text }) })
  const body = (await response.json()) as GraphQLResponse
  const ms = performance.now() - started
  expect(response.status, JSON.stringify(body)).toBe(200)
  expect(body.errors).toBeUndefined()
  return { body, ms }
}

async function upstreamCalls(upstreamUrl: string): Promise<UpstreamStats['calls']> {
  return ((await (await fetch(`${upstreamUrl}/stats`)).json()) as UpstreamStats).calls
}

const callsOf = (paths: string[], n: number) => Object.fromEntries(paths.map((path) => [path, n]))

const exampleEnv = (extra: Record<string, string> = {}) => ({
  UPSTREAM_LATENCY_MS: String(LATENCY_MS),
  TWEETS_LIFETIME: String(TWEETS_LIFETIME_S),
  PROFILE_LIFETIME: String(PROFILE_LIFETIME_S),
  ...extra,
})

/** Starts `example-server/server.ts` on free ports; resolves once it printed its URLs. */
async function startServer(env: Record<string, string>) {
  const server = startExampleProcess(['example-server/server.ts'], { PORT: '0', UPSTREAM_PORT: '0', ...env })
  const [, upstreamUrl] = await server.waitForLine(/^Upstream at (http:\/\/\S+)/)
  const [, url] = await server.waitForLine(/ready at (http:\/\/\S+)/)
  return { server, url, upstreamUrl }
}

/** The scenario of the issue, against a running example. */
async function staleWhileRevalidate({ server, refresher, refreshedLine, url, upstreamUrl }: Running): Promise<void> {
  const startedAt = performance.now()
  const first = await query(url, QUERY)
  const firstAnsweredAt = performance.now()
  expect(first.ms).toBeGreaterThanOrEqual(LATENCY_MS * 0.95)
  expect(first.body.extensions?.cacheback).toMatchObject({ hit: 0, stale: 0, miss: 4 })
  expect(await upstreamCalls(upstreamUrl)).toEqual({ ...callsOf(PROFILE_PATHS, 1), ...callsOf(TWEETS_PATHS, 1) })

  // Inside lifetime: served from the cache, the upstream is not called.
  const repeated = await Promise.all(Array.from({ length: 5 }, () => query(url, QUERY)))
  expect(performance.now() - startedAt, 'the repeated queries ran inside lifetime').toBeLessThan(TWEETS_LIFETIME_S * 1000)
  for (const { body, ms } of repeated) {
    expect(body.extensions?.cacheback).toMatchObject({ hit: 4, stale: 0, miss: 0 })
    expect(body.data).toEqual(first.body.data)
    expect(ms).toBeLessThan(NO_WAIT_MS)
  }
  expect(await upstreamCalls(upstreamUrl)).toEqual({ ...callsOf(PROFILE_PATHS, 1), ...callsOf(TWEETS_PATHS, 1) })

  // Real time: the tweets go stale (profiles stay fresh). The next answer
  // comes at once with the old value, and dispatches one refresh per key.
  // The entries were created before the first answer came back: past its end + lifetime they are stale, however slow the machine.
  await sleep(firstAnsweredAt + TWEETS_LIFETIME_S * 1000 + 200 - performance.now())
  const stale = await query(url, QUERY)
  expect(stale.ms).toBeLessThan(NO_WAIT_MS)
  expect(stale.body.data).toEqual(first.body.data)
  expect(stale.body.extensions?.cacheback).toMatchObject({ hit: 2, stale: 2, miss: 0 })
  const staleFields = stale.body.extensions!.cacheback!.staleFields
  expect(staleFields.map((field) => field.path).sort()).toEqual([['ann', 'tweets'], ['bob', 'tweets']])
  for (const field of staleFields) expect(field).toMatchObject({ coordinate: 'User.tweets', lifetime: TWEETS_LIFETIME_S, refresh: 'dispatched' })

  // 50 clients at once while the refreshes run: none waits for the upstream
  // (an answer that did would take at least its latency), none dispatches again.
  const burst = await Promise.all(Array.from({ length: CLIENTS }, () => query(url, QUERY)))
  for (const { body, ms } of burst) {
    expect(ms).toBeLessThan(LATENCY_MS)
    const reads = body.extensions!.cacheback!
    expect(reads.hit + reads.stale).toBe(4) // hit: a refresh had completed already
    for (const field of reads.staleFields) expect(field).toMatchObject({ coordinate: 'User.tweets', refresh: 'in-flight' })
  }
  const staleReads = 2 + burst.reduce((sum, { body }) => sum + body.extensions!.cacheback!.stale, 0)
  await server.waitForLines(/served stale User\.tweets/, staleReads) // one log line per stale read
  expect(server.matching(/served stale User\.tweets/)).toHaveLength(staleReads)

  // The refreshes complete: fresh again, each stale key fetched exactly once.
  await refresher.waitForLines(refreshedLine, 2)
  const after = await query(url, QUERY)
  expect(after.body.extensions?.cacheback).toMatchObject({ hit: 4, stale: 0, miss: 0 })
  expect(await upstreamCalls(upstreamUrl)).toEqual({ ...callsOf(PROFILE_PATHS, 1), ...callsOf(TWEETS_PATHS, 2) })
  expect(refresher.matching(refreshedLine)).toHaveLength(2)
}

/** `postTweet` invalidates the user's cached tweets: soft, the next answer is stale and refreshed; purge, the next one fetches. */
async function postTweetInvalidates({ refresher, refreshedLine, url }: Running): Promise<void> {
  const CAT = '{ user(id: "cat") { tweets { text } } }'
  const texts = (body: GraphQLResponse) => body.data.user.tweets.map((t: { text: string }) => t.text)
  expect((await query(url, CAT)).body.extensions?.cacheback).toMatchObject({ miss: 1 })
  const cached = await query(url, CAT)
  expect(cached.body.extensions?.cacheback).toMatchObject({ hit: 1 })

  const soft = await query(url, 'mutation { postTweet(user: "cat", text: "soft") { invalidated } }')
  expect(soft.body.data.postTweet.invalidated).toBeGreaterThanOrEqual(1)
  const refreshed = refresher.matching(refreshedLine).length
  const stale = await query(url, CAT)
  expect(stale.ms).toBeLessThan(NO_WAIT_MS)
  expect(stale.body.data).toEqual(cached.body.data)
  expect(stale.body.extensions?.cacheback?.staleFields).toEqual([expect.objectContaining({ path: ['user', 'tweets'], coordinate: 'User.tweets', refresh: 'dispatched' })])
  await refresher.waitForLines(refreshedLine, refreshed + 1)
  const after = await query(url, CAT)
  expect(after.body.extensions?.cacheback).toMatchObject({ hit: 1 })
  expect(texts(after.body)[0]).toBe('soft')

  await query(url, 'mutation { postTweet(user: "cat", text: "purged", purge: true) { invalidated } }')
  const fetched = await query(url, CAT)
  expect(fetched.body.extensions?.cacheback).toMatchObject({ miss: 1, stale: 0 })
  expect(texts(fetched.body).slice(0, 2)).toEqual(['purged', 'soft'])
}

describe('embedded (memory store, in-process refresh)', () => {
  let running: Running

  beforeAll(async () => {
    const started = await startServer(exampleEnv())
    running = { ...started, refresher: started.server, refreshedLine: /\[cacheback\] refreshed User\.tweets/ }
    expect(started.server.matching(/^Cache: embedded/)).toHaveLength(1)
  }, TIMEOUT_MS)
  afterAll(async () => {
    if (running) expect(await running.server.stop()).toBe(0)
  })

  it('serves stale at once and fetches each stale key once, in the server process', async () => {
    await staleWhileRevalidate(running)
    expect(running.server.matching(/refresh of User\.tweets .* dispatched \(in-process\)/)).toHaveLength(2)
  }, TIMEOUT_MS)

  it('caches the PRIVATE timeline per x-user, and not without one', async () => {
    const ann = await query(running.url, '{ timeline { id } }', { 'x-user': 'ann' })
    expect(ann.ms).toBeGreaterThanOrEqual(LATENCY_MS * 0.95)
    expect(ann.body.extensions?.cacheback).toMatchObject({ miss: 1 })
    const again = await query(running.url, '{ timeline { id } }', { 'x-user': 'ann' })
    expect(again.body).toMatchObject({ data: ann.body.data, extensions: { cacheback: { hit: 1, miss: 0 } } })
    const bob = await query(running.url, '{ timeline { id } }', { 'x-user': 'bob' })
    expect(bob.body.extensions?.cacheback).toMatchObject({ hit: 0, miss: 1 })
    const signedOut = await query(running.url, '{ timeline { id } }')
    expect(signedOut.body).toEqual({ data: { timeline: null } })
    const calls = await upstreamCalls(running.upstreamUrl)
    expect([calls['/users/ann/timeline?limit=3'], calls['/users/bob/timeline?limit=3']]).toEqual([1, 1])
  }, TIMEOUT_MS)

  it('invalidates what postTweet changed: served stale and refreshed, or fetched after a purge', async () => {
    await postTweetInvalidates(running)
  }, TIMEOUT_MS)
})

describe('Redis store, refreshed by the worker process', () => {
  let server: ExampleProcess | undefined
  let worker: ExampleProcess | undefined
  let running: Running

  beforeAll(async () => {
    const name = uniqueNamespace('example')
    const env = exampleEnv({ REDIS_URL: inject('redisUrl'), CACHEBACK_NAMESPACE: name, CACHEBACK_QUEUE: name })
    const started = await startServer(env)
    server = started.server
    expect(server.matching(/^Cache: Redis/)).toHaveLength(1)
    // What `npm run example:worker` runs, pointed at the upstream the server started.
    worker = startExampleProcess(['src/cli/worker.ts', '--module', 'example-server/worker.ts'], { ...env, UPSTREAM_URL: started.upstreamUrl })
    await worker.waitForLine(/ready: queue/)
    running = { ...started, refresher: worker, refreshedLine: /refresh-succeeded graphql:User\.tweets / }
  }, TIMEOUT_MS)
  afterAll(async () => {
    const codes = await Promise.all([server?.stop(), worker?.stop()])
    if (server && worker) expect(codes).toEqual([0, 0])
  })

  it('serves stale at once and fetches each stale key once, in the worker process', async () => {
    await staleWhileRevalidate(running)
    expect(running.server.matching(/refresh of User\.tweets .* dispatched \(bee-queue\)/)).toHaveLength(2)
    expect(running.server.matching(/\[cacheback\] refreshed/)).toEqual([])
  }, TIMEOUT_MS)

  it('invalidates what postTweet changed across processes: the worker refreshes, or the next read fetches', async () => {
    await postTweetInvalidates(running)
  }, TIMEOUT_MS)
})
