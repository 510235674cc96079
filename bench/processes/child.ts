/**
 * The child side of a benchmark server process (started by
 * `support/processes.ts`): announces the port it listens on, answers the
 * parent's requests over the IPC channel (`gc` and the process's own ones,
 * such as `stats`), and exits when the parent goes away or sends SIGTERM.
 * `profile-start` / `profile-stop` take a CPU profile of the process between
 * them and write it to `BENCH_PROFILE_DIR` (for finding where time goes).
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { join } from 'node:path'
import { collectGarbage } from '../support/gc.js'

/** What the parent may ask for; each handler's result is sent back. */
export type Handlers = Record<string, () => unknown>

interface Request {
  id: number
  type: string
}

/** Reads a required environment variable (the parent sets them all). */
export function env(name: string): string {
  const value = process.env[name]
  if (value === undefined || value === '') throw new Error(`${name} is not set`)
  return value
}

let profiler: Session | undefined

async function startProfile(): Promise<void> {
  profiler = new Session()
  profiler.connect()
  await profiler.post('Profiler.enable')
  await profiler.post('Profiler.start')
}

/** Writes the profile to `BENCH_PROFILE_DIR` and resolves with its path. */
async function stopProfile(): Promise<string> {
  if (!profiler) throw new Error('no profile running')
  const { profile } = await profiler.post('Profiler.stop')
  profiler.disconnect()
  profiler = undefined
  const path = join(env('BENCH_PROFILE_DIR'), `${process.env.KIND ?? 'server'}-${process.pid}-${Date.now()}.cpuprofile`)
  writeFileSync(path, JSON.stringify(profile))
  return path
}

/** Tells the parent this process listens on `port`, and serves its requests from then on. */
export function announceReady(port: number, handlers: Handlers): void {
  const all: Handlers = { gc: () => collectGarbage(), 'profile-start': startProfile, 'profile-stop': stopProfile, ...handlers }
  process.on('message', (message: Request) => {
    const handler = all[message.type]
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown request ${message.type}`)
        return handler()
      })
      .then(
        (result) => process.send!({ id: message.id, result }),
        (error: unknown) => process.send!({ id: message.id, error: error instanceof Error ? error.message : String(error) }),
      )
  })
  process.once('disconnect', () => process.exit(0))
  process.once('SIGTERM', () => process.exit(0))
  process.send!({ ready: true, port })
}
