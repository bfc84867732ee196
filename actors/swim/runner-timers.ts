/**
 * The swim runner's timers (swim-runner.ts): every timer key the core (or the runner's own join
 * retry and lease report) arms runs on the actor clock, and when due comes back to the actor as a
 * `swim.timer` message, so the machine sees (and an inspector can show) what drives it. One handle
 * per key: arming a key again replaces its timer. `clear()` ends them all (a stop or a restart).
 */
import type { ActorEnv } from '../../src/types/actor-env.ts'
import type { SwimInbound } from './protocol.ts'

export interface RunnerTimers {
  /** Arms (or re-arms) `key` to come back as `swim.timer` in `delayMs` (actor clock, ms). */
  arm(key: string, delayMs: number): void
  disarm(key: string): void
  /** Cancels every timer still armed. */
  clear(): void
}

/** `deliver`: how the due timer's message reaches the actor's own mailbox. */
export function createRunnerTimers(env: ActorEnv, deliver: (to: string, msg: SwimInbound) => void): RunnerTimers {
  const timers = new Map<string, unknown>()
  return {
    arm(key, delayMs) {
      const old = timers.get(key)
      if (old !== undefined) env.clock.clearTimeout(old)
      timers.set(
        key,
        env.clock.setTimeout(() => {
          timers.delete(key)
          deliver(env.id, { type: 'swim.timer', key })
        }, delayMs),
      )
    },
    disarm(key) {
      const t = timers.get(key)
      if (t === undefined) return
      env.clock.clearTimeout(t)
      timers.delete(key)
    },
    clear() {
      for (const t of timers.values()) env.clock.clearTimeout(t)
      timers.clear()
    },
  }
}
