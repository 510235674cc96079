/**
 * `startDashboard`: a small HTTP server for the deployment's figures.
 * `GET /` the page, `GET /api/stats` the JSON it polls, `POST /api/invalidate`
 * the form (only with a `token`; a request without the right
 * `Authorization: Bearer <token>` is refused with 403).
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { GraphQLSchema } from 'graphql'
import { Redis } from 'ioredis'
import type { Cacheback } from '../cacheback.js'
import { DEFAULT_DASHBOARD_REFRESH_MS } from '../defaults.js'
import { CachebackError, isCachebackError, messageOf } from '../errors.js'
/** An ioredis client (the dashboard and the ops command use commands beyond the store's). */
type RedisClient = import('ioredis').Redis | import('ioredis').Cluster
import { readDeploymentStats } from './deployment.js'
import { type InvalidatorOptions, invalidatorFor } from './field-jobs.js'
import { invalidateFromForm } from './invalidate.js'
import { dashboardPage } from './page.js'

/** Options of {@link startDashboard}. */
export interface DashboardOptions {
  /** The cache of the deployment: its namespace is read, its `invalidate` serves the form. */
  cache: Cacheback
  /** Port; 0 picks a free one. */
  port: number
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string
  /** Token that turns the invalidation form on. @default none (form off, every POST 403) */
  token?: string
  /** Redis the figures are read from: a client (not closed) or a URL. @default the cache's `RedisStore` client */
  redis?: RedisClient | string
  /** The GraphQL schema: with it, field and entity selectors are checked against it and resolved as the directive does. */
  schema?: GraphQLSchema
  /** Refresh context of the field jobs registered for `schema` (a worker's own). @default () => ({}) */
  context?: InvalidatorOptions['context']
  /** Ms between the page's reloads. @default 2000 */
  refreshMs?: number
}

/** A running dashboard. */
export interface Dashboard {
  /** `http://host:port/`. */
  readonly url: string
  readonly port: number
  /** Stops listening and closes a Redis client it opened. */
  close(): Promise<void>
}

/** Largest POST body read, bytes. */
const MAX_BODY_BYTES = 16 * 1024

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = type === 'application/json' ? JSON.stringify(body) : String(body)
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' })
  res.end(text)
}

const digest = (value: string) => createHash('sha256').update(value).digest()

/** Whether the request carries the token (constant-time compare). */
function authorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? ''
  const given = header.startsWith('Bearer ') ? header.slice(7) : ''
  return timingSafeEqual(digest(given), digest(token))
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0
  const chunks: Buffer[] = []
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw new CachebackError('E_INVALID_OPTION', `invalidate: body over ${MAX_BODY_BYTES} bytes`)
    chunks.push(chunk)
  }
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown
    if (body && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>
  } catch {
    // answered below
  }
  throw new CachebackError('E_INVALID_OPTION', 'invalidate: the body must be a JSON object')
}

/** Starts the dashboard server. */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { cache, token } = options
  const given = options.redis ?? (cache.store as { client?: RedisClient }).client
  if (!given) throw new CachebackError('E_INVALID_OPTION', 'startDashboard: give `redis` (a client or URL): the cache does not use a RedisStore')
  const redis = typeof given === 'string' ? new Redis(given) : given
  const invalidator = await invalidatorFor({ cache, schema: options.schema, context: options.context })
  const page = dashboardPage(options.refreshMs ?? DEFAULT_DASHBOARD_REFRESH_MS)

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://dashboard').pathname
    if (req.method === 'GET' && path === '/') return send(res, 200, page, 'text/html')
    if (req.method === 'GET' && path === '/api/stats') {
      const stats = await readDeploymentStats({ redis, namespace: cache.namespace })
      return send(res, 200, { ...stats, invalidation: { enabled: token !== undefined } })
    }
    if (req.method === 'POST' && path === '/api/invalidate') {
      if (token === undefined) return send(res, 403, { error: 'invalidation is off (no token was given at start)' })
      if (!authorized(req, token)) return send(res, 403, { error: 'wrong or missing token' })
      const done = await invalidateFromForm(invalidator, await readJson(req))
      return send(res, 200, done)
    }
    return send(res, 404, { error: 'not found' })
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return res.destroy()
      send(res, isCachebackError(error, 'E_INVALID_OPTION') ? 400 : 500, { error: messageOf(error), code: isCachebackError(error) ? error.code : undefined })
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve())
  })
  const { port, address } = server.address() as AddressInfo
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}/`,
    port,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      if (typeof given === 'string') await redis.quit().catch(() => undefined)
    },
  }
}
