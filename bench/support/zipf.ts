/**
 * Zipf-distributed key ids for steady-load scenarios: id `r − 1` has weight
 * `1 / r^s` (rank 1, id 0, is the hottest). Drawn from a seeded PRNG, so a
 * run reads the same sequence of keys every time.
 */

/** Small deterministic PRNG (mulberry32): uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Draws ids in [0, n) with P(id) ∝ 1 / (id + 1)^s. */
export class ZipfSampler {
  private readonly cumulative: Float64Array

  constructor(readonly n: number, readonly s: number, private readonly random: () => number = seededRandom(1)) {
    this.cumulative = new Float64Array(n)
    let sum = 0
    for (let rank = 1; rank <= n; rank++) this.cumulative[rank - 1] = sum += 1 / rank ** s
    for (let i = 0; i < n; i++) this.cumulative[i] /= sum
  }

  /** The share of all reads that goes to `id`. */
  share(id: number): number {
    return this.cumulative[id] - (id === 0 ? 0 : this.cumulative[id - 1])
  }

  /** One id. */
  next(): number {
    const u = this.random()
    let lo = 0
    let hi = this.n - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.cumulative[mid] > u) hi = mid
      else lo = mid + 1
    }
    return lo
  }
}
