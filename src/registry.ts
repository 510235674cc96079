/**
 * The jobs a `Cacheback` knows by name. Workers find the job of a refresh
 * payload here. Two different jobs under one name are an error; instances of
 * one `Job` subclass (or one decorated function) may register again.
 * Integrations name a family of jobs by prefix (`graphql:`) to explain a
 * payload naming one this cache does not know.
 */
import { CachebackError } from './errors.js'
import type { AnyJob } from './job.js'

/** Identity of a job for duplicate detection: its function, else its class. */
function identityOf(job: AnyJob): unknown {
  return (job as { target?: unknown }).target ?? job.constructor
}

/** Builds the error for an unknown job of a family. */
export type UnknownJobExplainer = (name: string, key: string) => CachebackError

export class JobRegistry {
  private readonly jobs = new Map<string, AnyJob>()
  private readonly families = new Map<string, UnknownJobExplainer>()

  add(job: AnyJob): void {
    const existing = this.jobs.get(job.name)
    if (existing === job) return
    if (existing && identityOf(existing) !== identityOf(job)) {
      throw new CachebackError('E_DUPLICATE_JOB', `Two different jobs are named "${job.name}"; job names must be unique per cache (pass a distinct \`name\`)`, { job: job.name })
    }
    this.jobs.set(job.name, job) // the newest instance of the same job wins (re-created jobs, re-transformed schemas)
  }

  get(name: string): AnyJob | undefined {
    return this.jobs.get(name)
  }

  names(): string[] {
    return [...this.jobs.keys()]
  }

  /** Names a family of job names by prefix, with its own unknown-job error. */
  addFamily(prefix: string, explain: UnknownJobExplainer): void {
    this.families.set(prefix, explain)
  }

  /** The error for a refresh naming a job this cache does not know. */
  unknown(name: string, key: string): CachebackError {
    for (const [prefix, explain] of this.families) if (name.startsWith(prefix)) return explain(name, key)
    return new CachebackError('E_UNKNOWN_JOB', `No job named "${name}" is registered with this cache (key ${key}); pass it in createRefreshWorker({ jobs })`, { job: name, key })
  }
}
