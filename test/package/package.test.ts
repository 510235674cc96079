/**
 * The package as users get it: `npm pack`, then an empty project on this
 * Node (20 in CI) installs the tarball with `--engine-strict`. Without peers
 * it holds no integration package and `cacheback(fn)` works on the embedded
 * default through `import` and `require`; the root import loads nothing
 * outside the core's own dependencies; the conformance suite runs under
 * node:test; and strict TypeScript consumers (no `skipLibCheck`) compile:
 * of the root, /redis, /bee-queue and /testing with only ioredis and
 * bee-queue installed, then of every entry point, ES module and CommonJS,
 * with every peer, and of /drizzle with drizzle-orm and pg. The steps run in
 * order and share the project.
 */
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConsumerProject, packInto, packageOf, repoVersion } from './consumer-project.js'

/** Packages only an integration needs: none may be installed by, or loaded from, the root. */
const INTEGRATION_PACKAGE = /^(ioredis|bee-queue|redis|graphql|@graphql-tools\/.*|@apollo\/.*|drizzle-orm|pg)$/
const INSTALL_TIMEOUT_MS = 240_000

let project: ConsumerProject
let packed: { tarball: string; files: string[] }
/** What installing the tarball alone brought: the core's dependency closure. */
let coreClosure: Set<string>

beforeAll(async () => {
  project = await ConsumerProject.create()
  packed = await packInto(project.dir)
  await project.install([packed.tarball])
  coreClosure = await project.installedPackages()
}, INSTALL_TIMEOUT_MS)
afterAll(async () => {
  await project?.remove()
})

describe('the packed package', () => {
  it('ships dist, the directive SDL, README and LICENSE; no sources, tests or maps', async () => {
    expect(packed.files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'schema-directives/cacheback.graphql', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/worker.js']))
    for (const entry of ['redis', 'bee-queue', 'graphql', 'apollo', 'envelop', 'mercurius', 'testing', 'drizzle']) expect(packed.files).toContain(`dist/${entry}/index.d.ts`)
    expect(packed.files.filter((path) => !/^(dist\/|schema-directives\/|LICENSE$|README\.md$|package\.json$)/.test(path) || path.endsWith('.map'))).toEqual([])
    const manifest = JSON.parse(await readFile(join(project.dir, 'node_modules/graphql-cacheback/package.json'), 'utf8')) as Record<string, Record<string, unknown>>
    expect(manifest.scripts.prepare).toBeUndefined()
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['lru-cache', 'msgpackr'])
  })

  it('installs with --engine-strict and brings no ioredis, bee-queue, graphql or Apollo package', () => {
    expect(coreClosure).toContain('graphql-cacheback')
    expect([...coreClosure].filter((name) => INTEGRATION_PACKAGE.test(name))).toEqual([])
  })

  it.each(['use.mjs', 'use.cjs'])('runs cacheback(fn) on the embedded default (%s)', async (script) => {
    const run = await project.node([script])
    expect(run.stderr).toBe('')
    expect(JSON.parse(run.stdout)).toEqual({ first: 42, second: 42, status: 'hit', calls: 1, store: 'memory' })
  })

  it('runs the store conformance suite of graphql-cacheback/testing under node:test', async () => {
    const run = await project.node(['--test', '--test-reporter=tap', 'conformance.test.mjs'])
    expect(run.stdout).toMatch(/^# pass 35$/m) // every case of src/testing
    expect(run.stdout).toMatch(/^# fail 0$/m)
    expect(run.code).toBe(0)
  })
})

describe('strict TypeScript consumers (skipLibCheck: false)', () => {
  it('compile the root, /redis, /bee-queue and /testing with only ioredis and bee-queue installed (no graphql, no @types/redis)', async () => {
    const peers = await Promise.all(['ioredis', 'bee-queue', 'typescript', '@types/node'].map(async (name) => `${name}@${await repoVersion(name)}`))
    await project.install(peers)
    const installed = await project.installedPackages()
    expect([...installed].filter((name) => /^(graphql|@types\/redis|@apollo\/.*)$/.test(name))).toEqual([])
    const tsc = await project.node(['node_modules/typescript/bin/tsc', '-p', 'tsconfig.core.json'])
    expect(tsc.stdout + tsc.stderr).toBe('')
    expect(tsc.code).toBe(0)
  }, INSTALL_TIMEOUT_MS)

  it('compile every entry point, as ES module and CommonJS, with every peer installed', async () => {
    // Apollo Server 5 takes @graphql-tools/schema ^10, whose newest release needs Node 22.15 (through
    // @graphql-tools/utils 12): pinned as the README says, so --engine-strict passes on Node 20.
    await project.override({ '@graphql-tools/schema': await repoVersion('@graphql-tools/schema'), '@graphql-tools/merge': await repoVersion('@graphql-tools/merge') })
    const peers = await Promise.all(['graphql', '@graphql-tools/utils', '@apollo/server'].map(async (name) => `${name}@${await repoVersion(name)}`))
    await project.install(peers)
    const tsc = await project.node(['node_modules/typescript/bin/tsc', '-p', 'tsconfig.all.json'])
    expect(tsc.stdout + tsc.stderr).toBe('')
    expect(tsc.code).toBe(0)
  }, INSTALL_TIMEOUT_MS)

  it('compile /drizzle with drizzle-orm and pg installed: no error outside drizzle-orm\'s own declarations', async () => {
    // drizzle-orm 0.45's declarations do not compile without skipLibCheck (they import optional
    // drivers such as gel and mysql2): those errors are Drizzle's; ours, in dist/drizzle, must be none.
    const peers = await Promise.all(['drizzle-orm', 'pg', '@types/pg'].map(async (name) => `${name}@${await repoVersion(name)}`))
    await project.install(peers)
    const tsc = await project.node(['node_modules/typescript/bin/tsc', '-p', 'tsconfig.drizzle.json'])
    const errors = (tsc.stdout + tsc.stderr).split('\n').filter((line) => /error TS\d+/.test(line))
    expect(errors.filter((line) => !line.startsWith('node_modules/drizzle-orm/'))).toEqual([])
  }, INSTALL_TIMEOUT_MS)
})

describe('with every peer installed', () => {
  it('loads, on a cold root import, only modules of the core and its dependencies', async () => {
    const log = join(project.dir, 'resolved.log')
    const run = await project.node(['--import', './log-resolves.mjs', 'cold-import.mjs'], { RESOLVE_LOG: log })
    expect(run.stderr).toBe('')
    const esm = (await readFile(log, 'utf8')).split('\n').filter(Boolean)
    const commonjs = JSON.parse(run.stdout) as string[]
    expect(esm).toContainEqual(expect.stringMatching(/node_modules\/graphql-cacheback\/dist\/index\.js$/))
    const loaded = new Set([...esm, ...commonjs].map(packageOf).filter((name) => name !== undefined))
    expect([...loaded].filter((name) => !coreClosure.has(name) || INTEGRATION_PACKAGE.test(name))).toEqual([])
    await rm(log)
  })

  it('installs the cacheback-worker command, which runs and explains a missing --module', async () => {
    const run = await project.bin('cacheback-worker', [])
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/--module is required/)
  })
})
