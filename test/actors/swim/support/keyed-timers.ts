/**
 * SwimPorts' setTimer/cancelTimer for tests that wire a SwimNode by hand, on a SimulatedClock or on the
 * real timers: one timer per key, and arming a key again replaces its timer (as the actor does).
 */
import type { SwimPorts } from '../../../../actors/swim/ports.ts'

/** What the timers run on: a SimulatedClock, or REAL_TIMERS. */
export interface TimerClock {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(id: unknown): void
}

export const REAL_TIMERS: TimerClock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout> | undefined),
}

export interface KeyedTimers extends Pick<SwimPorts, 'setTimer' | 'cancelTimer'> {
  /** Runs `fn` after `ms`, replacing the timer `key` had (for timers of other layers, e.g. Serf's prune). */
  later(key: string, ms: number, fn: () => void): void
  /** Cancels every pending timer (at a test's end, so nothing fires after it). */
  clear(): void
}

/** Keyed timers on `clock`; swim's timers call `fire(key)` (the node's onTimer). */
export function keyedTimers(clock: TimerClock, fire: (key: string) => void): KeyedTimers {
  const timers = new Map<string, unknown>()
  const later = (key: string, ms: number, fn: () => void): void => {
    clock.clearTimeout(timers.get(key))
    timers.set(
      key,
      clock.setTimeout(() => {
        timers.delete(key)
        fn()
      }, ms),
    )
  }
  return {
    later,
    setTimer: (key, ms) => later(key, ms, () => fire(key)),
    cancelTimer: (key) => {
      clock.clearTimeout(timers.get(key))
      timers.delete(key)
    },
    clear: () => {
      for (const t of timers.values()) clock.clearTimeout(t)
      timers.clear()
    },
  }
}
