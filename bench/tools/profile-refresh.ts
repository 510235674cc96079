/**
 * CPU profile of `refresh-throughput`'s contenders, one at a time:
 * `NODE_ENV=production tsx bench/tools/profile-refresh.ts [cacheback|raw] [concurrency] [rounds]`.
 * Warms up, then profiles `rounds` rounds of 5,000 refreshes with the
 * inspector and prints self time per refresh grouped by where it is spent,
 * and the heaviest functions. Writes the profile to `/tmp/refresh-<contender>.cpuprofile`.
 */
import { writeFileSync } from 'node:fs'
import net from 'node:net'
import { Session } from 'node:inspector/promises'
import { makeProfile } from '../support/payload.js'
import { openBenchRedis } from '../support/redis.js'
import { cachebackContender, rawBeeQueue } from '../scenarios/refresh-throughput.js'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount: number
  children?: number[]
}

/** Where a function's self time goes. */
function groupOf(url: string, name: string): string {
  if (name === '(garbage collector)') return 'GC'
  if (name === '(idle)') return 'idle'
  if (name === '(program)') return 'program'
  if (url.includes('/bee-queue/')) return 'bee-queue'
  if (url.includes('/redis/') && url.includes('node_modules')) return 'node-redis'
  if (url.includes('ioredis') || url.includes('redis-parser') || url.includes('standard-as-callback')) return 'ioredis'
  if (url.includes('msgpackr')) return 'msgpackr'
  if (url.includes('/src/')) return 'cacheback src'
  if (url.includes('/bench/')) return 'bench'
  if (url.startsWith('node:') || url === '') return name.includes('writev') || name.includes('writeBuffer') || name.includes('writeUtf8') ? 'socket writes' : 'node'
  return 'other'
}

/** Socket writes (syscalls) per client kind, counted by wrapping `net.Socket#_writeGeneric`. */
const writes = new Map<string, number>()
function countWrites(): void {
  const proto = net.Socket.prototype as unknown as { _writeGeneric(...args: unknown[]): unknown }
  const original = proto._writeGeneric
  proto._writeGeneric = function (this: net.Socket, ...args: unknown[]) {
    const who = `port ${this.localPort}`
    writes.set(who, (writes.get(who) ?? 0) + 1)
    return original.apply(this, args)
  }
}

async function main(): Promise<void> {
  if (process.env.COUNT_WRITES) countWrites()
  const which = process.argv[2] ?? 'cacheback'
  const concurrency = Number(process.argv[3] ?? 16)
  const rounds = Number(process.argv[4] ?? 3)
  const redis = await openBenchRedis()
  const context = { redisUrl: redis.url, rounds, prefix: 'prof:', log: () => undefined }
  const values = Array.from({ length: 5000 }, (_, id) => makeProfile(id))
  const contender = which === 'raw' ? await rawBeeQueue(context, 5000, concurrency) : await cachebackContender(context, values, concurrency)
  await contender.round(1000)
  await contender.round(5000)
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: Number(process.env.INTERVAL ?? 1000) })
  await session.post('Profiler.start')
  let jobs = 0
  for (let i = 0; i < rounds; i++) {
    const cpu = process.cpuUsage()
    const r = await contender.round(5000)
    const used = process.cpuUsage(cpu)
    console.log(`  user ${Math.round(used.user / 5000)} µs/job, system ${Math.round(used.system / 5000)} µs/job`)
    jobs += 5000
    console.log(`${which}: ${Math.round(r.jobsPerSec)} jobs/s, ${Math.round(r.cpuPerJob)} µs CPU/job, Redis ${Math.round(r.redisCpuPerJob)} µs/job, ${r.commandsPerJob.toFixed(1)} commands/job`)
  }
  const { profile } = (await session.post('Profiler.stop')) as { profile: { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] } }
  writeFileSync(`/tmp/refresh-${which}.cpuprofile`, JSON.stringify(profile))
  await contender.close()
  await redis.stop()
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<number, number>()
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
  const groups = new Map<string, number>()
  const fns = new Map<string, number>()
  for (const [id, us] of self) {
    const { callFrame } = nodes.get(id)!
    const group = groupOf(callFrame.url, callFrame.functionName)
    groups.set(group, (groups.get(group) ?? 0) + us)
    const fn = `${callFrame.functionName || '(anon)'} ${callFrame.url.replace(/.*node_modules\//, '').replace(/.*wt-rt\//, '')}:${callFrame.lineNumber + 1}`
    fns.set(fn, (fns.get(fn) ?? 0) + us)
  }
  const per = (us: number) => (us / jobs).toFixed(1)
  const g = globalThis as { __takes?: number; __taken?: number }
  if (g.__takes) console.log(`takes: ${g.__takes}, jobs per take ${(g.__taken! / g.__takes).toFixed(1)}`, (g as any).__hist)
  if (writes.size > 0) console.log('socket writes per refresh:', Object.fromEntries([...writes].map(([k, n]) => [k, (n / (jobs + 6000)).toFixed(2)])))
  console.log('µs per refresh by group:')
  for (const [g, us] of [...groups].sort((a, b) => b[1] - a[1])) console.log(`  ${g.padEnd(16)} ${per(us)}`)
  console.log('heaviest functions (self µs per refresh):')
  for (const [f, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 40))) console.log(`  ${per(us).padStart(6)}  ${f}`)
}

await main()
