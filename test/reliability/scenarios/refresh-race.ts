/**
 * Scenario 4 through the example (the soak's version; the test runs it on
 * the engine with an injected clock): two worker processes, one key under
 * load. Each round: both proxies hold their answers; the entry goes stale
 * and one worker (the "slow" one) takes the refresh; once its upstream call
 * is under way it is frozen (SIGSTOP), so it stops renewing its claim on
 * the job and bee-queue's stall detection hands the same job to the other
 * worker, whose proxy now passes: it refreshes the entry, later on the
 * clock. Then the slow worker resumes (SIGCONT) and its held answer is
 * released: its refresh started first and finishes last, so its write must
 * be refused by the compare-and-set, and the entry keep the other's value.
 */
import type { ExampleProcess } from '../../example/example-process.js'
import { uniqueNamespace } from '../../helpers/namespace.js'
import { type NamespaceContents, readNamespace } from '../harness/entries.js'
import { ANN_TWEETS, REFRESHED_TWEETS } from '../harness/example.js'
import { startDeployment } from '../harness/deployment.js'
import { firstRequest } from '../harness/fault-upstream.js'
import { type Sample, startLoad } from '../harness/load.js'

export interface RefreshRaceOptions {
  redisUrl: string
  rounds: number
  upstreamLatencyMs: number
  tweetsLifetime: number
  stallIntervalMs: number
  waitMs: number
  clients?: number
  pauseMs?: number
  log?: (line: string) => void
}

/** One race. Times in ms. */
export interface RaceRound {
  slow: string
  fast: string
  /** The slow worker's upstream call started this long before the fast one's. */
  headStartMs: number
  /** The slow worker's refresh completed this long after the fast one's write. */
  finishedLaterMs: number
  /** The value the entry holds after both: the fast worker's (expected). */
  winner: string
  /** Answers after the slow refresh completed, in the round, that carried the slow worker's value (expected 0). */
  slowValueServed: number
}

export interface RefreshRaceResult {
  samples: Sample[]
  failures: Sample[]
  rounds: RaceRound[]
  contents: NamespaceContents
}

const TWEETS_PATH = /^\/users\/ann\/tweets/
const stampOf = (text: string): string | undefined => /\[(\w+)\]"\]$/.exec(text)?.[1]
const tweetsText = (sample: Sample): string => JSON.stringify(sample.data?.ann?.tweets?.map((t: { text: string }) => t.text))

function signal(worker: ExampleProcess, name: 'SIGSTOP' | 'SIGCONT'): void {
  worker.child.kill(name)
}

export async function runRefreshRace(options: RefreshRaceOptions): Promise<RefreshRaceResult> {
  const log = options.log ?? (() => undefined)
  const namespace = uniqueNamespace('refresh-race')
  const deployment = await startDeployment(
    { redisUrl: options.redisUrl, namespace, upstreamLatencyMs: options.upstreamLatencyMs, tweetsLifetime: options.tweetsLifetime, stallIntervalMs: options.stallIntervalMs },
    ['A', 'B'],
    'hold',
  )
  const frozen = new Set<ExampleProcess>()
  try {
    const load = startLoad({ url: deployment.server.url, queries: [ANN_TWEETS], clients: options.clients ?? 4, pauseMs: options.pauseMs, keepData: true, maxDurationMs: options.rounds * (options.waitMs * 3 + 10_000) })
    const rounds: RaceRound[] = []
    try {
      let since = performance.now()
      for (let i = 0; i < options.rounds; i++) {
        const proxies = deployment.workers.map((w) => w.proxy)
        const { proxy: slowProxy, request: slowFetch } = await firstRequest(proxies, TWEETS_PATH, options.waitMs, since)
        const slow = deployment.workerOf(slowProxy)
        const fast = deployment.workers.find((w) => w !== slow)!
        signal(slow.process, 'SIGSTOP')
        frozen.add(slow.process)
        const fastDone = fast.process.matching(REFRESHED_TWEETS).length + 1
        const slowDone = slow.process.matching(REFRESHED_TWEETS).length + 1
        const rerun = firstRequest([fast.proxy], TWEETS_PATH, options.waitMs, slowFetch.at)
        fast.proxy.setMode('pass')
        const { request: fastFetch } = await rerun
        await fast.process.waitForLines(REFRESHED_TWEETS, fastDone, options.waitMs)
        const fastWroteAt = performance.now()
        await load.waitFor((s) => s.startedAt >= fastWroteAt && s.cacheback?.hit === 1, options.waitMs, `a hit with ${fast.label}'s value`)

        // The slow worker resumes; its held answer (older) is delivered now.
        signal(slow.process, 'SIGCONT')
        frozen.delete(slow.process)
        slowProxy.setMode('pass')
        await slow.process.waitForLines(REFRESHED_TWEETS, slowDone, options.waitMs)
        const slowDoneAt = performance.now()
        const after = await load.waitFor((s) => s.startedAt >= slowDoneAt && s.ok, options.waitMs, 'after the slow refresh')
        for (const proxy of proxies) proxy.setMode('hold')
        since = performance.now()
        const inRound = load.samples.filter((s) => s.startedAt >= slowDoneAt && s.endedAt <= since)
        const round: RaceRound = {
          slow: slow.label,
          fast: fast.label,
          headStartMs: fastFetch.at - slowFetch.at,
          finishedLaterMs: slowDoneAt - fastWroteAt,
          winner: stampOf(tweetsText(after)) ?? '-',
          slowValueServed: inRound.filter((s) => stampOf(tweetsText(s)) === slow.label).length,
        }
        rounds.push(round)
        log(`round ${i + 1}: ${round.slow}'s refresh started ${round.headStartMs.toFixed(0)} ms before ${round.fast}'s (a redelivery after ${round.slow} froze), finished ${round.finishedLaterMs.toFixed(0)} ms after it; the entry kept ${round.winner}'s value`)
      }
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${deployment.logTails()}`, { cause: error })
    } finally {
      await load.stop()
    }
    return { samples: load.samples, failures: load.samples.filter((s) => !s.ok), rounds, contents: await readNamespace(options.redisUrl, namespace) }
  } finally {
    for (const process of frozen) signal(process, 'SIGCONT')
    await deployment.stop()
  }
}
