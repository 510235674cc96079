/**
 * The example's processes as a user runs them (`node --import tsx ...`),
 * with their output collected line by line and bounded waits on it. Those
 * still running when the test process exits are killed.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

/** Variables of the example that must not leak in from the test run's own environment. */
const EXAMPLE_VARIABLES = ['PORT', 'UPSTREAM_PORT', 'UPSTREAM_URL', 'UPSTREAM_LATENCY_MS', 'REDIS_URL', 'CACHEBACK_NAMESPACE', 'CACHEBACK_QUEUE', 'TWEETS_LIFETIME', 'PROFILE_LIFETIME', 'REFRESH_TIMEOUT', 'STALL_INTERVAL_MS']

const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

/** A running example process. */
export interface ExampleProcess {
  readonly child: ChildProcess
  /** Every stdout and stderr line so far. */
  readonly lines: string[]
  /** Lines matching `pattern`. */
  matching(pattern: RegExp): string[]
  /** Resolves with the first line matching `pattern`; rejects (with the log) after `timeoutMs` or when the process exits. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>
  /** Resolves once `count` lines match `pattern`; rejects like `waitForLine`. */
  waitForLines(pattern: RegExp, count: number, timeoutMs?: number): Promise<void>
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves with the exit code (null if killed). */
  stop(graceMs?: number): Promise<number | null>
}

/** Starts `node --import tsx <args>` in the repository root with the example variables in `env` only. */
export function startExampleProcess(args: string[], env: Record<string, string>): ExampleProcess {
  const base = { ...process.env }
  for (const name of EXAMPLE_VARIABLES) delete base[name]
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(child)
  child.once('exit', () => running.delete(child))
  const lines: string[] = []
  const listeners = new Set<() => void>()
  const onLine = (line: string) => {
    lines.push(line)
    for (const listener of listeners) listener()
  }
  createInterface({ input: child.stdout! }).on('line', onLine)
  createInterface({ input: child.stderr! }).on('line', onLine)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  child.once('exit', () => {
    for (const listener of listeners) listener()
  })

  const matching = (pattern: RegExp) => lines.filter((line) => pattern.test(line))
  const waitFor = (done: () => boolean, what: string, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (done()) finish(resolve)
        else if (child.exitCode !== null || child.signalCode !== null) finish(() => reject(new Error(`${args.join(' ')} exited before ${what}:\n${lines.join('\n')}`)))
      }
      const timer = setTimeout(() => finish(() => reject(new Error(`no ${what} within ${timeoutMs} ms from ${args.join(' ')}:\n${lines.join('\n')}`))), timeoutMs)
      const finish = (settle: () => void) => {
        clearTimeout(timer)
        listeners.delete(check)
        settle()
      }
      listeners.add(check)
      check()
    })

  return {
    child,
    lines,
    matching,
    async waitForLine(pattern, timeoutMs = 30_000) {
      await waitFor(() => matching(pattern).length > 0, `a line matching ${pattern}`, timeoutMs)
      return pattern.exec(matching(pattern)[0])!
    },
    waitForLines: (pattern, count, timeoutMs = 10_000) => waitFor(() => matching(pattern).length >= count, `${count} lines matching ${pattern}`, timeoutMs),
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      const code = await exited
      clearTimeout(timer)
      return code
    },
  }
}
