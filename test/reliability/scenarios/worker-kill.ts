/**
 * Scenario 2: a worker process killed (SIGKILL) in the middle of a refresh.
 * The example server and two workers (A, B, each fetching through its own
 * proxy) run on `redisUrl`; clients query Ann's tweets (one cached key) in a
 * loop. Each round: both proxies hold their answers; the entry goes stale,
 * one worker takes the refresh and its fetch reaches the upstream; that
 * worker is SIGKILLed; the other's proxy now passes, so when bee-queue's
 * stall detection hands the job over it completes. The round ends at the
 * first answer that is a hit carrying the survivor's value; the killed
 * worker is then replaced by a new process for the next round.
 */
import { uniqueNamespace } from '../../helpers/namespace.js'
import type { ExampleProcess } from '../../example/example-process.js'
import { type NamespaceContents, readNamespace } from '../harness/entries.js'
import { ANN_TWEETS, REFRESHED_TWEETS } from '../harness/example.js'
import { type Deployment, startDeployment } from '../harness/deployment.js'
import { firstRequest } from '../harness/fault-upstream.js'
import { type Sample, startLoad } from '../harness/load.js'

export interface WorkerKillOptions {
  redisUrl: string
  rounds: number
  upstreamLatencyMs: number
  tweetsLifetime: number
  /** The workers' `STALL_INTERVAL_MS`. */
  stallIntervalMs: number
  /** Bound of every wait of a round (a refresh to start, the rerun, the first fresh answer), ms. */
  waitMs: number
  clients?: number
  pauseMs?: number
  log?: (line: string) => void
}

/** One kill. Times in ms. */
export interface KillRound {
  victim: string
  survivor: string
  /** From the victim's fetch reaching the upstream to its death. */
  fetchToKillMs: number
  /** From the kill to the survivor's fetch reaching the upstream (stall detection). */
  killToRerunMs: number
  /** From the kill to the end of the first answer with the survivor's value as a hit. */
  killToFreshMs: number
  /** Answers of requests started between the kill and that first fresh answer. */
  answers: number
  /** ...of which served the old value, stale. */
  staleOld: number
  /** ...of which were neither the old value stale nor the survivor's value as a hit (expected 0). */
  unexpected: Sample[]
  /** Refreshes of the key that reached the upstream in the round (expected 2: the killed one, the rerun). */
  upstreamFetches: number
}

export interface WorkerKillResult {
  samples: Sample[]
  failures: Sample[]
  rounds: KillRound[]
  /** `refresh-failed` lines of every worker process (expected 0). */
  refreshFailures: number
  contents: NamespaceContents
}

const TWEETS_PATH = /^\/users\/ann\/tweets/
const tweetsText = (sample: Sample): string => JSON.stringify(sample.data?.ann?.tweets?.map((t: { text: string }) => t.text))

function sigkill(worker: ExampleProcess): Promise<void> {
  const { child } = worker
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGKILL')
  return exited
}

/** One round; the proxies hold since `since` (the round's refresh may already have reached one). */
async function killRound(deployment: Deployment, load: ReturnType<typeof startLoad>, options: WorkerKillOptions, since: number): Promise<KillRound> {
  const proxies = deployment.workers.map((w) => w.proxy)
  const fetchesSince = () => proxies.reduce((n, p) => n + p.requests.filter((r) => r.at >= since && TWEETS_PATH.test(r.path)).length, 0)
  const { proxy: victimProxy, request: victimFetch } = await firstRequest(proxies, TWEETS_PATH, options.waitMs, since)
  const victim = deployment.workerOf(victimProxy)
  const survivor = deployment.workers.find((w) => w !== victim)!
  const refreshedBefore = survivor.process.matching(REFRESHED_TWEETS).length
  const before = load.samples.filter((s) => s.ok && s.endedAt <= victimFetch.at)
  const oldValue = tweetsText(before[before.length - 1])

  await sigkill(victim.process)
  const killedAt = performance.now()
  const rerun = firstRequest([survivor.proxy], TWEETS_PATH, options.waitMs, victimFetch.at)
  survivor.proxy.setMode('pass')
  const { request: rerunFetch } = await rerun
  await survivor.process.waitForLines(REFRESHED_TWEETS, refreshedBefore + 1, options.waitMs)
  const stamp = `[${survivor.label}]`
  const isFresh = (s: Sample) => s.ok && s.cacheback?.hit === 1 && tweetsText(s).includes(stamp)
  const fresh = await load.waitFor((s) => s.startedAt >= killedAt && isFresh(s), options.waitMs, `with ${survivor.label}'s value as a hit`, true)

  const answers = load.samples.filter((s) => s.startedAt >= killedAt && s.endedAt <= fresh.endedAt)
  const isStaleOld = (s: Sample) => s.ok && s.cacheback?.stale === 1 && tweetsText(s) === oldValue
  return {
    victim: victim.label,
    survivor: survivor.label,
    fetchToKillMs: killedAt - victimFetch.at,
    killToRerunMs: rerunFetch.at - killedAt,
    killToFreshMs: fresh.endedAt - killedAt,
    answers: answers.length,
    staleOld: answers.filter(isStaleOld).length,
    unexpected: answers.filter((s) => !isStaleOld(s) && !isFresh(s)),
    upstreamFetches: fetchesSince(),
  }
}

export async function runWorkerKill(options: WorkerKillOptions): Promise<WorkerKillResult> {
  const log = options.log ?? (() => undefined)
  const namespace = uniqueNamespace('worker-kill')
  const deployment = await startDeployment(
    { redisUrl: options.redisUrl, namespace, upstreamLatencyMs: options.upstreamLatencyMs, tweetsLifetime: options.tweetsLifetime, stallIntervalMs: options.stallIntervalMs },
    ['A', 'B'],
    'hold',
  )
  try {
    const load = startLoad({ url: deployment.server.url, queries: [ANN_TWEETS], clients: options.clients ?? 4, pauseMs: options.pauseMs, keepData: true, maxDurationMs: options.rounds * (options.waitMs * 3 + 10_000) })
    const rounds: KillRound[] = []
    try {
      let since = performance.now() // the proxies hold from the start
      for (let i = 0; i < options.rounds; i++) {
        const round = await killRound(deployment, load, options, since)
        rounds.push(round)
        log(`round ${i + 1}: killed ${round.victim} ${round.fetchToKillMs.toFixed(0)} ms into its fetch; ${round.survivor} refetched ${round.killToRerunMs.toFixed(0)} ms after the kill; fresh ${round.killToFreshMs.toFixed(0)} ms after; ${round.staleOld}/${round.answers} answers meanwhile served the old value stale`)
        for (const proxy of deployment.workers.map((w) => w.proxy)) proxy.setMode('hold')
        since = performance.now()
        if (i + 1 < options.rounds) await deployment.replaceWorker(round.victim)
      }
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${deployment.logTails()}`, { cause: error })
    } finally {
      await load.stop()
    }
    return {
      samples: load.samples,
      failures: load.samples.filter((s) => !s.ok),
      rounds,
      refreshFailures: deployment.workerProcesses().reduce((n, p) => n + p.matching(/refresh-failed/).length, 0),
      contents: await readNamespace(options.redisUrl, namespace),
    }
  } finally {
    await deployment.stop()
  }
}
