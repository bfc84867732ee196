/**
 * HostRestarts: when a hosted machine that crashed starts again. Each crash asks the restart
 * budget (supervisor.ts) for a delay; the restart then waits that backoff on the actor's clock, or,
 * once a stop is coming (`expedite`), happens after the current turn instead, so the stop can
 * drain and run the exit work without waiting one out. The budget applies either way: past it the
 * host escalates. Holds the one backoff timer a host has; nothing runs after a restart began.
 */
import type { ActorClock } from '../types/time.ts'
import type { SupervisionOptions } from './options.ts'
import { RestartTracker } from './supervisor.ts'

export class HostRestarts {
  readonly #tracker: RestartTracker
  readonly #clock: ActorClock
  readonly #restart: () => void
  /** The backoff timer of the restart waiting now, if any. */
  #timer: unknown
  /** A stop is coming: restart at once instead of after the backoff. */
  #expedited = false
  readonly #run = (): void => {
    this.#timer = undefined
    this.#restart()
  }

  /** `restart` starts the machine again; `restarts` counts those of earlier incarnations (a thread restart). */
  constructor(supervision: SupervisionOptions, clock: ActorClock, restarts: number, restart: () => void) {
    this.#tracker = new RestartTracker(supervision)
    this.#tracker.total = restarts
    this.#clock = clock
    this.#restart = restart
  }

  /** Restarts over the actor's lifetime. */
  get total(): number {
    return this.#tracker.total
  }

  /**
   * A crash now: schedules the restart and returns true, or returns false past the restart budget
   * (the host escalates). Called from inside the crashed machine's send: never restarts synchronously.
   */
  crashed(): boolean {
    const delay = this.#tracker.onCrash(this.#clock.now())
    if (delay === undefined) return false
    // Expedited: after the current turn, not on the clock (a simulated clock might never get there).
    if (this.#expedited) queueMicrotask(this.#run)
    else this.#timer = this.#clock.setTimeout(this.#run, delay)
    return true
  }

  /**
   * A stop is coming: a restart waiting for its backoff happens now, and later crashes restart
   * without a backoff. Call it from outside the machine.
   */
  expedite(): void {
    this.#expedited = true
    if (this.#timer === undefined) return
    this.#clock.clearTimeout(this.#timer)
    this.#run()
  }
}
