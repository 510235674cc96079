/**
 * What an operator sees from `cacheback-worker`, run as a child process:
 * `--help` prints the usage, an unknown option is one line, a worker whose
 * Redis is not there yet says so at once and keeps retrying until it is,
 * then logs that it is ready, and a Redis that refuses the password is
 * reported as that (by the command and in `RedisStore` errors), never as
 * ioredis's "Stream isn't writeable".
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { afterEach, describe, expect, it } from 'vitest'
import { CachebackError } from '../src/index.js'
import { RedisStore } from '../src/redis/index.js'
import { uniqueNamespace } from './helpers/namespace.js'
import { type RedisServerHandle, freePort, startRedisServer } from './helpers/redis-server.js'

const SETUP = 'test/fixtures/plain-worker-setup.ts'

/** A `cacheback-worker` process, its output collected line by line. */
function startCli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/worker.ts', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const stdout: string[] = []
  const stderr: string[] = []
  const waiters: { pattern: RegExp; resolve: () => void }[] = []
  const collect = (into: string[]) => (line: string) => {
    into.push(line)
    for (const waiter of waiters.filter((w) => w.pattern.test(line))) waiter.resolve()
  }
  createInterface({ input: child.stdout! }).on('line', collect(stdout))
  createInterface({ input: child.stderr! }).on('line', collect(stderr))
  const exited = once(child, 'exit').then(([code, signal]) => (code as number | null) ?? (signal as string))
  const waitForLine = (pattern: RegExp): Promise<void> =>
    [...stdout, ...stderr].some((l) => pattern.test(l)) ? Promise.resolve() : new Promise((resolve) => waiters.push({ pattern, resolve }))
  running.push(child)
  return { child, stdout, stderr, exited, waitForLine }
}

const running: ChildProcess[] = []
const servers: RedisServerHandle[] = []
afterEach(async () => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
  await Promise.all(servers.splice(0).map((s) => s.stop()))
})

describe('command line', () => {
  it('--help prints the usage and the options, and exits 0', async () => {
    const cli = startCli(['--help'])
    expect(await cli.exited).toBe(0)
    expect(cli.stdout[0]).toMatch(/^usage: cacheback-worker --module /)
    for (const option of ['--module', '--concurrency', '--queue', '--quiet', '--help']) expect(cli.stdout.join('\n')).toContain(option)
    expect(cli.stderr).toEqual([])
  })

  it('an unknown option is one clear line on stderr, exit 2', async () => {
    const cli = startCli(['--module', SETUP, '--bogus'])
    expect(await cli.exited).toBe(2)
    expect(cli.stderr).toEqual(['cacheback-worker: unknown option --bogus (cacheback-worker --help shows the usage)'])
  })
})

describe('Redis not there yet', () => {
  it('says it cannot reach the queue at once, keeps retrying, and is ready once Redis starts', async () => {
    const port = await freePort()
    const namespace = uniqueNamespace('cli')
    const cli = startCli(['--module', SETUP], { REDIS_URL: `redis://127.0.0.1:${port}`, NAMESPACE: namespace })
    await cli.waitForLine(/cannot reach/)
    expect(cli.stdout[0]).toBe(`[cacheback-worker] cannot reach the queue's Redis at 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}; retrying every 1 s`)
    expect(cli.child.exitCode).toBeNull() // still running, still trying

    servers.push(await startRedisServer({ port }))
    await cli.waitForLine(/ready: queue/)
    expect(cli.stdout).toContain(`[cacheback-worker] the queue's Redis at 127.0.0.1:${port} answers`)
    expect(cli.stdout.at(-1)).toBe(`[cacheback-worker] ready: queue "${namespace}", concurrency 64`)
    cli.child.kill('SIGTERM')
    expect(await cli.exited).toBe(0)
    expect(cli.stderr).toEqual([])
  })
})

describe('Redis refusing the password', () => {
  it('the command says so in one line and exits 1', async () => {
    const server = await startRedisServer({ password: 'right' })
    servers.push(server)
    const cli = startCli(['--module', SETUP], { REDIS_URL: `redis://:wrong@127.0.0.1:${server.port}`, NAMESPACE: uniqueNamespace('cli') })
    expect(await cli.exited).toBe(1)
    expect(cli.stderr).toEqual([`cacheback-worker: the queue's Redis at 127.0.0.1:${server.port} refused the password (WRONGPASS invalid username-password pair or user is disabled.)`])
  })

  it('RedisStore errors say the password was refused, or that one is required', async () => {
    const server = await startRedisServer({ password: 'right' })
    servers.push(server)
    for (const [url, said] of [
      [`redis://:wrong@127.0.0.1:${server.port}`, /failed: not connected: Redis refused the password \(WRONGPASS /],
      [`redis://127.0.0.1:${server.port}`, /failed: not connected: Redis requires a password and the connection gave none or the wrong one \(NOAUTH /],
    ] as const) {
      const store = new RedisStore({ redis: url })
      try {
        const error = await store.get('some-key').catch((e: unknown) => e)
        expect(error).toBeInstanceOf(CachebackError)
        expect(error).toMatchObject({ code: 'E_STORE_UNAVAILABLE', key: 'some-key' })
        expect((error as Error).message).toMatch(said)
        expect((error as Error).message).not.toMatch(/Stream isn't writeable/)
      } finally {
        await store.close()
      }
    }
    const right = new RedisStore({ redis: `redis://:right@127.0.0.1:${server.port}` })
    expect(await right.get('some-key')).toBeUndefined()
    await right.close()
  })
})
