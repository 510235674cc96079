/**
 * A proxy in front of the example's upstream, one per worker process, that a
 * scenario switches between passing answers through, failing them (HTTP 503)
 * and holding them (the upstream is asked at once, its answer is kept until
 * the mode changes). It records every request, so a scenario can wait for a
 * worker's fetch to start, and stamps the tweets it passes with its label,
 * so a cached value tells which worker fetched it.
 */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** What the proxy does with a request. */
export type FaultMode = 'pass' | 'fail' | 'hold'

/** One request the proxy saw. */
export interface ProxiedRequest {
  /** Path and query, `/users/ann/tweets?limit=3`. */
  path: string
  /** `performance.now()` on arrival. */
  at: number
  /** The mode when it arrived. */
  mode: FaultMode
}

/** A running proxy. */
export interface FaultyUpstream {
  readonly url: string
  readonly label: string
  readonly mode: FaultMode
  /** Every request so far, in arrival order. */
  readonly requests: ProxiedRequest[]
  /** Switches the mode; held answers are then passed (`pass`) or failed (`fail`). */
  setMode(mode: FaultMode): void
  /** Calls `listener` on each request from now on; returns a function that stops it. */
  onRequest(listener: (request: ProxiedRequest) => void): () => void
  /** Resolves with the `count`th request whose path matches (all paths by default); rejects after `timeoutMs`. */
  waitForRequest(count?: number, pattern?: RegExp, timeoutMs?: number): Promise<ProxiedRequest>
  close(): Promise<void>
}

/**
 * Resolves with the first request matching `pattern` that reached one of
 * `proxies` at or after `since` (`performance.now()`, default now), and its
 * proxy; rejects after `timeoutMs`.
 */
export function firstRequest(proxies: FaultyUpstream[], pattern: RegExp, timeoutMs: number, since = performance.now()): Promise<{ proxy: FaultyUpstream; request: ProxiedRequest }> {
  const seen = proxies
    .flatMap((proxy) => proxy.requests.filter((r) => r.at >= since && pattern.test(r.path)).map((request) => ({ proxy, request })))
    .sort((a, b) => a.request.at - b.request.at)
  if (seen.length > 0) return Promise.resolve(seen[0])
  return new Promise((resolve, reject) => {
    const stops = proxies.map((proxy) =>
      proxy.onRequest((request) => {
        if (!pattern.test(request.path)) return
        finish()
        resolve({ proxy, request })
      }),
    )
    const timer = setTimeout(() => {
      finish()
      reject(new Error(`no request matching ${pattern} reached ${proxies.map((p) => p.label).join(' or ')} within ${timeoutMs} ms`))
    }, timeoutMs)
    const finish = () => {
      clearTimeout(timer)
      for (const stop of stops) stop()
    }
  })
}

/** Appends ` [label]` to the text of every tweet in an upstream answer. */
function stamp(body: unknown, label: string): unknown {
  if (!Array.isArray(body)) return body
  return body.map((tweet: { text?: unknown }) => (typeof tweet?.text === 'string' ? { ...tweet, text: `${tweet.text} [${label}]` } : tweet))
}

/** Starts a proxy of `upstreamUrl` on a free loopback port. */
export async function startFaultyUpstream(upstreamUrl: string, label: string, mode: FaultMode = 'pass'): Promise<FaultyUpstream> {
  const requests: ProxiedRequest[] = []
  const held = new Set<() => void>()
  const listeners = new Set<(request: ProxiedRequest) => void>()
  let current = mode

  const answer = (res: ServerResponse, status: number, body: unknown): void => {
    if (res.destroyed) return
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }
  const failed = (res: ServerResponse, path: string): void => answer(res, 503, { error: `upstream ${path} unavailable (${label})` })

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/'
    const arrived = current
    const request: ProxiedRequest = { path, at: performance.now(), mode: arrived }
    requests.push(request)
    for (const listener of [...listeners]) listener(request)
    if (arrived === 'fail') return failed(res, path)
    // Ask the upstream now, so a held answer is the value of this moment.
    const fetched = fetch(new URL(path, upstreamUrl)).then(async (response) => ({ status: response.status, body: (await response.json()) as unknown }))
    fetched.catch(() => undefined) // a held request whose worker died is never delivered
    const deliver = (): void => {
      if (current === 'fail') return failed(res, path)
      fetched.then(
        ({ status, body }) => answer(res, status, stamp(body, label)),
        (error: Error) => answer(res, 502, { error: error.message }),
      )
    }
    if (arrived === 'pass') return deliver()
    const release = (): void => {
      held.delete(release)
      deliver()
    }
    held.add(release)
    res.once('close', () => held.delete(release))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    label,
    get mode() {
      return current
    },
    requests,
    setMode(next) {
      current = next
      if (next !== 'hold') for (const release of [...held]) release()
    },
    onRequest(listener) {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    waitForRequest(count = 1, pattern = /./, timeoutMs = 15_000) {
      const matching = () => requests.filter((r) => pattern.test(r.path))
      return new Promise((resolve, reject) => {
        const check = () => {
          const seen = matching()
          if (seen.length < count) return
          finish()
          resolve(seen[count - 1])
        }
        const timer = setTimeout(() => {
          finish()
          reject(new Error(`upstream proxy ${label}: no request #${count} matching ${pattern} within ${timeoutMs} ms; saw ${JSON.stringify(requests.map((r) => r.path))}`))
        }, timeoutMs)
        const finish = () => {
          clearTimeout(timer)
          listeners.delete(check)
        }
        listeners.add(check)
        check()
      })
    },
    close: () =>
      new Promise<void>((resolve) => {
        held.clear()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
