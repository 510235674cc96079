/**
 * Benchmark servers and workers in processes of their own, run as a user
 * runs them (`node --import tsx <script>`, the way `test/example/` starts the
 * example). A server process (`processes/child.ts` on its side) reports its
 * port over an IPC channel and answers requests (`gc`, `stats`); the refresh
 * worker is the real `cacheback-worker` command, ready when it says so.
 * Every process started here is killed when the benchmark exits.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const START_TIMEOUT_MS = 30_000
const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

/** The last lines a process printed, for error messages. */
function collectOutput(child: ChildProcess, onLine?: (line: string) => void): string[] {
  const lines: string[] = []
  const keep = (line: string) => {
    lines.push(line)
    if (lines.length > 40) lines.shift()
    onLine?.(line)
  }
  if (child.stdout) createInterface({ input: child.stdout }).on('line', keep)
  if (child.stderr) createInterface({ input: child.stderr }).on('line', keep)
  return lines
}

function track(child: ChildProcess): Promise<void> {
  running.add(child)
  return new Promise((resolve) =>
    child.once('exit', () => {
      running.delete(child)
      resolve()
    }),
  )
}

/** SIGTERM, SIGKILL after `graceMs`; resolves once the process has exited. */
async function terminate(child: ChildProcess, exited: Promise<void>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}

/** A running server process. */
export interface ServerProcess {
  readonly name: string
  readonly pid: number | undefined
  /** `http://127.0.0.1:<port>/graphql` */
  readonly url: string
  /** Asks the process (`gc`, `stats`, …) and resolves with its answer. */
  request<T = unknown>(type: string): Promise<T>
  stop(): Promise<void>
}

/**
 * Forks `script` (relative to the repository root, or to `root`: another
 * checkout, for a baseline) with `env` added, and waits until it listens.
 */
export async function startServerProcess(name: string, script: string, env: Record<string, string>, root = ROOT): Promise<ServerProcess> {
  const base = root.endsWith('/') ? root : `${root}/`
  const child = fork(`${base}${script}`, [], { cwd: base, execArgv: ['--import', 'tsx'], env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
  const exited = track(child)
  const output = collectOutput(child)
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  let nextId = 0
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: not ready within ${START_TIMEOUT_MS} ms:\n${output.join('\n')}`)), START_TIMEOUT_MS)
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before it was ready:\n${output.join('\n')}`)))
    child.on('message', (message: { ready?: boolean; port?: number; id?: number; result?: unknown; error?: string }) => {
      if (message.ready) {
        clearTimeout(timer)
        resolve(message.port!)
        return
      }
      const waiter = pending.get(message.id!)
      pending.delete(message.id!)
      if (message.error !== undefined) waiter?.reject(new Error(`${name}: ${message.error}`))
      else waiter?.resolve(message.result)
    })
  })
  child.once('exit', (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`${name} exited (${code}):\n${output.join('\n')}`))
    pending.clear()
  })
  return {
    name,
    pid: child.pid,
    url: `http://127.0.0.1:${port}/graphql`,
    request: <T>(type: string) =>
      new Promise<T>((resolve, reject) => {
        const id = nextId++
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
        child.send({ id, type })
      }),
    stop: () => terminate(child, exited, 5000),
  }
}

/** A running `cacheback-worker` command. */
export interface WorkerProcess {
  readonly pid: number | undefined
  /** Lines it printed matching `pattern`. */
  matching(pattern: RegExp): string[]
  /** SIGTERM (running refreshes finish), then resolves once it has exited. */
  stop(): Promise<void>
}

/** Starts `src/cli/worker.ts --module <setupModule> <args>` and waits for its `ready` line. */
export async function startWorkerProcess(setupModule: string, args: string[], env: Record<string, string>): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/worker.ts', '--module', setupModule, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = track(child)
  const all: string[] = []
  let ready: () => void = () => undefined
  const output = collectOutput(child, (line) => {
    all.push(line)
    if (/ready: queue/.test(line)) ready()
  })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker: not ready within ${START_TIMEOUT_MS} ms:\n${output.join('\n')}`)), START_TIMEOUT_MS)
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready:\n${output.join('\n')}`)))
    ready = () => {
      clearTimeout(timer)
      resolve()
    }
  })
  return {
    pid: child.pid,
    matching: (pattern) => all.filter((line) => pattern.test(line)),
    stop: () => terminate(child, exited, 30_000),
  }
}

const CLOCK_TICKS_PER_SECOND = 100

/**
 * CPU seconds (user + system) a process has used so far, from
 * `/proc/<pid>/stat` (Linux); NaN where that cannot be read.
 */
export function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND // utime, stime (fields 14 and 15 of the line)
  } catch {
    return Number.NaN
  }
}
