/**
 * Scenario 1: Redis stopped in the middle of a load. The example server and
 * one worker run on a `redis-server` this scenario starts; after one warm-up
 * round of every query, `clients` loops query every cached field; after
 * `beforeMs` Redis is stopped (SIGTERM), after `outageMs` started again on
 * the same port (empty: no persistence), and the load goes on until an
 * answer started after Redis returned has a hit (at most `hitsWithinMs`)
 * and the worker has completed a refresh again (entries written after the
 * return go stale after `tweetsLifetime`), and at least `afterMs` after the
 * return. Returns every answer and the figures; judging them is the
 * caller's (test or soak).
 */
import { startRedisServer } from '../../helpers/redis-server.js'
import { uniqueNamespace } from '../../helpers/namespace.js'
import { readNamespace, type NamespaceContents } from '../harness/entries.js'
import { MIXED_QUERIES, REFRESHED_TWEETS, type ExampleSettings, startExampleServer, startExampleWorker } from '../harness/example.js'
import { type LatencyFigures, type Sample, latencyOf, startLoad } from '../harness/load.js'

export interface RedisOutageOptions {
  beforeMs: number
  outageMs: number
  /** Longest wait for a hit once Redis is back. */
  hitsWithinMs: number
  /** Least load kept up after Redis returned, ms. */
  afterMs: number
  upstreamLatencyMs: number
  tweetsLifetime: number
  clients?: number
  pauseMs?: number
  /** Progress lines (the soak prints them). */
  log?: (line: string) => void
}

export interface RedisOutageResult {
  samples: Sample[]
  failures: Sample[]
  /** Latency of the answers by when their request started: before the stop, during the outage, after Redis returned. */
  latency: { before: LatencyFigures; outage: LatencyFigures; after: LatencyFigures }
  /** Ms from Redis answering PING again to the end of the first answer (of a request started after that) with a hit; undefined: none within `hitsWithinMs`. */
  hitsResumedAfterMs?: number
  /** Ms from Redis answering PING again to the worker's first completed refresh; undefined: none in time. */
  workerRefreshAfterMs?: number
  /** Hits among the answers of requests started during the outage (expected 0: the store is down). */
  outageHits: number
  /** Server log: refreshes run in-process during the outage, and sent to the queue after it. */
  inProcessRefreshesDuringOutage: number
  queuedRefreshesAfterReturn: number
  /** Worker log: refreshes done before the stop and after Redis returned. */
  workerRefreshesBefore: number
  workerRefreshesAfterReturn: number
  /** When Redis was stopped and answered again (`performance.now()`). */
  stoppedAt: number
  returnedAt: number
  /** Both processes still running at the end. */
  processesAlive: boolean
  contents: NamespaceContents
  /** The processes' output after Redis returned (for a failure message). */
  serverLogAfterReturn: string[]
  workerLogAfterReturn: string[]
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))

export async function runRedisOutage(options: RedisOutageOptions): Promise<RedisOutageResult> {
  const log = options.log ?? (() => undefined)
  const redis = await startRedisServer()
  const settings: ExampleSettings = { redisUrl: redis.url, namespace: uniqueNamespace('outage'), upstreamLatencyMs: options.upstreamLatencyMs, tweetsLifetime: options.tweetsLifetime }
  const server = await startExampleServer(settings)
  const worker = await startExampleWorker(settings, server.upstreamUrl).catch(async (error) => {
    await server.process.stop()
    throw error
  })
  try {
    const maxDurationMs = options.beforeMs + options.outageMs + 2 * options.hitsWithinMs + options.tweetsLifetime * 1000 + options.afterMs + 10_000
    const warmUp = await startLoad({ url: server.url, queries: MIXED_QUERIES, clients: 1, pauseMs: 0, maxRequests: MIXED_QUERIES.length, maxDurationMs: 30_000 }).done
    const load = startLoad({ url: server.url, queries: MIXED_QUERIES, clients: options.clients, pauseMs: options.pauseMs, maxDurationMs })
    await sleep(options.beforeMs)

    const workerRefreshesBefore = worker.matching(REFRESHED_TWEETS).length
    const serverLinesAtStop = server.process.lines.length
    log(`stopping Redis after ${options.beforeMs} ms of load (${load.samples.length} answers)`)
    await redis.stop()
    const stoppedAt = performance.now()
    await sleep(options.outageMs)
    await redis.restart()
    const returnedAt = performance.now()
    const serverLinesAtReturn = server.process.lines.length
    const workerLinesAtReturn = worker.lines.length
    log(`Redis back after ${(returnedAt - stoppedAt).toFixed(0)} ms`)

    const firstHit = await load
      .waitFor((s) => s.startedAt >= returnedAt && (s.cacheback?.hit ?? 0) > 0, options.hitsWithinMs, 'with a hit after Redis returned')
      .catch(() => undefined)
    // Entries written after the return go stale after tweetsLifetime; their refreshes go through the queue again.
    const refreshedAtReturn = worker.lines.slice(0, workerLinesAtReturn).filter((l) => REFRESHED_TWEETS.test(l)).length
    const queueBack = await worker
      .waitForLines(REFRESHED_TWEETS, refreshedAtReturn + 1, options.hitsWithinMs + options.tweetsLifetime * 1000)
      .then(() => performance.now(), () => undefined)
    await sleep(returnedAt + options.afterMs - performance.now())
    const samples = await load.stop()
    log(`load stopped: ${samples.length} answers`)

    const during = samples.filter((s) => s.startedAt >= stoppedAt && s.startedAt < returnedAt)
    const serverLines = server.process.lines
    return {
      samples,
      failures: [...warmUp, ...samples].filter((s) => !s.ok),
      latency: {
        before: latencyOf(samples.filter((s) => s.startedAt < stoppedAt)),
        outage: latencyOf(during),
        after: latencyOf(samples.filter((s) => s.startedAt >= returnedAt)),
      },
      stoppedAt,
      returnedAt,
      hitsResumedAfterMs: firstHit && firstHit.endedAt - returnedAt,
      workerRefreshAfterMs: queueBack && queueBack - returnedAt,
      outageHits: during.filter((s) => (s.cacheback?.hit ?? 0) > 0).length,
      inProcessRefreshesDuringOutage: serverLines.slice(serverLinesAtStop, serverLinesAtReturn).filter((l) => /dispatched \(in-process\)/.test(l)).length,
      queuedRefreshesAfterReturn: serverLines.slice(serverLinesAtReturn).filter((l) => /dispatched \(bee-queue\)/.test(l)).length,
      workerRefreshesBefore,
      workerRefreshesAfterReturn: worker.lines.slice(workerLinesAtReturn).filter((l) => REFRESHED_TWEETS.test(l)).length,
      processesAlive: server.process.child.exitCode === null && worker.child.exitCode === null,
      contents: await readNamespace(redis.url, settings.namespace),
      serverLogAfterReturn: serverLines.slice(serverLinesAtReturn),
      workerLogAfterReturn: worker.lines.slice(workerLinesAtReturn),
    }
  } finally {
    await Promise.all([server.process.stop(), worker.stop()])
    await redis.stop()
  }
}
