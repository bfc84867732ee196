/**
 * Timers a pure core keeps as data (`{ key, dueAt }`, dueAt in ms on the actor clock) and what a
 * firing means for them. The cores of assignment, election and partition-detector share it.
 * - `stale`: no such timer is armed (cancelled or re-armed since): ignore it, count it.
 * - `early`: it fired before its due time (a host clock that rounds or drifts). Dropping it would
 *   lose the timer for good, so the caller arms it again for `remainingMs` (same key: it replaces
 *   the host's timer, so a firing that raced a re-arm is harmless too).
 * - `due`: it is due; `timers` is the list without it.
 */
export interface ArmedTimer<K extends string> {
  key: K
  dueAt: number
}

export type TimerFiring<K extends string> =
  | { kind: 'stale' }
  | { kind: 'early'; remainingMs: number }
  | { kind: 'due'; timers: ArmedTimer<K>[] }

export function timerFiring<K extends string>(timers: readonly ArmedTimer<K>[], key: K, now: number): TimerFiring<K> {
  const armed = timers.find((t) => t.key === key)
  if (armed === undefined) return { kind: 'stale' }
  if (armed.dueAt > now) return { kind: 'early', remainingMs: armed.dueAt - now }
  return { kind: 'due', timers: timers.filter((t) => t.key !== key) }
}
