/**
 * Time as the runtime hands it to actors. Durations are plain numbers in milliseconds, named with
 * an `Ms` suffix; these helpers make literals readable (`seconds(5)` instead of `5000`).
 */

/** Milliseconds since an arbitrary epoch (real clocks: Unix epoch; simulated clocks: 0). */
export type EpochMs = number

export const seconds = (n: number): number => n * 1000
export const minutes = (n: number): number => n * 60_000
export const hours = (n: number): number => n * 3_600_000

/**
 * The clock an actor reads time from and schedules timers on. It is a superset of XState's
 * `Clock`, so the runtime passes it to `createActor(machine, { clock })` and `after` delays run
 * on it too. Machines read `now()` from here, never from `Date.now()`.
 */
export interface ActorClock {
  now(): EpochMs
  setTimeout(fn: (...args: unknown[]) => void, timeoutMs: number): unknown
  clearTimeout(id: unknown): void
}
