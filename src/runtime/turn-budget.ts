/**
 * TurnBudget: how many link items one thread handles per event-loop turn.
 *
 * A MessagePort delivers everything queued on it in one callback (Node takes at least 1,000
 * postMessages, each a batch of up to 256 items, per callback, and whatever arrives meanwhile),
 * so a full-rate producer in another thread that always has credit would keep this thread inside
 * that callback while its fs completions, timers and setImmediate callbacks wait. So the items
 * handled within one turn are counted across the thread's links, and a link that takes the
 * count past the limit pauses its port (removes its 'message' listener: Node stops the delivery
 * and keeps the rest queued, in order). The event loop moves on; at the check phase (a
 * setImmediate, after this turn's I/O callbacks) the count starts over and the paused links
 * listen again. Per turn a thread handles at most the limit plus, per link, the port message that
 * crossed it (one batch of at most 256 items).
 *
 * Pausing the port, not withholding credit: the producer keeps its window full while the
 * receiver's I/O runs, so the receiver finds work queued when it resumes instead of waiting for
 * the producer to hear of its credit and post again. Withheld credit emptied the pipeline once
 * per turn (every ~6,000 items of a burst): the suspect in actorBurstVsInlineMachine's fall from
 * a median 0.89 to 0.76 when the budget came in.
 *
 * Counted in items (messages), not time, so the bound is the same on a loaded machine.
 *
 * Arming the check-phase reset costs a setImmediate. Armed on every turn that handled an item,
 * it cost a round trip between two threads an immediate on each side (a round trip is one turn
 * of one item per thread). So the reset is armed only once the count reaches a quarter of the
 * limit; until then, items of earlier turns still count. The count is never below what this turn
 * handled, so the bound holds; a turn that follows many small ones may pause a little sooner
 * (after the limit less a quarter at worst).
 */

/** A link that can stop and resume taking its port's messages. */
export interface Pausable {
  /** Called at the check phase after the link paused: listen to the port again. */
  resume(): void
}

/**
 * Items one thread handles per turn: two default windows (mailbox capacity 2048). Its effect on
 * throughput shows in `npm run bench:runtime` (actorBurstVsInlineMachine), its bound in
 * test/runtime/link-fairness.test.ts.
 */
export const TURN_CREDIT_ITEMS = 4096

export class TurnBudget {
  /** Items handled since the last check-phase reset. */
  #used = 0
  #tickQueued = false
  /** `#used` at which the reset at the next check phase is armed (a quarter of the limit). */
  readonly #armAt: number
  /** Links paused until the next turn. */
  readonly #paused = new Set<Pausable>()
  /** Turns in which some link paused (a diagnostic: the bound did its work). */
  deferredTurns = 0
  /** Check-phase resets run (a diagnostic: what the budget costs in setImmediates). */
  resets = 0
  readonly #tick = (): void => {
    this.#tickQueued = false
    this.#used = 0
    this.resets++
    if (this.#paused.size === 0) return
    const paused = [...this.#paused]
    this.#paused.clear()
    for (const link of paused) link.resume()
  }

  constructor(readonly limit: number = TURN_CREDIT_ITEMS) {
    this.#armAt = Math.max(1, Math.floor(limit / 4))
  }

  /**
   * Counts `n` items just handled by `link`. True: it may take more now. False: the turn's budget
   * is spent; the link pauses, and `link.resume()` runs at the next check phase.
   */
  take(n: number, link: Pausable): boolean {
    this.#used += n
    if (this.#used >= this.#armAt) this.#queueTick()
    if (this.#used <= this.limit) return true
    if (this.#paused.size === 0) this.deferredTurns++
    this.#paused.add(link)
    return false
  }

  #queueTick(): void {
    if (this.#tickQueued) return
    this.#tickQueued = true
    setImmediate(this.#tick)
  }
}

/** The budget shared by every link of this thread (module state is per thread). */
export const threadTurnBudget = new TurnBudget()
