/**
 * A test fixture in a child process (`node --import tsx <file>`): lines it
 * prints can be awaited, lines can be sent to its stdin, and it is killed
 * at the end.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface ChildFixture {
  child: ChildProcess
  /** Resolves with the first line (since the last wait) matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>
  send(line: string): void
  kill(): Promise<void>
}

export function startChild(fixture: string, env: Record<string, string>): ChildFixture {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)))
  const unread: string[] = []
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = []
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const waiter = waiters.find((w) => w.pattern.test(line))
    if (!waiter) return void unread.push(line)
    waiters.splice(waiters.indexOf(waiter), 1)
    waiter.resolve(line)
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    child,
    waitForLine(pattern, timeoutMs = 15_000) {
      const seen = unread.findIndex((line) => pattern.test(line))
      if (seen !== -1) return Promise.resolve(unread.splice(seen, 1)[0])
      return new Promise((resolve, reject) => {
        const fail = (why: string) => reject(new Error(`child ${why} before printing ${pattern}; unread stdout: ${JSON.stringify(unread)}; stderr:\n${stderr}`))
        const timer = setTimeout(() => fail(`took over ${timeoutMs} ms`), timeoutMs)
        void exited.then(() => fail(`exited (${child.signalCode ?? child.exitCode})`))
        waiters.push({ pattern, resolve: (line) => (clearTimeout(timer), resolve(line)) })
      })
    },
    send(line) {
      child.stdin!.write(`${line}\n`)
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    },
  }
}
