/** The machine a run happened on, for the results header. */
import os from 'node:os'
import { Redis } from 'ioredis'
import { info } from './redis.js'

/** What the results say about the machine. */
export interface MachineDescription {
  cpuModel: string
  cpuCount: number
  memoryGiB: number
  os: string
  node: string
  redis: string
}

/** Describes this machine and the Redis at `redisUrl` (version from `INFO server`). */
export async function describeMachine(redisUrl: string): Promise<MachineDescription> {
  const cpus = os.cpus()
  const client = new Redis(redisUrl)
  try {
    const server = await info(client, 'server')
    return {
      cpuModel: cpus[0]?.model.trim() ?? 'unknown',
      cpuCount: cpus.length,
      memoryGiB: os.totalmem() / 2 ** 30,
      os: `${os.type()} ${os.release()} (${os.arch()})`,
      node: process.version,
      redis: `${server.redis_version ?? 'unknown'}${server.redis_mode ? ` (${server.redis_mode})` : ''}`,
    }
  } finally {
    client.disconnect()
  }
}

/** One line per fact, as markdown bullets. */
export function machineLines(machine: MachineDescription): string[] {
  return [
    `CPU: ${machine.cpuCount} × ${machine.cpuModel}`,
    `Memory: ${machine.memoryGiB.toFixed(1)} GiB`,
    `OS: ${machine.os}`,
    `Node: ${machine.node}`,
    `Redis: ${machine.redis}`,
  ]
}
