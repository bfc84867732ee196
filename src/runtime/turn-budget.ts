/**
 * TurnBudget: how much credit the links of one thread may hand back per event-loop turn.
 *
 * Credit is what lets a peer post more. Returned synchronously while messages are handled, it lets
 * a full-rate producer in another thread keep this thread's port queue full, and Node then keeps
 * dispatching port messages (up to 1,000 postMessages, each a batch of up to 256, per callback)
 * while fs completions, timers and setImmediate callbacks of this thread wait. So the credit given
 * back within one turn is bounded: past the limit it is withheld until a setImmediate (the check
 * phase, after this turn's I/O callbacks), the producer stops once its window is in flight, the
 * port queue runs dry, and the event loop moves on. Per turn a thread handles at most about the
 * limit plus one window of its peers' messages.
 *
 * Counted in items (messages), not time, so the bound is the same on a loaded machine.
 */

/** Anything that can post its withheld credit (a Link). */
export interface CreditHolder {
  flush(): void
}

/**
 * Items one thread credits back per turn: two default windows (mailbox capacity 2048), which keeps
 * the peers' pipelines full between turns (measured in `npm run bench:runtime`).
 */
export const TURN_CREDIT_ITEMS = 4096

export class TurnBudget {
  /** Credit given back since the last check phase (items). */
  #used = 0
  #tickQueued = false
  /** Links holding credit back until the next turn. */
  readonly #waiting = new Set<CreditHolder>()
  /** Turns in which some credit was held back (a diagnostic: the bound did its work). */
  deferredTurns = 0
  readonly #tick = (): void => {
    this.#tickQueued = false
    this.#used = 0
    if (this.#waiting.size === 0) return
    const waiting = [...this.#waiting]
    this.#waiting.clear()
    for (const holder of waiting) holder.flush()
  }

  constructor(readonly limit: number = TURN_CREDIT_ITEMS) {}

  /**
   * Asks to give back `n` items of credit now. True: go ahead (counted). False: the turn's budget
   * is spent; `holder.flush()` runs again at the next check phase. The first credit of a turn
   * always goes, however large, so every link makes progress.
   */
  take(n: number, holder: CreditHolder): boolean {
    if (this.#used > 0 && this.#used + n > this.limit) {
      if (!this.#waiting.has(holder)) {
        if (this.#waiting.size === 0) this.deferredTurns++
        this.#waiting.add(holder)
      }
      this.#queueTick()
      return false
    }
    this.#used += n
    this.#queueTick()
    return true
  }

  #queueTick(): void {
    if (this.#tickQueued) return
    this.#tickQueued = true
    setImmediate(this.#tick)
  }
}

/** The budget shared by every link of this thread (module state is per thread). */
export const threadTurnBudget = new TurnBudget()
