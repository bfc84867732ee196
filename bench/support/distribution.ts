/** Distributions of simulated times (ms in, s out) for the simulator sweeps' tables. */

/** The q-quantile (nearest rank) of sorted values (ms), in seconds; null for none. */
export function quantileS(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null
  const v = sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
  return Math.round(v) / 1000
}

export interface Distribution {
  median: number | null
  p90: number | null
  max: number | null
  mean: number | null
}

/** Median, p90, max and mean of `values` (ms), in seconds. */
export function distribution(values: readonly number[]): Distribution {
  const s = [...values].sort((a, b) => a - b)
  const mean = s.length === 0 ? null : Math.round(s.reduce((a, b) => a + b, 0) / s.length) / 1000
  return { median: quantileS(s, 0.5), p90: quantileS(s, 0.9), max: quantileS(s, 1), mean }
}
