/** `cacheback dashboard`: serves the deployment's dashboard on its own (the worker's `--dashboard-port` does the same). */
import { parseArgs } from 'node:util'
import { startDashboard } from '../dashboard/server.js'
import { CONNECTION_HELP, CONNECTION_OPTIONS, UsageError, connect } from './setup.js'

export const DASHBOARD_HELP = `usage: cacheback dashboard --module PATH --port N [--host H] [--token T]

Serves the dashboard page of the whole deployment (every process that
publishes its counters to the namespace) until SIGINT / SIGTERM. The
invalidation form is on only with a token; POSTs without it are refused (403).

  --port N           port; 0 picks a free one (the URL is printed)
  --host H           interface to listen on (default 127.0.0.1)
  --token T          token of the invalidation form (default: $CACHEBACK_DASHBOARD_TOKEN; none: form off)
${CONNECTION_HELP}
  --help             this help`

/** A port number option. */
export function portOption(text: string | undefined, name: string): number {
  const port = Number(text)
  if (text === undefined || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${name} must be a port number (0 picks a free one), got ${text}`)
  return port
}

export async function dashboardCommand(argv: string[]): Promise<void> {
  const options = { ...CONNECTION_OPTIONS, port: { type: 'string' }, host: { type: 'string' }, token: { type: 'string' } } as const
  const { values } = parseArgs({ args: argv, options })
  if (!values.module) throw new UsageError('--module is required (its cache names the namespace and does invalidations)')
  const port = portOption(values.port, '--port')
  const connection = await connect(values)
  const token = values.token ?? (process.env.CACHEBACK_DASHBOARD_TOKEN || undefined)
  const dashboard = await startDashboard({ cache: connection.setup!.cache, redis: connection.redis, schema: connection.setup!.schema, port, host: values.host, token })
  process.stdout.write(`[cacheback] dashboard at ${dashboard.url} (invalidation ${token ? 'on' : 'off: no token'})\n`)
  const stop = async () => {
    await dashboard.close()
    await connection.close()
    process.exit(0)
  }
  process.once('SIGTERM', () => void stop())
  process.once('SIGINT', () => void stop())
}
