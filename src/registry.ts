/**
 * The jobs a `Cacheback` knows by name. Workers find the job of a refresh
 * payload here. Two different jobs under one name are an error; instances of
 * one `Job` subclass (or one decorated function) may register again.
 */
import { CachebackError } from './errors.js'
import type { AnyJob } from './job.js'

/** Identity of a job for duplicate detection: its function, else its class. */
function identityOf(job: AnyJob): unknown {
  return (job as { target?: unknown }).target ?? job.constructor
}

export class JobRegistry {
  private readonly jobs = new Map<string, AnyJob>()

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
}
