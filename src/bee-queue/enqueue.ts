/**
 * The producer's enqueue: the refresh jobs of one tick added to a bee-queue
 * queue with one script call, in bee-queue's own format (the jobs hash holds
 * `{ data, options, status, progress }` JSON under the job id, the id is
 * pushed onto `:waiting`), so bee-queue workers, its stall check and
 * `checkHealth` see them as jobs `Queue#saveAll` had saved.
 */
import type Queue from 'bee-queue'
import { type NodeRedis, Script } from './node-redis.js'

const ADD_JOBS_LUA = `-- KEYS[1] jobs hash, KEYS[2] waiting list
-- ARGV[2i-1] id of job i, ARGV[2i] its job JSON
-- bee-queue's addJob for each job in turn: a job whose id is in the jobs
-- hash already (queued, or running) is left alone; the others are stored and
-- their ids pushed onto waiting in order (one LPUSH for all).
-- Returns {1 when added, 0 when already there, per job}.
local out, ids = {}, {}
for i = 1, #ARGV, 2 do
  local added = redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1])
  out[#out + 1] = added
  if added == 1 then
    ids[#ids + 1] = ARGV[i]
  end
end
if #ids > 0 then
  redis.call('LPUSH', KEYS[2], unpack(ids))
end
return out
`

const addJobs = new Script(ADD_JOBS_LUA)
/** Jobs added in one script call at most (a larger tick is split). */
const MAX_JOBS_PER_CALL = 200

/** One job to add. */
export interface NewJob {
  /** Queue job id. */
  id: string
  /** Its data as JSON (the refresh payload). */
  dataJson: string
  /** bee-queue job timeout, ms. */
  timeoutMs?: number
}

/** bee-queue's JSON of a new job (`Job#toData`), with `dataJson` as its data. */
export function jobJson(job: NewJob, now: number): string {
  const timeout = job.timeoutMs === undefined ? '' : `,"timeout":${JSON.stringify(job.timeoutMs)}`
  return `{"data":${job.dataJson},"options":{"timestamp":${now},"stacktraces":[]${timeout}},"status":"created","progress":0}`
}

/** Adds `jobs` to `queue` (once it is ready): one script call per 200 jobs. Rejects when the queue is closed or Redis fails. */
export async function addQueueJobs(queue: Queue, jobs: readonly NewJob[], now: number): Promise<void> {
  const internal = queue as unknown as { _commandable(): Promise<NodeRedis>; toKey(name: string): string }
  const client = await internal._commandable()
  const keys = [internal.toKey('jobs'), internal.toKey('waiting')]
  const calls: Promise<unknown>[] = []
  for (let start = 0; start < jobs.length; start += MAX_JOBS_PER_CALL) {
    const args: string[] = []
    for (const job of jobs.slice(start, start + MAX_JOBS_PER_CALL)) args.push(job.id, jobJson(job, now))
    calls.push(addJobs.run(client, keys, args))
  }
  await Promise.all(calls)
}
