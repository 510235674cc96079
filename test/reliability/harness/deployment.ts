/**
 * The example deployed for fault scenarios: the upstream runs in the
 * scenario's own process, the example server calls it directly (its misses
 * are not faulted), and each worker process calls it through its own
 * {@link FaultyUpstream}, so a scenario can hold or fail one worker's
 * fetches, see which worker fetched, and tell their values apart.
 */
import type { ExampleProcess } from '../../example/example-process.js'
import { type Upstream, startUpstream } from '../../../example-server/upstream.js'
import { type ExampleServer, type ExampleSettings, startExampleServer, startExampleWorker } from './example.js'
import { type FaultMode, type FaultyUpstream, startFaultyUpstream } from './fault-upstream.js'

/** One worker process and the proxy it fetches through. */
export interface ProxiedWorker {
  label: string
  proxy: FaultyUpstream
  process: ExampleProcess
}

export interface Deployment {
  settings: ExampleSettings
  upstream: Upstream
  server: ExampleServer
  workers: ProxiedWorker[]
  /** The worker of a proxy. */
  workerOf(proxy: FaultyUpstream): ProxiedWorker
  /** Starts a new process in place of the worker labelled `label` (after it died), on the same proxy. */
  replaceWorker(label: string): Promise<ProxiedWorker>
  /** Every worker process started, replaced ones included. */
  workerProcesses(): ExampleProcess[]
  /** The last lines of every process (stale-read lines left out), for a failure message. */
  logTails(): string
  /** Stops every process (SIGTERM, SIGKILL after 10 s), the proxies and the upstream. */
  stop(): Promise<void>
}

/** Starts the upstream, the server and one worker per label (proxies in `mode`). */
export async function startDeployment(settings: ExampleSettings, labels: string[], mode: FaultMode = 'pass'): Promise<Deployment> {
  const upstream = await startUpstream({ latencyMs: settings.upstreamLatencyMs })
  const proxies = await Promise.all(labels.map((label) => startFaultyUpstream(upstream.url, label, mode)))
  const workers: ProxiedWorker[] = []
  const replaced: ExampleProcess[] = []
  let server: ExampleServer | undefined
  const stop = async () => {
    for (const proxy of proxies) proxy.setMode('pass') // a worker stops once its running refreshes end
    await Promise.all([server?.process.stop(), ...workers.map((w) => w.process.stop())])
    await Promise.all(proxies.map((p) => p.close()))
    await upstream.close()
  }
  try {
    server = await startExampleServer(settings, upstream.url)
    const results = await Promise.allSettled(proxies.map((proxy) => startExampleWorker(settings, proxy.url)))
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') workers.push({ label: proxies[i].label, proxy: proxies[i], process: result.value })
    })
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected')
    if (failed) throw failed.reason
  } catch (error) {
    await stop()
    throw error
  }
  return {
    settings,
    upstream,
    server,
    workers,
    workerOf: (proxy) => workers.find((w) => w.proxy === proxy)!,
    async replaceWorker(label) {
      const index = workers.findIndex((w) => w.label === label)
      await workers[index].process.stop()
      replaced.push(workers[index].process)
      workers[index] = { ...workers[index], process: await startExampleWorker(settings, workers[index].proxy.url) }
      return workers[index]
    },
    workerProcesses: () => [...replaced, ...workers.map((w) => w.process)],
    logTails() {
      const tail = (name: string, lines: string[]) => `--- ${name}\n${lines.filter((l) => !/served stale/.test(l)).slice(-15).join('\n')}`
      const processes = [...replaced, ...workers.map((w) => w.process)]
      return [tail('server', server!.process.lines), ...processes.map((p, i) => tail(`worker process ${i + 1}`, p.lines))].join('\n')
    },
    stop,
  }
}
