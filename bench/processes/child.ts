/**
 * The child side of a benchmark server process (started by
 * `support/processes.ts`): announces the port it listens on, answers the
 * parent's requests over the IPC channel (`gc` and the process's own ones,
 * such as `stats`), and exits when the parent goes away.
 */
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

/** Tells the parent this process listens on `port`, and serves its requests from then on. */
export function announceReady(port: number, handlers: Handlers): void {
  const all: Handlers = { gc: () => collectGarbage(), ...handlers }
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
  process.send!({ ready: true, port })
}
