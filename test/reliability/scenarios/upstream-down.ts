/**
 * Scenario 3 through the example (the soak's long version; the test runs it
 * on the engine with an injected clock): the worker's upstream fails (HTTP
 * 503) for `failMs` under a load on three users' tweets, then comes back.
 * While it fails every answer must be complete, each key served its last
 * good value (hit while it was still fresh, then stale), each key's refresh
 * attempted at most once per `refreshTimeout`, every failure logged as
 * `refresh-failed`. Once it is back, each key's next attempt succeeds.
 */
import { uniqueNamespace } from '../../helpers/namespace.js'
import { type NamespaceContents, readNamespace } from '../harness/entries.js'
import { REFRESH_FAILED, TWEETS_OF_ALL } from '../harness/example.js'
import { startDeployment } from '../harness/deployment.js'
import { type Sample, startLoad } from '../harness/load.js'

export interface UpstreamDownOptions {
  redisUrl: string
  failMs: number
  /** Whole seconds. */
  refreshTimeout: number
  tweetsLifetime: number
  upstreamLatencyMs: number
  /** Bound of the wait for every key to be fresh again, ms. */
  waitMs: number
  clients?: number
  pauseMs?: number
  log?: (line: string) => void
}

/** Per key (user). Times in ms. */
export interface KeyFigures {
  user: string
  /** Refreshes that reached the failing upstream. */
  attempts: number
  /** Shortest time between two of them (real clock, at the proxy). */
  minGapMs: number
  /** Answers while failing: the key's last good value, fresh or stale... */
  served: number
  stale: number
  /** ...and answers whose value differed from the one served before (expected 0). */
  valueChanges: number
  /** From the upstream's return to the first answer with a newer value as a hit. */
  recoveredAfterMs?: number
  /** Refreshes that reached the upstream after its return until then (expected 1). */
  attemptsToRecover: number
}

export interface UpstreamDownResult {
  samples: Sample[]
  failures: Sample[]
  keys: KeyFigures[]
  /** `refresh-failed` lines of the worker while the upstream failed. */
  refreshFailedLines: number
  contents: NamespaceContents
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))
const valueOf = (sample: Sample, user: string): string => JSON.stringify(sample.data?.[user]?.tweets?.map((t: { id: string }) => t.id))

export async function runUpstreamDown(options: UpstreamDownOptions): Promise<UpstreamDownResult> {
  const log = options.log ?? (() => undefined)
  const deployment = await startDeployment(
    { redisUrl: options.redisUrl, namespace: uniqueNamespace('upstream-down'), upstreamLatencyMs: options.upstreamLatencyMs, tweetsLifetime: options.tweetsLifetime, refreshTimeout: options.refreshTimeout },
    ['W'],
  )
  const [{ proxy, process: worker }] = deployment.workers
  const users = TWEETS_OF_ALL.map((q) => q.name.replace('tweets:', ''))
  try {
    const load = startLoad({ url: deployment.server.url, queries: TWEETS_OF_ALL, clients: options.clients ?? 6, pauseMs: options.pauseMs, keepData: true, maxDurationMs: options.failMs + options.waitMs + 60_000 })
    // Every key cached and refreshed once by the worker before the failure.
    await worker.waitForLines(/refresh-succeeded graphql:User\.tweets/, users.length, options.waitMs)
    const failLinesBefore = worker.matching(REFRESH_FAILED).length
    proxy.setMode('fail')
    const failedAt = performance.now()
    log(`upstream failing for ${options.failMs} ms (refreshTimeout ${options.refreshTimeout} s, lifetime ${options.tweetsLifetime} s)`)
    await sleep(options.failMs)
    proxy.setMode('pass')
    const backAt = performance.now()
    const refreshFailedLines = worker.matching(REFRESH_FAILED).length - failLinesBefore

    const keys: KeyFigures[] = []
    for (const user of users) {
      const path = new RegExp(`^/users/${user}/tweets`)
      const answers = load.samples.filter((s) => s.query === `tweets:${user}` && s.ok && s.startedAt >= failedAt && s.endedAt <= backAt)
      const lastGood = load.samples.filter((s) => s.query === `tweets:${user}` && s.ok && s.endedAt < failedAt).at(-1)
      let previous = lastGood ? valueOf(lastGood, user) : undefined
      let valueChanges = 0
      for (const answer of answers) {
        // A refresh under way when the upstream failed may still land once: that is not a change of the served value.
        if (valueOf(answer, user) !== previous && answer.cacheback?.hit !== 1) valueChanges++
        previous = valueOf(answer, user)
      }
      const failing = proxy.requests.filter((r) => r.mode === 'fail' && path.test(r.path)).map((r) => r.at)
      const gaps = failing.slice(1).map((at, i) => at - failing[i])
      const recovered = await load
        .waitFor((s) => s.query === `tweets:${user}` && s.startedAt >= backAt && s.cacheback?.hit === 1 && valueOf(s, user) !== previous, options.waitMs, `with ${user}'s refreshed tweets`, true)
        .catch(() => undefined)
      keys.push({
        user,
        attempts: failing.length,
        minGapMs: gaps.length ? Math.min(...gaps) : Number.NaN,
        served: answers.length,
        stale: answers.filter((a) => a.cacheback?.stale === 1).length,
        valueChanges,
        recoveredAfterMs: recovered && recovered.endedAt - backAt,
        attemptsToRecover: proxy.requests.filter((r) => r.at >= backAt && (!recovered || r.at <= recovered.startedAt) && path.test(r.path)).length,
      })
    }
    const samples = await load.stop()
    return { samples, failures: samples.filter((s) => !s.ok), keys, refreshFailedLines, contents: await readNamespace(options.redisUrl, deployment.settings.namespace) }
  } finally {
    await deployment.stop()
  }
}
