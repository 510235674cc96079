/**
 * The worker's job loop, beside bee-queue's own. bee-queue takes one job per
 * two Redis round trips (BRPOPLPUSH, then HGET of its data) and asks for the
 * next only after both, so under load its intake, not the concurrency, caps
 * how many refreshes run. This loop takes as many jobs as it has free slots
 * in one script call, finishes the jobs that end in one tick with one call,
 * and keeps bee-queue's keys and protocol (waiting → active, the jobs hash,
 * the stalling set that `checkStalledJobs` reads): `BeeQueueRefresher`
 * producers and bee-queue's stalled-job check work with it unchanged.
 */
import { createHash } from 'node:crypto'
import type Queue from 'bee-queue'
import { reconnectDelayMs } from '../defaults.js'

/** One queue job as the loop hands it over. */
export interface QueueJob {
  id: string
  /** The job's data (the refresh payload). */
  data: unknown
  /** bee-queue job options; `timeout` (ms) bounds the handler. */
  options: { timeout?: number }
}

/** What the loop runs, and where it reports. */
export interface JobLoopOptions<P = undefined> {
  queue: Queue
  /** Jobs holding a slot at once: from the start of a handler until it ends or calls `release`. */
  concurrency: number
  /**
   * Jobs taken ahead of a free slot, at most: each is `prepare`d meanwhile, so
   * a freed slot starts the next job without waiting for a take or its
   * preparation. @default 0
   */
  prefetch?: number
  /** Work before the slot (a claim, say), run once the job is taken; its result goes to `handle`. Must not reject. */
  prepare?(job: QueueJob): Promise<P>
  /** bee-queue's `stallInterval`: a running job is marked alive every half of it. */
  stallIntervalMs: number
  /**
   * Runs a job. `release()` frees its slot before the handler ends (the rest
   * of its work, a write say, no longer counts against `concurrency`; the job
   * stays running, and in the queue, until the handler ends).
   */
  handle(job: QueueJob, release: () => void, prepared: P | undefined): Promise<void>
  /** A job finished (removed from the queue); `error` when its handler failed or timed out. */
  finished(job: QueueJob, error?: unknown): void
  /** Redis failures of the loop itself (it retries). */
  onError(error: unknown): void
}

const TAKE_JOBS_LUA = `-- KEYS[1] waiting list, KEYS[2] active list, KEYS[3] jobs hash
-- ARGV[1] most jobs to take
-- Moves up to ARGV[1] job ids from the tail of waiting to the head of active,
-- one by one as BRPOPLPUSH does, and returns {id1, data1, id2, data2, ...}.
-- An id whose data is gone (removed meanwhile) is dropped from active.
local out = {}
for i = 1, tonumber(ARGV[1]) do
  local id = redis.call('RPOPLPUSH', KEYS[1], KEYS[2])
  if not id then break end
  local data = redis.call('HGET', KEYS[3], id)
  if data then
    out[#out + 1] = id
    out[#out + 1] = data
  else
    redis.call('LREM', KEYS[2], 0, id)
  end
end
return out
`

const RETURN_JOBS_LUA = `-- KEYS[1] active list, KEYS[2] waiting list
-- ARGV     ids of jobs taken but not begun (a closing worker's)
-- Moves each from active back to the tail of waiting, where the next take finds it first.
for i = #ARGV, 1, -1 do
  if redis.call('LREM', KEYS[1], 0, ARGV[i]) > 0 then redis.call('RPUSH', KEYS[2], ARGV[i]) end
end
return #ARGV
`

const FINISH_JOBS_LUA = `-- KEYS[1] active list, KEYS[2] stalling set, KEYS[3] jobs hash
-- ARGV     ids of finished jobs
-- Removes each job as bee-queue does with removeOnSuccess / removeOnFailure
-- (LREM active, SREM stalling, HDEL jobs). Returns the number of ids.
for i = 1, #ARGV do
  redis.call('LREM', KEYS[1], 0, ARGV[i])
  redis.call('SREM', KEYS[2], ARGV[i])
  redis.call('HDEL', KEYS[3], ARGV[i])
end
return #ARGV
`

/** The node-redis 3 client bee-queue connects with (its command and blocking clients). */
interface NodeRedis {
  send_command(command: string, args: unknown[], callback: (error: Error | null, reply: unknown) => void): boolean
}

function call<T>(client: NodeRedis, command: string, args: unknown[]): Promise<T> {
  return new Promise((resolve, reject) => client.send_command(command, args, (error, reply) => (error ? reject(error) : resolve(reply as T))))
}

/** A Lua script run by SHA, loaded on NOSCRIPT (a restarted Redis). */
class Script {
  private readonly sha: string
  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex')
  }

  async run<T>(client: NodeRedis, keys: string[], args: unknown[]): Promise<T> {
    try {
      return await call<T>(client, 'EVALSHA', [this.sha, keys.length, ...keys, ...args])
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
      return call<T>(client, 'EVAL', [this.source, keys.length, ...keys, ...args])
    }
  }
}

const takeJobs = new Script(TAKE_JOBS_LUA)
const finishJobs = new Script(FINISH_JOBS_LUA)
const returnJobs = new Script(RETURN_JOBS_LUA)
/** Seconds one blocking wait for a job lasts before the loop looks again (and notices a close). */
const BLOCK_SECONDS = 1

/** A job taken ahead of a free slot, its preparation under way. */
interface ReadyJob<P> {
  job: QueueJob
  prepared: Promise<P | undefined>
}

/** Runs queue jobs, many per Redis round trip. */
export class JobLoop<P = undefined> {
  private readonly keys: { waiting: string; active: string; jobs: string; stalling: string }
  private readonly running = new Map<string, Promise<void>>()
  private ready: ReadyJob<P>[] = []
  /** Running jobs that hold a slot (not released yet). */
  private holding = 0
  private finishing: { job: QueueJob; error?: unknown }[] = []
  private slotFreed: (() => void) | undefined
  private closing = false
  private closed = false
  private loop: Promise<void> | undefined
  private stallTimer: NodeJS.Timeout | undefined

  constructor(private readonly options: JobLoopOptions<P>) {
    // bee-queue's key of each structure (`<prefix>:<queue>:waiting`, …).
    const toKey = (name: string) => (options.queue as unknown as { toKey(name: string): string }).toKey(name)
    this.keys = { waiting: toKey('waiting'), active: toKey('active'), jobs: toKey('jobs'), stalling: toKey('stalling') }
  }

  private get clients(): { client: NodeRedis; bclient: NodeRedis } {
    return this.options.queue as unknown as { client: NodeRedis; bclient: NodeRedis }
  }

  /** Starts taking jobs (the queue must be ready). */
  start(): void {
    this.loop ??= this.run()
    this.stallTimer = setInterval(() => this.markAlive(), Math.max(1, this.options.stallIntervalMs / 2))
    this.stallTimer.unref()
  }

  /**
   * Stops taking jobs and waits up to `timeoutMs` for running ones. Resolves
   * with the number still running then: their jobs stay active in the queue
   * (nothing is written for them any more) and the stall check requeues them.
   */
  async close(timeoutMs: number): Promise<number> {
    this.closing = true
    this.slotFreed?.()
    clearInterval(this.stallTimer)
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))
    const unbegun = this.ready.splice(0).map((r) => r.job.id) // taken, not begun: back to waiting (else the stall check requeues them)
    const returned = unbegun.length > 0 ? returnJobs.run(this.clients.client, [this.keys.active, this.keys.waiting], unbegun).catch((error) => this.options.onError(error)) : undefined
    await Promise.race([Promise.all([...this.running.values(), returned]), timedOut])
    clearTimeout(timer)
    await this.flush()
    this.closed = true
    return this.running.size
  }

  private async run(): Promise<void> {
    let failures = 0
    while (!this.closing) {
      const free = this.options.concurrency + (this.options.prefetch ?? 0) - this.holding - this.ready.length
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve))
        continue
      }
      try {
        const jobs = await this.take(free)
        failures = 0
        for (const job of jobs) this.ready.push({ job, prepared: this.options.prepare ? this.options.prepare(job) : Promise.resolve(undefined) })
        this.beginReady()
      } catch (error) {
        if (this.closing) return
        this.options.onError(error)
        await new Promise((resolve) => setTimeout(resolve, reconnectDelayMs(++failures)))
      }
    }
  }

  /** Up to `count` jobs in one round trip; when none is waiting, blocks (up to BLOCK_SECONDS) for one. */
  private async take(count: number): Promise<QueueJob[]> {
    const { client, bclient } = this.clients
    const { waiting, active, jobs } = this.keys
    const flat = await takeJobs.run<string[]>(client, [waiting, active, jobs], [count])
    if (flat.length > 0) return pairs(flat)
    const id = await call<string | null>(bclient, 'BRPOPLPUSH', [waiting, active, BLOCK_SECONDS])
    if (id === null || this.closing) return [] // closing: the job stays active; the stall check requeues it
    const data = await call<string | null>(client, 'HGET', [jobs, id])
    return data === null ? [] : pairs([id, data])
  }

  /** Begins taken jobs while slots are free. */
  private beginReady(): void {
    while (!this.closing && this.holding < this.options.concurrency && this.ready.length > 0) this.begin(this.ready.shift()!)
  }

  private begin({ job, prepared }: ReadyJob<P>): void {
    let holds = true
    const release = () => {
      if (!holds) return
      holds = false
      this.holding--
      this.beginReady()
      this.wakeUp()
    }
    this.holding++
    const timeout = job.options.timeout
    const handle = prepared.then((result) => this.options.handle(job, release, result))
    const handled = timeout ? withTimeout(handle, timeout, job.id) : handle
    const done = handled.then(
      () => this.finish({ job }, release),
      (error: unknown) => this.finish({ job, error }, release),
    )
    this.running.set(job.id, done)
  }

  /** Lets the loop take jobs again (a slot was freed). */
  private wakeUp(): void {
    const wake = this.slotFreed
    this.slotFreed = undefined
    wake?.()
  }

  /** Frees the slot at once (unless released before); the removal from the queue goes out with the others of this tick. */
  private finish(outcome: { job: QueueJob; error?: unknown }, release: () => void): void {
    this.running.delete(outcome.job.id)
    release()
    if (this.closed) return // given up by close(): left to the stall check
    if (this.finishing.length === 0) setImmediate(() => void this.flush())
    this.finishing.push(outcome)
  }

  private async flush(): Promise<void> {
    const batch = this.finishing
    this.finishing = []
    if (batch.length === 0) return
    const { active, stalling, jobs } = this.keys
    try {
      await finishJobs.run(this.clients.client, [active, stalling, jobs], batch.map((o) => o.job.id))
    } catch (error) {
      this.options.onError(error) // the jobs stay active: the stall check requeues them, the lock keeps them from running twice at once
    }
    for (const { job, error } of batch) this.options.finished(job, error)
  }

  /** Tells bee-queue's stall check that the running and taken jobs are alive (as its workers do, every half stallInterval). */
  private markAlive(): void {
    const ids = [...this.running.keys(), ...this.ready.map((r) => r.job.id)]
    if (ids.length === 0) return
    call(this.clients.client, 'SREM', [this.keys.stalling, ...ids]).catch((error) => this.options.onError(error))
  }
}

/** `[id, data, id, data, ...]` (bee-queue's job JSON) as jobs. */
function pairs(flat: string[]): QueueJob[] {
  const jobs: QueueJob[] = []
  for (let i = 0; i < flat.length; i += 2) {
    let stored: { data?: unknown; options?: { timeout?: number } }
    try {
      stored = JSON.parse(flat[i + 1]) as typeof stored
    } catch {
      stored = { data: undefined } // the handler refuses it as a malformed payload
    }
    jobs.push({ id: flat[i], data: stored.data, options: stored.options ?? {} })
  }
  return jobs
}

function withTimeout(promise: Promise<void>, ms: number, id: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`Job ${id} timed out (${ms} ms)`)), ms)))
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
