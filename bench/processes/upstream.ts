/**
 * The slow upstream of `stale-storm` in a process of its own
 * (`support/slow-upstream.ts`), so that its delay is its own and not also
 * the wait for the benchmark process's event loop, which runs the 100
 * clients. Requests over the IPC channel: `fast` (answer at once, for
 * filling), `slow` (after `UPSTREAM_LATENCY_MS`), `reset` (forget the calls
 * counted so far), `calls` (`{ total, perId: [id, n][] }`).
 *
 * Environment: `UPSTREAM_LATENCY_MS`.
 */
import { announceReady, env } from './child.js'
import { detailsOf } from './schemas.js'
import { startSlowUpstream } from '../support/slow-upstream.js'

const latencyMs = Number(env('UPSTREAM_LATENCY_MS'))
const upstream = await startSlowUpstream(detailsOf, latencyMs)

announceReady(Number(new URL(upstream.url).port), {
  fast: () => void (upstream.latencyMs = 0),
  slow: () => void (upstream.latencyMs = latencyMs),
  reset: () => upstream.resetCalls(),
  calls: () => ({ total: upstream.totalCalls(), perId: [...upstream.calls] }),
})
