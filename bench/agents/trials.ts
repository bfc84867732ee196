/**
 * Summaries of bench:agents' repeated trials. A trial that did not reach its condition within the
 * phase cap is null: it is kept in the per-trial arrays and ranks above every time in the median,
 * so a median is null only when the middle trials themselves did not finish.
 */

/** Median of trial times (s); null ranks above every number; the mean of the two middle ones for an even count. */
export function median(xs: ReadonlyArray<number | null>): number | null {
  if (xs.length === 0) return null
  const sorted = [...xs].sort((a, b) => (a === null ? (b === null ? 0 : 1) : b === null ? -1 : a - b))
  const mid = Math.floor(sorted.length / 2)
  if (sorted.length % 2 === 1) return sorted[mid]!
  const lo = sorted[mid - 1]!
  const hi = sorted[mid]!
  return lo === null || hi === null ? null : (lo + hi) / 2
}
