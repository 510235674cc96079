/**
 * The dashboard in a real browser (Debian's headless Chromium, driven by
 * playwright-core): a server in this process and a `cacheback-worker` child
 * process on Redis publish their counters; the worker serves the page. The
 * page's figures change after a burst of reads; an entity invalidated
 * through the form makes the server's next read of it stale. The last state
 * of the page is saved as docs/dashboard.png (the README shows it).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { type Browser, type Page, chromium } from 'playwright-core'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { publishStats, type StatsPublisher } from '../src/dashboard/index.js'
import { type EngineSetup, createEngineSetup } from './helpers/engine.js'
import { createServer, createUpstream, run } from './helpers/graphql.js'

const TOKEN = 'dashboard-test-token'
let setup: EngineSetup
let browser: Browser
let worker: ChildProcess
let dashboardUrl: string
let publisher: StatsPublisher
let server: Awaited<ReturnType<typeof createServer>>['server']

/** Waits until the element's text matches (the page polls its figures); fails showing the text it had. */
async function waitForText(page: Page, selector: string, expected: string | RegExp): Promise<void> {
  const pattern = typeof expected === 'string' ? `^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$` : expected.source
  try {
    await page.waitForFunction(([sel, source]) => new RegExp(source).test(document.querySelector(sel)?.textContent ?? ''), [selector, pattern] as const, { timeout: 15_000 })
  } catch {
    throw new Error(`${selector}: expected ${String(expected)}, the page shows ${JSON.stringify(await page.locator(selector).textContent().catch(() => null))}`)
  }
}

function chromiumPath(): string {
  return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim()
}

beforeAll(async () => {
  setup = createEngineSetup('redis')
  const cache = setup.process()
  ;({ server } = await createServer(cache, createUpstream()))
  publisher = publishStats({ cache, intervalMs: 300 })
  worker = spawn(process.execPath, ['--import', 'tsx', 'src/cli/worker.ts', '--module', 'test/fixtures/graphql-worker-setup.ts', '--dashboard-port', '0', '--dashboard-token', TOKEN, '--stats-interval-ms', '300'], {
    env: { ...process.env, REDIS_URL: inject('redisUrl'), NAMESPACE: setup.namespace, CLOCK_MS: String(setup.clock.now() + 1000) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  dashboardUrl = await new Promise<string>((resolve, reject) => {
    worker.once('exit', (code) => reject(new Error(`worker exited with ${code}`)))
    createInterface({ input: worker.stdout! }).on('line', (line) => {
      const found = /dashboard at (\S+)/.exec(line)
      if (found) resolve(found[1])
    })
  })
  browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  if (worker && worker.exitCode === null) {
    worker.kill('SIGTERM')
    await once(worker, 'exit')
  }
  await publisher?.stop()
  await server?.stop()
  await setup?.cleanup()
}, 60_000)

it('shows the deployment, changes after a burst of reads, and invalidates an entity through the form', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } })
  await page.goto(dashboardUrl)
  await page.waitForFunction(() => document.querySelector('#updated')?.textContent?.includes('2 processes'))
  expect(await page.locator('#processes tbody tr').count()).toBe(2)
  expect(await page.locator('#invalidate').isVisible()).toBe(true)
  expect(await page.locator('#reads tr[data-name="User.tweets"]').count()).toBe(0) // nothing read yet

  // A burst of reads: 1 miss then 5 hits of ann's tweets, 1 miss of search.
  for (let i = 0; i < 6; i++) await run(server, '{ user(id: "1") { tweets { text } } }')
  await run(server, '{ search(q: "dashboard") }')
  await publisher.publish()
  const cell = (name: string, col: string) => `#reads tr[data-name="${name}"] td[data-col="${col}"]`
  await waitForText(page, cell('User.tweets', 'hit'), '5')
  expect(await page.locator(cell('User.tweets', 'miss')).textContent()).toBe('1')
  expect(await page.locator(cell('Query.search', 'miss')).textContent()).toBe('1')
  expect(await page.locator('#totals [data-col="hit ratio"] b').textContent()).toBe('71.4 %')
  expect(await page.locator('#queues tbody tr').count()).toBe(1) // the worker's queue, from checkHealth

  // Invalidate User 1 through the form; the server's next read of its tweets is stale.
  await page.selectOption('#kind', 'entity')
  await page.fill('input[name="type"]', 'User')
  await page.fill('input[name="id"]', '1')
  await page.fill('input[name="token"]', TOKEN)
  await page.click('#invalidate button[type="submit"]')
  await waitForText(page, '#result', /^invalidated \(stale\): \d+ entries$/)
  setup.clock.advance(1) // past the worker's clock, which made the invalidation
  const after = await run(server, '{ user(id: "1") { tweets { text } } }')
  expect(after.extensions?.cacheback.staleFields).toEqual([expect.objectContaining({ coordinate: 'User.tweets', refresh: 'dispatched' })])
  await setup.drain()
  await publisher.publish()
  await waitForText(page, cell('User.tweets', 'stale'), '1')
  await waitForText(page, cell('User.tweets', 'refreshes'), '1') // the worker refreshed it
  await waitForText(page, '#invalidations tr[data-name="entity"] td[data-col="count"]', '1')

  // A wrong token is refused, and said so on the page.
  await page.fill('input[name="token"]', 'wrong')
  await page.click('#invalidate button[type="submit"]')
  await waitForText(page, '#result', 'refused: 403 wrong or missing token')
  await page.fill('input[name="token"]', '')
  await page.screenshot({ path: 'docs/dashboard.png', fullPage: true })
}, 90_000)
