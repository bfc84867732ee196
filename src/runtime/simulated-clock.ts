/**
 * SimulatedClock: virtual time for inline actors and simulations, plus the driver that advances
 * it deadline by deadline. XState's own SimulatedClock fires only the timers already due when
 * `increment` is called, so a timer started by a timer is skipped by one big increment; here
 * `advance(ms)` moves to each next deadline in turn, fires what is due, lets the actors react
 * (mailboxes drain in microtasks), and repeats until the target time: chained timers fire at
 * their exact virtual times.
 */
import type { ActorClock } from '../types/time.ts'

interface Timer {
  id: number
  at: number
  fn: (...args: unknown[]) => void
}

export class SimulatedClock implements ActorClock {
  #now: number
  #seq = 0
  /** Pending timers sorted by (at, id): ties fire in the order they were set. */
  #timers: Timer[] = []
  #fired = 0

  constructor(startMs = 0) {
    this.#now = startMs
  }

  now(): number {
    return this.#now
  }

  setTimeout(fn: (...args: unknown[]) => void, timeoutMs: number): number {
    const timer: Timer = { id: ++this.#seq, at: this.#now + Math.max(0, timeoutMs || 0), fn }
    // Binary search for the first timer due strictly later; insert before it.
    let lo = 0
    let hi = this.#timers.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.#timers[mid]!.at <= timer.at) lo = mid + 1
      else hi = mid
    }
    this.#timers.splice(lo, 0, timer)
    return timer.id
  }

  clearTimeout(id: unknown): void {
    const i = this.#timers.findIndex((t) => t.id === id)
    if (i >= 0) this.#timers.splice(i, 1)
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.#timers.length
  }

  /** Timers fired since creation. */
  get fired(): number {
    return this.#fired
  }

  /** The next deadline, or undefined when no timer is pending. */
  nextDeadline(): number | undefined {
    return this.#timers[0]?.at
  }

  /**
   * Advances virtual time by `ms`, firing every timer due on the way (including timers started by
   * timers) at its own deadline, and letting inline actors handle what those timers sent before
   * moving on. Resolves at `now() === start + ms`.
   */
  async advance(ms: number): Promise<void> {
    const target = this.#now + Math.max(0, ms)
    await settle()
    for (;;) {
      const next = this.#timers[0]
      if (next === undefined || next.at > target) break
      this.#now = next.at
      this.#fireDue()
      await settle()
    }
    this.#now = target
    await settle()
  }

  /** Advances to the next deadline and fires it; resolves false when no timer is pending. */
  async next(): Promise<boolean> {
    const next = this.#timers[0]
    if (next === undefined) return false
    await this.advance(next.at - this.#now)
    return true
  }

  /**
   * The synchronous driver for bare XState actors (`createActor(machine, { clock })`), whose
   * transitions run synchronously inside the timer callback: steps deadline by deadline.
   */
  advanceSync(ms: number): void {
    const target = this.#now + Math.max(0, ms)
    for (;;) {
      const next = this.#timers[0]
      if (next === undefined || next.at > target) break
      this.#now = next.at
      this.#fireDue()
    }
    this.#now = target
  }

  #fireDue(): void {
    // Fire everything due now, one at a time: a callback may set or clear other timers.
    while (this.#timers.length > 0 && this.#timers[0]!.at <= this.#now) {
      const t = this.#timers.shift()!
      this.#fired++
      t.fn()
    }
  }
}

/** Lets pending microtasks (inline mailbox drains) and already-queued macrotasks run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
