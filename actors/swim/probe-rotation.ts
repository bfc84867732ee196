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
 * members' tick offsets (aligned ticks, below): within 1.1 intervals, whatever n is. Every member
 * still probes every other once per n - 1 intervals, as with the round-robin. Peers see ordinary
 * pings: a mixed cluster with serf agents (which shuffle) works, the rotation only covers what our
 * members do.
 *
 * Aligned ticks: after its first tick (at a random phase, as memberlist staggers its tickers),
 * each member ticks at the start of every step plus a small offset of its own (tickOffsetMs), not
 * every interval from a random phase. With random phases the member whose turn comes next may
 * tick late in its step after the last prober ticked early in its own: up to two intervals
 * without a probe of a crashed member (over nine bench:agents runs, a quarter of the crash trials
 * took 6.0-7.4 s, the rest 4.6-5.9 s). Aligned, a member's probes come an interval apart, give or
 * take the offsets: within 1.1 intervals of any instant. The offsets (a hash of the name, within
 * ALIGN_SPREAD of the interval) keep a host's members from waking at one instant. The first tick
 * stays random: in a join burst the fresh members' pings, which carry the news of the joins, would
 * otherwise all go at one moment (the simulator's join burst of 20: 0.121 s to converge at the
 * median, against 0.058 s with the first tick random).
 * ProbeList.rotation picks the target; this file has the step, the tick's timing and the sorted
 * list's upkeep. Pure: no clock of its own, no Math.random.
 */

/** The share of the probe interval over which members' ticks spread (by name) after each step's start. */
export const ALIGN_SPREAD = 0.1

/**
 * A member's tick offset within each step (ms): FNV-1a of its name, mixed by murmur3's finalizer
 * (FNV's top bits barely move with a name's last character, and names like node-1, node-2 differ
 * only there), scaled into [0, ALIGN_SPREAD × interval).
 */
export function tickOffsetMs(name: string, intervalMs: number): number {
  let h = 0x811c9dc5
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return Math.floor(((h >>> 0) / 0x1_0000_0000) * ALIGN_SPREAD * intervalMs)
}

/** The probe step at `nowMs` (actor clock, ms) for a probe interval of `intervalMs`, for ticks `offsetMs` into their step. */
export function probeStep(nowMs: number, intervalMs: number, offsetMs = 0): number {
  return Math.floor((nowMs - offsetMs) / intervalMs)
}

/** The wait (ms) from `nowMs` until the tick of the step after `step`, `offsetMs` into it (0 if that has passed). */
export function delayToNextStepMs(nowMs: number, step: number, intervalMs: number, offsetMs: number): number {
  return Math.max(0, (step + 1) * intervalMs + offsetMs - nowMs)
}

/**
 * The wait (ms) until a member's next aligned tick, when its last tick took step `lastStep`: the
 * step after max(the clock's step, lastStep + 1), `offsetMs` into it, and never more than two
 * intervals (the most a member one step ahead of the clock waits, after two ticks in one step).
 * The bound is for a wall clock set back: the clock's step then lies far behind the steps already
 * taken, and the tick would wait until the clock caught up (set back an hour: no probe for an
 * hour). Bounded, the member keeps ticking every two intervals at worst, taking lastStep + 1 each
 * time, until the clock's steps pass its own again.
 */
export function nextAlignedTickDelayMs(nowMs: number, lastStep: number, intervalMs: number, offsetMs: number): number {
  const step = Math.max(probeStep(nowMs, intervalMs, offsetMs), lastStep + 1)
  return Math.min(delayToNextStepMs(nowMs, step, intervalMs, offsetMs), 2 * intervalMs)
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
