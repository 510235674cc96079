/**
 * Starts a throwaway `redis-server` on a free port for tests: no persistence,
 * bound to 127.0.0.1, its own temporary directory. Every server this module
 * started is killed when the process exits.
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
const running = new Set<ChildProcess>()

process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** Port to listen on. @default a free port */
  port?: number
  /** Runs a one-node Redis Cluster owning every slot (for ioredis `Cluster`). @default false */
  cluster?: boolean
}

/** Starts a `redis-server` on `options.port` or a free port, resolving once it answers PING. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'cacheback-redis-'))
  const cluster = options.cluster ?? false
  let port = options.port ?? (await freePort())
  let child = await spawnReady(port, dir, cluster).catch(async (error: Error) => {
    // Another process may have taken the free port between probe and bind.
    if (options.port !== undefined || !/in use/i.test(error.message)) throw error
    port = await freePort()
    return spawnReady(port, dir, cluster)
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
      child = await spawnReady(port, dir, cluster)
    },
  }
  return handle
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

async function spawnReady(port: number, dir: string, cluster: boolean): Promise<ChildProcess> {
  mkdirSync(dir, { recursive: true })
  const args = ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir]
  if (cluster) args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-announce-ip', HOST)
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
    await Promise.race([waitForPong(port, cluster), exited])
    return child
  } catch (error) {
    await terminate(child, 'SIGKILL')
    throw error
  }
}

/** Waits for PING to answer (and, for a cluster node, for it to own every slot and report ok). */
async function waitForPong(port: number, cluster: boolean): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  let slotsAssigned = false
  while (Date.now() < deadline) {
    if ((await inlineCommand(port, 'PING')).startsWith('+PONG')) {
      if (!cluster) return
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
