/**
 * RestartTracker: the one-for-one restart decision, pure (time comes in as a number). At most
 * `maxRestarts` restarts within a sliding `windowMs`; the n-th restart in the window waits
 * `backoffMs * backoffFactor^(n-1)` capped at `maxBackoffMs`; one more crash escalates.
 */
import type { SupervisionOptions } from './options.ts'

export class RestartTracker {
  #recent: number[] = []
  /** Restarts over the actor's lifetime. */
  total = 0

  constructor(readonly options: SupervisionOptions) {}

  /** Records a crash at `nowMs`; returns the delay before restarting, or undefined to escalate. */
  onCrash(nowMs: number): number | undefined {
    const { maxRestarts, windowMs, backoffMs, backoffFactor, maxBackoffMs } = this.options
    this.#recent = this.#recent.filter((t) => nowMs - t < windowMs)
    if (this.#recent.length >= maxRestarts) return undefined
    const delay = Math.min(maxBackoffMs, backoffMs * backoffFactor ** this.#recent.length)
    this.#recent.push(nowMs)
    this.total++
    return delay
  }
}
