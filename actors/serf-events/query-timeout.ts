/**
 * Serf's default query timeout (spec §5.9, DefaultQueryTimeout):
 * GossipInterval × QueryTimeoutMult × ceil(log10(N + 1)), N = memberlist NumMembers (members not
 * dead or left, ourselves included). LAN (200 ms × 16): 3.2 s for N ≤ 9, 6.4 s for 10–99.
 *
 * ceil(log10(m)) is computed on integers: the smallest k with 10^k ≥ m. Go's float Log10 returns
 * slightly less than k at m = 10^k (log2(x)·(Ln2/Ln10), e.g. 0.9999999999999998 for 10), so its
 * ceil is k there too, and the two agree for every m.
 */
export function ceilLog10(m: number): number {
  let k = 0
  for (let p = 1; p < m; p *= 10) k++
  return k
}

/** The default timeout in ms for a cluster of `numMembers` (at least 1: ourselves). */
export function defaultQueryTimeoutMs(gossipIntervalMs: number, queryTimeoutMult: number, numMembers: number): number {
  return gossipIntervalMs * queryTimeoutMult * ceilLog10(Math.max(1, numMembers) + 1)
}
