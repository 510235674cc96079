/** `cacheback stats`: the dashboard's figures in the terminal, read from Redis. */
import { parseArgs } from 'node:util'
import { type DeploymentStats, readDeploymentStats } from '../dashboard/deployment.js'
import { counts, duration, iso, percent, table } from './format.js'
import { CONNECTION_HELP, CONNECTION_OPTIONS, connect } from './setup.js'

export const STATS_HELP = `usage: cacheback stats [--module PATH | --redis URL --namespace NS] [--json]

The deployment's figures, as every server and worker published them to Redis
(publishStats / cacheback-worker): reads by outcome per field and job, refresh
latency and failures, queue depth, store errors, invalidations, recent errors.

${CONNECTION_HELP}
  --json             print the figures as JSON
  --help             this help`

/** The figures as text. */
export function formatStats(stats: DeploymentStats): string {
  const byRole: Record<string, number> = {}
  for (const process of stats.processes) byRole[process.role] = (byRole[process.role] ?? 0) + 1
  const roles = counts(byRole)
  const t = stats.totals
  const lines = [
    `namespace "${stats.namespace}": ${stats.processes.length} processes (${roles}), read at ${iso(stats.at)}`,
    `reads: hit ${t.hit}, stale ${t.stale}, miss ${t.miss} (hit ratio ${percent(t.hitRatio)}); refreshes ${t.refreshes}, failed ${t.refreshFailures}, p50 ${duration(t.refreshP50Ms)}, p99 ${duration(t.refreshP99Ms)}`,
    '',
    table(
      ['field / job', 'hit', 'stale', 'miss', 'hit %', 'fetches', 'fetch failed', 'refreshes', 'refresh failed', 'p50', 'p99'],
      stats.names.map((n) => [n.name, n.hit, n.stale, n.miss, percent(n.hitRatio), n.fetches, n.fetchFailures, n.refreshes, n.refreshFailures, duration(n.refreshP50Ms), duration(n.refreshP99Ms)]),
    ),
    '',
    stats.queues.length ? table(['queue', 'waiting', 'active', 'failed', 'delayed'], stats.queues.map((q) => [q.name, q.waiting, q.active, q.failed, q.delayed])) : 'queues: none published (no worker running?)',
    '',
    `store errors: ${counts(stats.storeErrors)}`,
    `invalidations: ${counts(stats.invalidations)}`,
    `recent errors:${stats.recentErrors.length ? '' : ' none'}`,
    ...stats.recentErrors.map((e) => `  ${iso(e.at)} ${e.code} ${e.type} ${e.name ?? '-'}${e.message ? `: ${e.message}` : ''} (${e.process})`),
  ]
  return lines.join('\n')
}

export async function statsCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { ...CONNECTION_OPTIONS, json: { type: 'boolean' } } })
  const connection = await connect(values)
  try {
    const stats = await readDeploymentStats({ redis: connection.redis, namespace: connection.namespace })
    process.stdout.write(`${values.json ? JSON.stringify(stats, null, 2) : formatStats(stats)}\n`)
  } finally {
    await connection.close()
  }
}
