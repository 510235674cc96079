/**
 * The slow upstream the example caches: a small JSON service (node:http) with
 * users, their tweets and their timelines, answering every request after
 * `latencyMs`. It counts the calls it serves per path; `GET /stats` (not
 * delayed, not counted) returns those counts.
 *
 *   GET /users/:id                  { id, name, bio, followers }   (404 for an unknown id)
 *   GET /users/:id/tweets?limit=n   the user's latest n tweets
 *   GET /users/:id/timeline?limit=n the latest n tweets of the people :id follows
 *   POST /users/:id/tweets {"text"} posts a tweet as :id; answers it
 *   GET /stats                      { latencyMs, total, calls: { "/users/ann": 1, ... } }
 *
 * Every user posts a tweet every 5 s, so a refreshed value shows newer tweets
 * than the stale one it replaces; tweets posted through the API come first.
 */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A user as the upstream knows it. */
export interface UpstreamUser {
  id: string
  name: string
  bio: string
  followers: number
  follows: string[]
}

/** A tweet as the upstream serves it. */
export interface UpstreamTweet {
  id: string
  author: string
  text: string
  /** ISO 8601. */
  createdAt: string
}

/** What `GET /stats` returns. */
export interface UpstreamStats {
  latencyMs: number
  /** Calls served, all paths. */
  total: number
  /** Calls served per path and query (`/users/ann/tweets?limit=3`). */
  calls: Record<string, number>
}

const USERS: Record<string, UpstreamUser> = {
  ann: { id: 'ann', name: 'Ann Archer', bio: 'Caches everything twice.', followers: 1200, follows: ['bob', 'cat'] },
  bob: { id: 'bob', name: 'Bob Baker', bio: 'Serves stale bread, fresh jokes.', followers: 87, follows: ['ann'] },
  cat: { id: 'cat', name: 'Cat Cooper', bio: 'Invalidation is the hard part.', followers: 4300, follows: ['ann', 'bob'] },
}

const PHRASES = ['shipping a new release', 'reading about cache stampedes', 'coffee first', 'the upstream is slow today', 'stale is better than late']

/** Ms between two tweets of one user. */
const TWEET_EVERY_MS = 5000
/** Most tweets one request returns. */
const MAX_LIMIT = 20

/**
 * The latest `limit` tweets of a user at `now` (newest first): numbered from
 * the upstream's start, one more every 5 s, at a different moment per user.
 */
/** Tweets posted through `POST /users/:id/tweets`, newest first, per user. */
type Posted = Record<string, UpstreamTweet[]>

function tweetsOf(user: UpstreamUser, limit: number, clock: Clock): UpstreamTweet[] {
  const { now, startedAt, posted } = clock
  const offset = (user.id.charCodeAt(0) * 997) % TWEET_EVERY_MS
  const latest = MAX_LIMIT + Math.floor((now - startedAt - offset) / TWEET_EVERY_MS)
  const generated = Array.from({ length: limit }, (_, i) => {
    const n = latest - i
    const createdAt = new Date(startedAt + offset + (n - MAX_LIMIT) * TWEET_EVERY_MS).toISOString()
    return { id: `${user.id}-${n}`, author: user.id, text: `${PHRASES[n % PHRASES.length]} (#${n})`, createdAt }
  })
  return [...(posted[user.id] ?? []), ...generated].slice(0, limit)
}

function timelineOf(user: UpstreamUser, limit: number, clock: Clock): UpstreamTweet[] {
  const all = user.follows.flatMap((id) => tweetsOf(USERS[id], limit, clock))
  return all.sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, limit)
}

interface Clock {
  now: number
  startedAt: number
  posted: Posted
}

/** The JSON body of a path, or undefined for a 404. */
function route(url: URL, clock: Clock): unknown {
  const match = /^\/users\/([^/]+)(?:\/(tweets|timeline))?$/.exec(url.pathname)
  const user = match ? USERS[match[1]] : undefined
  if (!user) return undefined
  const limit = Math.min(MAX_LIMIT, Math.max(1, Number(url.searchParams.get('limit') ?? 3) || 3))
  if (match![2] === 'tweets') return tweetsOf(user, limit, clock)
  if (match![2] === 'timeline') return timelineOf(user, limit, clock)
  const { follows: _follows, ...profile } = user
  return profile
}

/** `POST /users/:id/tweets`: the posted tweet, or undefined for an unknown user or a body without text. */
function post(url: URL, body: string, posted: Posted): UpstreamTweet | undefined {
  const match = /^\/users\/([^/]+)\/tweets$/.exec(url.pathname)
  const user = match ? USERS[match[1]] : undefined
  let text: unknown
  try {
    text = (JSON.parse(body) as { text?: unknown }).text
  } catch {
    return undefined
  }
  if (!user || typeof text !== 'string' || text === '') return undefined
  const list = (posted[user.id] ??= [])
  const tweet = { id: `${user.id}-posted-${list.length + 1}`, author: user.id, text, createdAt: new Date().toISOString() }
  list.unshift(tweet)
  return tweet
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

/** Options of {@link startUpstream}. */
export interface UpstreamOptions {
  /** Port to listen on (127.0.0.1); 0 picks a free one. @default 0 */
  port?: number
  /** Delay of every answer except `/stats`, in ms. @default 300 */
  latencyMs?: number
}

/** A running upstream. */
export interface Upstream {
  /** `http://127.0.0.1:<port>` */
  url: string
  latencyMs: number
  stats(): UpstreamStats
  close(): Promise<void>
}

/** Starts the upstream; resolves once it listens. */
export async function startUpstream(options: UpstreamOptions = {}): Promise<Upstream> {
  const latencyMs = options.latencyMs ?? 300
  const calls: Record<string, number> = {}
  const startedAt = Date.now()
  const posted: Posted = {}
  const stats = (): UpstreamStats => ({ latencyMs, total: Object.values(calls).reduce((sum, n) => sum + n, 0), calls: { ...calls } })
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://upstream')
    if (req.method !== 'GET' && req.method !== 'POST') return sendJson(res, 405, { error: 'GET or POST only' })
    if (url.pathname === '/stats') return sendJson(res, 200, stats())
    const path = `${req.method === 'POST' ? 'POST ' : ''}${url.pathname}${url.search}`
    calls[path] = (calls[path] ?? 0) + 1
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () =>
      setTimeout(() => {
        const answer = req.method === 'POST' ? post(url, body, posted) : route(url, { now: Date.now(), startedAt, posted })
        sendJson(res, answer === undefined ? 404 : 200, answer ?? { error: `no such resource: ${req.method} ${url.pathname}` })
      }, latencyMs),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    latencyMs,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A client of the upstream, as resolvers use it. */
export interface UpstreamClient {
  /** GETs a path; resolves with the parsed JSON, or null for a 404. */
  get<T>(path: string): Promise<T | null>
  /** POSTs a JSON body to a path; resolves with the parsed JSON, or null for a 404. */
  post<T>(path: string, body: unknown): Promise<T | null>
}

/** A client of the upstream at `baseUrl`. Errors other than 404 reject. */
export function upstreamClient(baseUrl: string): UpstreamClient {
  return {
    async get<T>(path: string): Promise<T | null> {
      const response = await fetch(new URL(path, baseUrl))
      if (response.status === 404) return null
      if (!response.ok) throw new Error(`upstream ${path}: HTTP ${response.status}`)
      return (await response.json()) as T
    },
    async post<T>(path: string, body: unknown): Promise<T | null> {
      const response = await fetch(new URL(path, baseUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      if (response.status === 404) return null
      if (!response.ok) throw new Error(`upstream POST ${path}: HTTP ${response.status}`)
      return (await response.json()) as T
    },
  }
}
