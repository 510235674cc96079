/**
 * The slow upstream of `stale-storm`: a JSON service (node:http, loopback)
 * answering `GET /items/:id` with the item's value after `latencyMs`, and
 * counting the calls per id. It runs in a process of its own
 * (`processes/upstream.ts`); the servers and the worker call it over
 * keep-alive connections.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A running upstream. */
export interface SlowUpstream {
  readonly url: string
  /** Delay of every answer, ms; can be changed at any time. */
  latencyMs: number
  /** Calls served since the last `resetCalls()`, per id. */
  readonly calls: Map<number, number>
  /** Calls served since the last `resetCalls()`, all ids. */
  totalCalls(): number
  resetCalls(): void
  close(): Promise<void>
}

/** Starts the upstream on a free loopback port; `valueOf(id)` is what it answers for an id. */
export async function startSlowUpstream(valueOf: (id: number) => unknown, latencyMs: number): Promise<SlowUpstream> {
  const calls = new Map<number, number>()
  let total = 0
  const server = createServer((req, res) => {
    const match = /^\/items\/(\d+)$/.exec(req.url ?? '')
    if (!match) {
      res.writeHead(404).end()
      return
    }
    const id = Number(match[1])
    calls.set(id, (calls.get(id) ?? 0) + 1)
    total++
    const body = JSON.stringify(valueOf(id))
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body), upstream.latencyMs)
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const upstream: SlowUpstream = {
    url: `http://127.0.0.1:${port}`,
    latencyMs,
    calls,
    totalCalls: () => total,
    resetCalls() {
      calls.clear()
      total = 0
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  return upstream
}
