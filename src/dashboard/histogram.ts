/**
 * Latency histograms that merge across processes: sparse counts in
 * logarithmic buckets (each 20 % wider than the last), so a process
 * publishes a few dozen numbers whatever it measured, and the deployment's
 * p50 / p99 come from summed buckets, within about ±10 %.
 */

/** Bucket index -> count. */
export type Buckets = Record<string, number>

const GROWTH = 1.2
const LOG_GROWTH = Math.log(GROWTH)
/** Highest bucket: 1.2^140 ms is about 4 years; anything longer lands there. */
const TOP_BUCKET = 140

/** The bucket of a duration: 0 holds everything up to 1 ms. */
export function bucketOf(ms: number): number {
  if (!(ms > 1)) return 0
  return Math.min(TOP_BUCKET, Math.ceil(Math.log(ms) / LOG_GROWTH))
}

/** Counts one duration, ms. */
export function addDuration(buckets: Buckets, ms: number): void {
  const bucket = String(bucketOf(ms))
  buckets[bucket] = (buckets[bucket] ?? 0) + 1
}

/** Adds `from`'s counts into `into`. */
export function mergeBuckets(into: Buckets, from: Buckets): void {
  for (const [bucket, count] of Object.entries(from)) {
    if (Number.isInteger(Number(bucket)) && typeof count === 'number') into[bucket] = (into[bucket] ?? 0) + count
  }
}

/** How many durations the buckets hold. */
export function countOf(buckets: Buckets): number {
  return Object.values(buckets).reduce((sum, n) => sum + n, 0)
}

/** The `q` quantile (0..1), ms: the geometric middle of the bucket it falls in; undefined when empty. */
export function quantileMs(buckets: Buckets, q: number): number | undefined {
  const total = countOf(buckets)
  if (total === 0) return undefined
  const rank = Math.max(1, Math.ceil(q * total))
  let seen = 0
  for (const bucket of Object.keys(buckets).map(Number).sort((a, b) => a - b)) {
    seen += buckets[String(bucket)]
    if (seen >= rank) return bucket === 0 ? 1 : GROWTH ** (bucket - 0.5)
  }
  return undefined
}
