/**
 * Bounded request loops against a GraphQL server over HTTP: `clients` loops,
 * each sending one query, checking the answer and pausing `pauseMs`, until
 * `stop()`, `maxDurationMs` or `maxRequests`, whichever comes first. Every
 * answer becomes a {@link Sample}; an answer that is not HTTP 200 with data,
 * carries GraphQL errors, fails its query's check or takes longer than
 * `requestTimeoutMs` is a failure.
 */

/** A query of the load, with the check its answers must pass. */
export interface LoadQuery {
  name: string
  query: string
  headers?: Record<string, string>
  /** Returns what is wrong with the answer's `data`, or undefined. */
  check(data: any): string | undefined
}

/** The `extensions.cacheback` of an answer. */
export interface CachebackExtension {
  hit: number
  stale: number
  miss: number
  staleFields: { path: (string | number)[]; coordinate: string; age: number; lifetime: number; refresh: string }[]
}

/** One answer. Times are `performance.now()` ms. */
export interface Sample {
  client: number
  query: string
  startedAt: number
  endedAt: number
  ms: number
  ok: boolean
  failure?: string
  cacheback?: CachebackExtension
  data?: any
}

/** Options of {@link startLoad}. */
export interface LoadOptions {
  url: string
  queries: LoadQuery[]
  /** Concurrent loops. @default 8 */
  clients?: number
  /** Pause of a loop between two requests, ms. @default 20 */
  pauseMs?: number
  /** The loops stop by themselves after this long, ms. */
  maxDurationMs: number
  /** ...or after this many requests in all. @default 1_000_000 */
  maxRequests?: number
  /** A request still unanswered after this long is a failure, ms. @default 10_000 */
  requestTimeoutMs?: number
  /** Keep each answer's `data` in its sample. @default false */
  keepData?: boolean
}

/** A running load. */
export interface Load {
  readonly samples: Sample[]
  /** Resolves with the first sample that matches (among those seen so far too when `seen`); rejects after `timeoutMs`. */
  waitFor(match: (sample: Sample) => boolean, timeoutMs: number, what: string, seen?: boolean): Promise<Sample>
  /** Ends the loops after their current request; resolves with every sample. */
  stop(): Promise<Sample[]>
  /** Resolves with every sample once the loops have ended (by `stop` or a bound). */
  readonly done: Promise<Sample[]>
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function request(options: LoadOptions, query: LoadQuery, client: number): Promise<Sample> {
  const startedAt = performance.now()
  const sample = (ok: boolean, extra: Partial<Sample>): Sample => {
    const endedAt = performance.now()
    return { client, query: query.name, startedAt, endedAt, ms: endedAt - startedAt, ok, ...extra }
  }
  try {
    const response = await fetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...query.headers },
      body: JSON.stringify({ query: query.query }),
      signal: AbortSignal.timeout(options.requestTimeoutMs ?? 10_000),
    })
    const body = (await response.json()) as { data?: unknown; errors?: unknown[]; extensions?: { cacheback?: CachebackExtension } }
    const cacheback = body.extensions?.cacheback
    const data = options.keepData ? body.data : undefined
    if (response.status !== 200) return sample(false, { failure: `HTTP ${response.status}: ${JSON.stringify(body).slice(0, 300)}`, cacheback })
    if (body.errors?.length) return sample(false, { failure: `errors: ${JSON.stringify(body.errors).slice(0, 300)}`, cacheback, data })
    const wrong = body.data ? query.check(body.data) : 'no data'
    if (wrong) return sample(false, { failure: wrong, cacheback, data })
    return sample(true, { cacheback, data })
  } catch (error) {
    return sample(false, { failure: `request failed: ${(error as Error).message}` })
  }
}

/** Starts the loops; they run in the background until stopped or bounded. */
export function startLoad(options: LoadOptions): Load {
  const clients = options.clients ?? 8
  const pauseMs = options.pauseMs ?? 20
  const maxRequests = options.maxRequests ?? 1_000_000
  const deadline = performance.now() + options.maxDurationMs
  const samples: Sample[] = []
  const waiters = new Set<(sample: Sample) => void>()
  let stopped = false
  let sent = 0

  const loop = async (client: number): Promise<void> => {
    for (let n = 0; !stopped && performance.now() < deadline && sent < maxRequests; n++) {
      sent++
      const query = options.queries[(client + n) % options.queries.length]
      const sample = await request(options, query, client)
      samples.push(sample)
      for (const waiter of waiters) waiter(sample)
      await sleep(pauseMs)
    }
  }
  const done = Promise.all(Array.from({ length: clients }, (_, client) => loop(client))).then(() => samples)

  return {
    samples,
    done,
    waitFor(match, timeoutMs, what, seen = false) {
      const found = seen ? samples.find(match) : undefined
      if (found) return Promise.resolve(found)
      return new Promise((resolve, reject) => {
        const onSample = (sample: Sample) => {
          if (!match(sample)) return
          finish()
          resolve(sample)
        }
        const timer = setTimeout(() => {
          finish()
          reject(new Error(`no answer ${what} within ${timeoutMs} ms (${samples.length} answers so far)`))
        }, timeoutMs)
        const finish = () => {
          clearTimeout(timer)
          waiters.delete(onSample)
        }
        waiters.add(onSample)
      })
    },
    stop() {
      stopped = true
      return done
    },
  }
}

/** The `p`th percentile (0–100, nearest rank) of `values`; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}

/** Latency figures of some samples, ms. */
export interface LatencyFigures {
  count: number
  p50: number
  p99: number
  max: number
}

export function latencyOf(samples: readonly Sample[]): LatencyFigures {
  const ms = samples.map((s) => s.ms)
  return { count: samples.length, p50: percentile(ms, 50), p99: percentile(ms, 99), max: ms.length ? ms.reduce((a, b) => Math.max(a, b)) : Number.NaN }
}
