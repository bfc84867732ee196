/**
 * A machine's timer handles by key, on the actor clock: the I/O side of a pure core's `set-timer`
 * / `cancel-timer` effects (the core keeps what is armed and when it is due; armed-timers.ts). Arming
 * a key that is armed re-arms it; a firing forgets its handle before its callback runs, so the
 * callback may arm the same key again. `clear()` at shutdown or before a restore re-arms everything.
 */
import type { ActorClock } from './time.ts'

export interface HostTimers<K> {
  /** Arms `key` to run `fire` after `ms` (ms on the actor clock), replacing an armed one. */
  set(key: K, ms: number, fire: () => void): void
  cancel(key: K): void
  /** Cancels every armed timer. */
  clear(): void
  /** How many are armed. */
  readonly size: number
}

export function createHostTimers<K>(clock: ActorClock): HostTimers<K> {
  const handles = new Map<K, unknown>()
  const cancel = (key: K): void => {
    const old = handles.get(key)
    if (old === undefined) return
    clock.clearTimeout(old)
    handles.delete(key)
  }
  return {
    set(key, ms, fire) {
      cancel(key)
      handles.set(
        key,
        clock.setTimeout(() => {
          handles.delete(key)
          fire()
        }, ms),
      )
    },
    cancel,
    clear() {
      for (const h of handles.values()) clock.clearTimeout(h)
      handles.clear()
    },
    get size() {
      return handles.size
    },
  }
}
