/**
 * The `cacheback-worker` command as a separate process: it refreshes stale
 * fields dispatched by a server, logs one line per refresh, and on SIGTERM
 * finishes the refresh it is running before it exits.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { afterEach, beforeEach, expect, inject, it } from 'vitest'
import { type EngineSetup, createEngineSetup } from '../helpers/engine.js'
import { createServer, createUpstream, run } from '../helpers/graphql.js'

let setup: EngineSetup
beforeEach(() => {
  setup = createEngineSetup('redis')
})
afterEach(async () => {
  await setup.cleanup()
})

function startWorkerProcess(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/worker.ts', '--module', 'test/fixtures/graphql-worker-setup.ts'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const lines: string[] = []
  const waiters: { pattern: RegExp; resolve: () => void }[] = []
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line)
    for (const w of waiters.filter((w) => w.pattern.test(line))) w.resolve()
  })
  const waitForLine = (pattern: RegExp) =>
    lines.some((l) => pattern.test(l)) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ pattern, resolve }))
  return { child, lines, waitForLine }
}

it('refreshes in its own process and finishes a running refresh on SIGTERM', async () => {
  const upstream = createUpstream()
  const { server } = await createServer(setup.process(), upstream)
  await run(server, '{ search(q: "cli") }')
  setup.clock.advance(11)
  const worker = startWorkerProcess({
    REDIS_URL: inject('redisUrl'),
    NAMESPACE: setup.namespace,
    CLOCK_MS: String(setup.clock.now()),
    REFRESH_DELAY_MS: '400',
  })
  try {
    await worker.waitForLine(/ready: queue/)
    const stale = await run(server, '{ search(q: "cli") }')
    expect(stale.extensions?.cacheback.staleFields[0]).toMatchObject({ coordinate: 'Query.search', refresh: 'dispatched' })
    await worker.waitForLine(/refresh started Query\.search/)
    worker.child.kill('SIGTERM')
    const [code] = await once(worker.child, 'exit')
    expect(code).toBe(0)
    expect(worker.lines.some((l) => /refresh-succeeded graphql:Query\.search /.test(l))).toBe(true)
    expect(worker.lines.indexOf(worker.lines.find((l) => /SIGTERM/.test(l))!)).toBeLessThan(worker.lines.findIndex((l) => /refresh-succeeded/.test(l)))
    const fresh = await run(server, '{ search(q: "cli") }')
    expect(fresh.data.search).toEqual(['cli#2'])
    expect(fresh.extensions?.cacheback).toMatchObject({ hit: 1 })
  } finally {
    worker.child.kill('SIGKILL')
    await server.stop()
  }
})
