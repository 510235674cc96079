/**
 * Starts throwaway `redis-server`s for tests: no persistence, bound to
 * 127.0.0.1, each in its own temporary directory. `startRedisServer` starts
 * one server (optionally a one-node cluster); `startRedisCluster` starts a
 * three-master Redis Cluster joined with `redis-cli --cluster create`. Every
 * server this module started is killed when the process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A running test server. */
export interface RedisServerHandle {
  host: string
  port: number
  /** `redis://host:port` */
  url: string
  /** SIGTERM, then resolves once the process has exited. */
  stop(): Promise<void>
  /** SIGKILL, then resolves once the process has exited. */
  kill(): Promise<void>
  /** Starts the server again on the same port (stopping it first if it runs). */
  restart(): Promise<void>
}

const HOST = '127.0.0.1'
const READY_TIMEOUT_MS = 10_000
/** A cluster node also listens on its port + 10000 (the cluster bus), which must be a valid port. */
const CLUSTER_BUS_OFFSET = 10_000
const MAX_CLUSTER_PORT = 65_535 - CLUSTER_BUS_OFFSET
const running = new Set<ChildProcess>()

/**
 * How a server runs: `standalone`; `single`, a one-node cluster owning every
 * slot; `member`, a cluster-enabled node without slots, for `startRedisCluster`.
 */
type ServerMode = 'standalone' | 'single' | 'member'

process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** Port to listen on. @default a free port */
  port?: number
  /** Runs a one-node Redis Cluster owning every slot (for ioredis `Cluster`). @default false */
  cluster?: boolean
  /** Requires this password (`--requirepass`). @default none */
  password?: string
}

/** Starts a `redis-server` on `options.port` or a free port, resolving once it answers PING. */
export function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  return startServer(options.port, options.cluster ? 'single' : 'standalone', options.password === undefined ? [] : ['--requirepass', options.password])
}

async function startServer(fixedPort: number | undefined, mode: ServerMode, extraArgs: string[] = []): Promise<RedisServerHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'cacheback-redis-'))
  const pickPort = (): Promise<number> => (mode === 'standalone' ? freePort() : freeClusterPort())
  let port = fixedPort ?? (await pickPort())
  let child = await spawnReady(port, dir, mode, extraArgs).catch(async (error: Error) => {
    // Another process may have taken the free port between probe and bind.
    if (fixedPort !== undefined || !/in use/i.test(error.message)) {
      rmSync(dir, { recursive: true, force: true })
      throw error
    }
    port = await pickPort()
    return spawnReady(port, dir, mode, extraArgs)
  })
  const handle: RedisServerHandle = {
    host: HOST,
    port,
    url: `redis://${HOST}:${port}`,
    stop: async () => {
      await terminate(child, 'SIGTERM')
      rmSync(dir, { recursive: true, force: true })
    },
    kill: () => terminate(child, 'SIGKILL'),
    restart: async () => {
      await terminate(child, 'SIGTERM')
      child = await spawnReady(port, dir, mode, extraArgs)
    },
  }
  return handle
}

/** A running three-master (by default) Redis Cluster on loopback. */
export interface RedisClusterHandle {
  /** The masters, each a cluster-enabled `redis-server` with its own `nodes.conf`. */
  nodes: RedisServerHandle[]
  /** `{ host, port }` of every master: the startup nodes of an ioredis `Cluster`. */
  startupNodes: { host: string; port: number }[]
  /** Stops every node and removes their directories. */
  stop(): Promise<void>
}

/** Options of {@link startRedisCluster}. */
export interface RedisClusterOptions {
  /** Number of masters (no replicas); `redis-cli --cluster create` needs at least 3. @default 3 */
  masters?: number
}

/**
 * Starts `masters` cluster-enabled servers, joins them with
 * `redis-cli --cluster create … --cluster-replicas 0 --cluster-yes`, and
 * resolves once `CLUSTER INFO` reports `cluster_state:ok` and every node on
 * every node. Each node's cluster bus (port + 10000) is free too.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisClusterHandle> {
  const masters = options.masters ?? 3
  const started = await Promise.allSettled(Array.from({ length: masters }, () => startServer(undefined, 'member')))
  const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []))
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.stop()))
  }
  try {
    const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected')
    if (failed) throw failed.reason
    await redisCli(['--cluster', 'create', ...nodes.map((node) => `${HOST}:${node.port}`), '--cluster-replicas', '0', '--cluster-yes'])
    await Promise.all(nodes.map((node) => waitForClusterOk(node.port, masters)))
  } catch (error) {
    await stop()
    throw error
  }
  return { nodes, startupNodes: nodes.map(({ host, port }) => ({ host, port })), stop }
}

/** A port nothing listens on right now (bind to 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, HOST, () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** A free port that can run a cluster node: at most 55535, with its cluster bus port free as well. */
async function freeClusterPort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await freePort()
    if (port <= MAX_CLUSTER_PORT && (await isFree(port + CLUSTER_BUS_OFFSET))) return port
  }
  throw new Error('found no free port pair (port, port + 10000) for a cluster node')
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.unref()
    server.once('error', () => resolve(false))
    server.listen(port, HOST, () => server.close(() => resolve(true)))
  })
}

async function spawnReady(port: number, dir: string, mode: ServerMode, extraArgs: string[]): Promise<ChildProcess> {
  mkdirSync(dir, { recursive: true })
  const args = ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir, ...extraArgs]
  if (mode !== 'standalone') args.push('--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'), '--cluster-announce-ip', HOST)
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(child)
  let log = ''
  const collect = (chunk: Buffer): void => {
    log = (log + chunk.toString()).slice(-4000)
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`redis-server could not start: ${error.message}`)))
    child.once('exit', (code, signal) => reject(new Error(`redis-server on port ${port} exited (${signal ?? code}) before answering PING:\n${log}`)))
  })
  exited.catch(() => {})
  child.once('exit', () => running.delete(child))
  try {
    await Promise.race([waitForPong(port, mode), exited])
    return child
  } catch (error) {
    await terminate(child, 'SIGKILL')
    throw error
  }
}

/** Waits for PING to answer (and, for a one-node cluster, for it to own every slot and report ok). */
async function waitForPong(port: number, mode: ServerMode): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  let slotsAssigned = false
  while (Date.now() < deadline) {
    const pong = await inlineCommand(port, 'PING')
    if (pong.startsWith('+PONG') || pong.startsWith('-NOAUTH')) {
      if (mode !== 'single') return
      if (!slotsAssigned) {
        const info = await inlineCommand(port, 'CLUSTER INFO')
        if (info.includes('cluster_slots_assigned:0')) await inlineCommand(port, 'CLUSTER ADDSLOTSRANGE 0 16383')
        slotsAssigned = info.includes('cluster_slots_assigned:16384')
      }
      if ((await inlineCommand(port, 'CLUSTER INFO')).includes('cluster_state:ok')) return
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`redis-server on port ${port} was not ready within ${READY_TIMEOUT_MS} ms`)
}

/** Waits until the node at `port` reports `cluster_state:ok` and knows all `nodes` nodes. */
async function waitForClusterOk(port: number, nodes: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  let info = ''
  while (Date.now() < deadline) {
    info = await inlineCommand(port, 'CLUSTER INFO')
    if (info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${nodes}\r\n`)) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`cluster node on port ${port} did not report cluster_state:ok with ${nodes} nodes within ${READY_TIMEOUT_MS} ms:\n${info}`)
}

/** Runs `redis-cli` with `args`; rejects with its output when it fails or takes longer than the ready timeout. */
function redisCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    const collect = (chunk: Buffer): void => {
      output += chunk.toString()
    }
    child.stdout?.on('data', collect)
    child.stderr?.on('data', collect)
    const timer = setTimeout(() => child.kill('SIGKILL'), READY_TIMEOUT_MS)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(new Error(`redis-cli could not start: ${error.message}`))
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) resolve(output)
      else reject(new Error(`redis-cli ${args.join(' ')} failed (${signal ?? code}):\n${output}`))
    })
  })
}

/** Sends one inline command; resolves with the raw reply, or '' when there is none within 500 ms. */
function inlineCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port })
    let reply = ''
    const done = (): void => {
      socket.destroy()
      resolve(reply)
    }
    socket.setTimeout(500, done)
    socket.once('error', done)
    socket.once('connect', () => socket.write(`${command}\r\n`))
    socket.on('data', (chunk) => {
      reply += chunk.toString()
      if (isCompleteReply(reply)) done()
    })
  })
}

/** True when `reply` holds one whole simple, error, integer or bulk reply. */
function isCompleteReply(reply: string): boolean {
  const lineEnd = reply.indexOf('\r\n')
  if (lineEnd < 0) return false
  if (reply[0] !== '$') return true
  const length = Number(reply.slice(1, lineEnd))
  return length < 0 || Buffer.byteLength(reply) >= lineEnd + 2 + length + 2
}

function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill(signal)
  })
}

/** Calls per command of a Redis (`INFO commandstats`), by command name (`evalsha`, `config|resetstat`, …). */
export async function commandStats(client: { info(section: string): Promise<string> }): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  for (const match of (await client.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) counts[match[1]] = Number(match[2])
  return counts
}
