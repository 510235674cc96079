/**
 * An empty npm project in a temporary directory that installs the packed
 * package the way a user does, and runs commands in it. Child processes get
 * the environment without the variables `npm test` sets for this package.
 */
import { execFile } from 'node:child_process'
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const FIXTURES = fileURLToPath(new URL('./consumer/', import.meta.url))

/** What a finished command printed. */
export interface CommandResult {
  code: number
  stdout: string
  stderr: string
}

/** The environment minus what npm sets for the running script (`npm_package_*`, `npm_config_*` but the cache and registry). */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig'])
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('npm_') || keep.has(name)))
  delete env.NODE_OPTIONS
  delete env.INIT_CWD
  return { ...env, ...extra }
}

/** Runs `command` in `cwd`; resolves with its exit code and output (never rejects on a non-zero exit). */
export function runCommand(command: string, args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: options.cwd, env: cleanEnv(options.env ?? {}), maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

/** Like `runCommand`, but rejects with the output when the exit code is not 0. */
export async function mustRun(command: string, args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<CommandResult> {
  const result = await runCommand(command, args, options)
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.code}\n${result.stdout}\n${result.stderr}`)
  return result
}

/** The version of `name` in this repository's lockfile, the least nested one (peers are installed at the versions the tests ran with). */
export async function repoVersion(name: string): Promise<string> {
  const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> }
  const paths = Object.keys(lock.packages).filter((path) => path.endsWith(`node_modules/${name}`)).sort((a, b) => a.length - b.length)
  const version = paths.length > 0 ? lock.packages[paths[0]].version : undefined
  if (!version) throw new Error(`${name} is not in package-lock.json`)
  return version
}

/** Packs the repository (`npm pack`, which builds in `prepack`) into `dir`; the tarball path and its file list. */
export async function packInto(dir: string): Promise<{ tarball: string; files: string[] }> {
  const { stdout } = await mustRun('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT })
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[]
  return { tarball: join(dir, packed.filename), files: packed.files.map((file) => file.path) }
}

/** A consumer project: an ES module package holding the fixture files of `consumer/`. */
export class ConsumerProject {
  private constructor(readonly dir: string) {}

  static async create(): Promise<ConsumerProject> {
    const dir = await mkdtemp(join(tmpdir(), 'cacheback-consumer-'))
    await cp(FIXTURES, dir, { recursive: true })
    await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2)}\n`)
    return new ConsumerProject(dir)
  }

  /** `npm install --engine-strict` of `specs`, from the local npm cache when it has them. */
  install(specs: string[]): Promise<CommandResult> {
    return mustRun('npm', ['install', '--engine-strict', '--prefer-offline', '--no-audit', '--no-fund', ...specs], { cwd: this.dir })
  }

  /** Adds `overrides` to the project's package.json. */
  async override(overrides: Record<string, string>): Promise<void> {
    const path = join(this.dir, 'package.json')
    const manifest = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>
    await writeFile(path, `${JSON.stringify({ ...manifest, overrides }, null, 2)}\n`)
  }

  /** Every package in node_modules, nested ones included (`name` or `@scope/name`). */
  async installedPackages(): Promise<Set<string>> {
    const names = new Set<string>()
    const walk = async (modules: string): Promise<void> => {
      const entries = await readdir(modules, { withFileTypes: true }).catch(() => [])
      for (const entry of entries.filter((e) => e.isDirectory() && !e.name.startsWith('.'))) {
        const inScope = entry.name.startsWith('@') ? (await readdir(join(modules, entry.name))).map((name) => `${entry.name}/${name}`) : [entry.name]
        for (const name of inScope) {
          names.add(name)
          await walk(join(modules, name, 'node_modules'))
        }
      }
    }
    await walk(join(this.dir, 'node_modules'))
    return names
  }

  /** Runs `node` with `args` in the project. */
  node(args: string[], env?: Record<string, string>): Promise<CommandResult> {
    return runCommand(process.execPath, args, { cwd: this.dir, env })
  }

  /** Runs an installed binary (`node_modules/.bin/<name>`). */
  bin(name: string, args: string[]): Promise<CommandResult> {
    return runCommand(join(this.dir, 'node_modules', '.bin', name), args, { cwd: this.dir })
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true })
  }
}

/** The package a module URL or path belongs to (`name` or `@scope/name` after the last node_modules/), or undefined. */
export function packageOf(location: string): string | undefined {
  const at = location.lastIndexOf('node_modules/')
  if (at < 0) return undefined
  const [first, second] = location.slice(at + 'node_modules/'.length).split('/')
  return first.startsWith('@') ? `${first}/${second}` : first
}
