/**
 * The staggered probe order (SwimConfig `probeOrder: 'staggered'`): at probe step s (the actor
 * clock's time divided by the probe interval, so every member of a cluster counts the same steps
 * within its clock's skew), the member at position i of the sorted list of live members (self
 * included) probes the one at position i + 1 + (s mod (n - 1)). Each step is then a rotation: every
 * member is probed by exactly one other, once per interval, when views and clocks agree.
 *
 * Why: memberlist's order (probe-list.ts) is a round-robin over a list each member shuffles on its
 * own, so the time until anyone probes a member that just crashed is the least of n - 1 independent
 * waits of 0 to n - 1 intervals: about 0.8 s on average at n = 5 on LAN timings, but up to 4 s (the
 * simulator, bench/cluster/crash-detect.ts: first failed probe 1.67 s median, 4.9 s max). With
 * the rotation the member is probed again within the next interval plus the difference of two
 * members' tick phases: under two intervals, whatever n is. Every member still probes every other
 * once per n - 1 intervals, as with the round-robin. Peers see ordinary pings: a mixed cluster with
 * serf agents (which shuffle) works, the rotation only covers what our members do.
 * ProbeList.rotation picks the target; this file has the step and the sorted list's upkeep.
 * Pure: no clock of its own, no Math.random.
 */

/** The probe step at `nowMs` (actor clock, ms) for a probe interval of `intervalMs`. */
export function probeStep(nowMs: number, intervalMs: number): number {
  return Math.floor(nowMs / intervalMs)
}

/** The first index whose name is not below `name` (ascending order, code unit comparison). */
export function lowerBound(sorted: readonly string[], name: string): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid]! < name) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Inserts `name` into `sorted` in order (no-op if present). */
export function insertSorted(sorted: string[], name: string): void {
  const at = lowerBound(sorted, name)
  if (sorted[at] !== name) sorted.splice(at, 0, name)
}

/** Removes `name` from `sorted` (no-op if absent). */
export function removeSorted(sorted: string[], name: string): void {
  const at = lowerBound(sorted, name)
  if (sorted[at] === name) sorted.splice(at, 1)
}
