/**
 * A worker process dies mid-refresh (SIGKILL): the stale value keeps being
 * served, the dead refresh's lock lapses after refreshTimeout (on the injected
 * clock), and another worker picks the stalled queue job up through
 * bee-queue's stall detection, so the entry ends fresh.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { afterEach, beforeEach, expect, inject, it } from 'vitest'
import { type Cacheback, cacheback } from '../src/index.js'
import { createEngineSetup, type EngineSetup } from './helpers/engine.js'

const FIXTURE = fileURLToPath(new URL('./fixtures/refresh-worker.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const STALL_INTERVAL_MS = 300

/** A child process with a way to wait for a line it prints. */
interface ChildWorker {
  child: ChildProcess
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>
  kill(signal: NodeJS.Signals): Promise<void>
}

function startChildWorker(env: Record<string, string>): ChildWorker {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)))
  const lines: string[] = []
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = []
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line)
    for (const w of waiters.filter((w) => w.pattern.test(line))) {
      waiters.splice(waiters.indexOf(w), 1)
      w.resolve(line)
    }
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    child,
    waitForLine(pattern, timeoutMs = 15_000) {
      const seen = lines.find((line) => pattern.test(line))
      if (seen) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        const fail = (why: string) => reject(new Error(`child worker ${why} before printing ${pattern}; stdout: ${JSON.stringify(lines)}; stderr:\n${stderr}`))
        const timer = setTimeout(() => fail(`took over ${timeoutMs} ms`), timeoutMs)
        void exited.then(() => fail(`exited (${child.signalCode ?? child.exitCode})`))
        waiters.push({ pattern, resolve: (line) => (clearTimeout(timer), resolve(line)) })
      })
    },
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      await exited
    },
  }
}

let setup: EngineSetup
let childWorker: ChildWorker | undefined
let redis: Redis | undefined
beforeEach(() => {
  setup = createEngineSetup('redis')
})
afterEach(async () => {
  await childWorker?.kill('SIGKILL')
  redis?.disconnect()
  await setup.cleanup()
})

it('serves stale while a killed worker holds the refresh, re-dispatches after refreshTimeout, and a second worker finishes the stalled job', async () => {
  let version = 1
  const make = (cache: Cacheback) => cacheback(async (user: string) => `${user}@${version}`, { name: 'hangingTweets', lifetime: 10, refreshTimeout: 30, cache })
  const tweets = make(setup.process())
  expect(await tweets('ann')).toBe('ann@1')

  childWorker = startChildWorker({
    REDIS_URL: inject('redisUrl'),
    CACHEBACK_NAMESPACE: setup.namespace,
    CACHEBACK_NOW: String(setup.clock.now()),
    STALL_INTERVAL: String(STALL_INTERVAL_MS),
  })
  await childWorker.waitForLine(/^ready$/)

  version = 2
  setup.clock.advance(11) // stale; the refresh lock will be held until now + 30 s
  expect(await tweets.read('ann')).toMatchObject({ status: 'stale', value: 'ann@1', refresh: 'dispatched' })
  expect(await childWorker.waitForLine(/^fetch-started/)).toBe('fetch-started ["ann"]')
  await childWorker.kill('SIGKILL')

  // The dead worker's lock is still logically held: serve stale, do not dispatch again.
  setup.clock.advance(29)
  expect(await tweets.read('ann')).toMatchObject({ status: 'stale', value: 'ann@1', refresh: 'in-flight' })

  // Past refreshTimeout the next stale read takes the lock again.
  setup.clock.advance(2)
  expect(await tweets.read('ann')).toMatchObject({ status: 'stale', value: 'ann@1', refresh: 'dispatched' })
  expect(setup.log.count('refresh-dispatched')).toBe(2)
  // Queue jobs are deduplicated by id = hash(key) (`setId`): the dead worker's job
  // is still in bee-queue's active list, so this second dispatch is absorbed by
  // it rather than queued twice. The stalled job carries the first lock token;
  // when it reruns it cannot release the newer lock, which lapses on its own.
  redis = new Redis(inject('redisUrl'))
  expect(await redis.hlen(`bq:${setup.namespace}:jobs`)).toBe(1)
  expect(await redis.lrange(`bq:${setup.namespace}:waiting`, 0, -1)).toEqual([])

  // A second worker's stall check moves the job back to waiting and runs it.
  await setup.startWorker([make], { stallInterval: STALL_INTERVAL_MS })
  await setup.refreshed(1)
  expect(await tweets.read('ann')).toMatchObject({ status: 'hit', value: 'ann@2' })
  expect(setup.log.count('refresh-failed')).toBe(0)
})
