/**
 * The `cacheback` ops command as child processes against the suite's Redis:
 * help of every subcommand, `stats` of what a server published, `inspect` of
 * a field's entry by coordinate (on the setup module's clock) and by raw
 * key, usage errors, and `worker` running the worker command.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { afterEach, beforeEach, expect, inject, it } from 'vitest'
import { Cacheback } from '../src/index.js'
import { RedisStore } from '../src/redis/index.js'
import { publishStats } from '../src/dashboard/index.js'
import { createClock } from './helpers/clock.js'
import { uniqueNamespace } from './helpers/namespace.js'
import { createServer, createUpstream, run } from './helpers/graphql.js'

const url = inject('redisUrl')
const MODULE = 'test/fixtures/graphql-worker-setup.ts'
let namespace: string
const closers: (() => Promise<unknown>)[] = []
beforeEach(() => {
  namespace = uniqueNamespace('ops')
})
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

interface Result {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `cacheback <args>` to its end. */
async function cacheback(args: string[], env: Record<string, string> = {}): Promise<Result> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/cacheback.ts', ...args], { env: { ...process.env, REDIS_URL: url, NAMESPACE: namespace, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const [code] = (await once(child, 'exit')) as [number | null]
  return { code, stdout, stderr }
}

it('prints help for itself and every subcommand, and exits 2 on usage errors', async () => {
  const results = await Promise.all([[], ['--help'], ['stats', '--help'], ['inspect', '--help'], ['invalidate', '--help'], ['dashboard', '--help']].map((args) => cacheback(args)))
  for (const result of results) expect(result.code).toBe(0)
  expect(results[0].stdout).toContain('commands:')
  for (const name of ['stats', 'inspect', 'invalidate', 'dashboard', 'worker']) expect(results[1].stdout).toContain(`  ${name}`)
  for (const [i, name] of ['stats', 'inspect', 'invalidate', 'dashboard'].entries()) expect(results[i + 2].stdout).toMatch(new RegExp(`^usage: cacheback ${name} `))
  expect(results[3].stdout).toContain('--coordinate')
  expect(results[4].stdout).toContain('--mode MODE')

  const usage = await Promise.all([['nope'], ['stats', '--bogus'], ['inspect', '--redis', url], ['invalidate', '--module', MODULE], ['dashboard', '--module', MODULE, '--port', 'x']].map((args) => cacheback(args)))
  for (const result of usage) expect(result.code).toBe(2)
  expect(usage[0].stderr).toContain('unknown command "nope"')
  expect(usage[1].stderr).toContain("Unknown option '--bogus'")
  expect(usage[2].stderr).toContain('give --key, --coordinate or --job')
  expect(usage[3].stderr).toContain('give exactly one of --entity, --coordinate, --tag')
  expect(usage[4].stderr).toContain('--port must be a port number')
}, 120_000)

it('stats shows what the deployment published; inspect decodes a field entry by coordinate and by key', async () => {
  const clock = createClock()
  const cache = new Cacheback({ store: new RedisStore({ redis: url }), namespace, now: clock.now })
  const publisher = publishStats({ cache })
  const { server } = await createServer(cache, createUpstream())
  closers.push(() => cache.close(), () => publisher.stop(), () => server.stop())
  await run(server, '{ search(q: "cli") }') // miss, stored
  await run(server, '{ search(q: "cli") }') // hit
  await publisher.publish()

  const [text, json] = await Promise.all([cacheback(['stats', '--redis', url, '--namespace', namespace]), cacheback(['stats', '--module', MODULE, '--json'])])
  expect(text.code).toBe(0)
  expect(text.stdout).toContain(`namespace "${namespace}": 1 processes (server 1)`)
  expect(text.stdout).toMatch(/^Query\.search\s+1\s+0\s+1\s+50\.0 %/m)
  expect(json.code).toBe(0)
  expect(JSON.parse(json.stdout).names).toEqual([expect.objectContaining({ name: 'Query.search', hit: 1, miss: 1, fetches: 1 })])

  const at = (seconds: number) => ({ CLOCK_MS: String(clock.now() + seconds * 1000) })
  const field = ['inspect', '--module', MODULE, '--coordinate', 'Query.search', '--args', '{"q":"cli","page":3}', '--json']
  const [fresh, staleEntry, other] = await Promise.all([cacheback(field, at(4)), cacheback(field, at(12)), cacheback(['inspect', '--module', MODULE, '--coordinate', 'Query.search', '--args', '{"q":"other"}'], at(4))])
  expect(fresh.code, fresh.stderr).toBe(0)
  const entry = JSON.parse(fresh.stdout)
  expect(entry).toMatchObject({ status: 'fresh', ageSeconds: 4, lock: 'none', value: '["cli#1"]', createdAt: new Date(clock.now()).toISOString() })
  expect(entry.key).toMatch(new RegExp(`^${namespace}:graphql:Query\\.search:[0-9a-f]{64}$`)) // page is not a key arg: same entry
  expect(entry.sizeBytes).toBeGreaterThan(26)
  expect(JSON.parse(staleEntry.stdout)).toMatchObject({ status: 'stale', ageSeconds: 12 })
  expect(other.stdout).toMatch(/^status\s+absent$/m)

  const raw = await cacheback(['inspect', '--key', entry.key, '--redis', url])
  expect(raw.code).toBe(0)
  expect(raw.stdout).toMatch(/^status\s+(stale|expired)$/m) // the wall clock is far past the test clock
  expect(raw.stdout).toMatch(/^redisTtlSeconds\s+\d+/m)

  // invalidate: an entity (stale: the server's next read serves it stale), a field (purge: the entry is gone).
  await run(server, '{ user(id: "1") { tweets { text } } }')
  const [entity, purge] = await Promise.all([
    cacheback(['invalidate', '--module', MODULE, '--entity', 'User:1'], at(1)),
    cacheback(['invalidate', '--module', MODULE, '--coordinate', 'Query.search', '--mode', 'purge'], at(1)),
  ])
  expect(entity.code, entity.stderr).toBe(0)
  expect(entity.stdout).toBe('invalidated (stale) {"entity":{"type":"User","id":"1"}}: 1 entries\n')
  expect(purge.stdout).toBe('invalidated (purge) {"coordinate":"Query.search"}: 1 entries\n')
  clock.advance(2)
  const stale = await run(server, '{ user(id: "1") { tweets { text } } }')
  expect(stale.extensions?.cacheback.staleFields).toEqual([expect.objectContaining({ coordinate: 'User.tweets' })])
  const purged = await cacheback(['inspect', '--key', entry.key, '--redis', url])
  expect(purged.stdout).toMatch(/^status\s+purged$/m)
}, 120_000)

it('worker runs the worker command', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/cacheback.ts', 'worker', '--module', MODULE, '--queue', namespace], { env: { ...process.env, REDIS_URL: url, NAMESPACE: namespace }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const lines: string[] = []
  const ready = new Promise<void>((resolve) => createInterface({ input: child.stdout }).on('line', (line) => (lines.push(line), /ready: queue/.test(line) && resolve())))
  await ready
  expect(lines.find((l) => l.includes('ready'))).toContain(`queue "${namespace}"`)
  child.kill('SIGTERM')
  const [code, signal] = await once(child, 'exit')
  expect(stderr).toBe('')
  expect({ code, signal }).toEqual({ code: 0, signal: null })
  const usage = await cacheback(['worker'])
  expect(usage.code).toBe(2)
  expect(usage.stderr).toContain('cacheback-worker: --module is required')
}, 60_000)
