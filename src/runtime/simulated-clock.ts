/**
 * SimulatedClock: the one virtual clock of Gossamer, for inline actors, the simulator (thousands of
 * nodes in one thread), the memory network and tests. It has the shape of the runtime's ActorClock
 * (now / setTimeout / clearTimeout), so it drives XState's `after` delays too.
 *
 * Semantics, the same for every driver below:
 * - timers fire in deadline order; ties fire in the order they were set (a sequence number), so the
 *   same inputs give the same trace;
 * - a timer set by a timer fires at its own deadline within the same advance (XState's own
 *   SimulatedClock fires only what is due when `increment` is called, so it skips chained timers);
 * - a negative or NaN delay counts as 0 ms; time never goes backwards (ERR_CLOCK_BACKWARDS);
 * - ids are numbers (plain data, so a context that keeps one can still be copied).
 *
 * Two kinds of drivers. Bare code (the simulator's protocol cores, a bare `createActor`, the memory
 * network) reacts inside the timer callback, so the synchronous drivers suffice: `advanceSync`,
 * `runUntil`, `runUntilTrue`. Inline actors of an ActorSystem react in microtasks (their mailbox
 * drains), so `advance` / `next` await one event-loop turn after each deadline before moving on.
 *
 * Timers live in a binary heap. Cancelled timers are dropped lazily when they reach the top, and
 * the heap is rebuilt from the live ones when the cancelled outnumber them: a simulated cluster
 * re-arms timers far in the future all the time (suspicion timers, up to 72 s at N = 1000), and
 * without this the heap held ten dead entries per live one (2 million at N = 1000 under 50% loss).
 */
import { ClusterError } from '../errors/cluster-error.ts'
import type { ActorClock } from '../types/time.ts'

/** A driver was asked to move time backwards (or by a negative or NaN amount). */
export class ClockBackwardsError extends ClusterError {
  static override name = 'ClockBackwardsError'
  constructor(nowMs: number, targetMs: number) {
    super('ERR_CLOCK_BACKWARDS', `the simulated clock cannot go from ${nowMs} ms to ${targetMs} ms`, { details: { nowMs, targetMs } })
  }
}

interface Timer {
  id: number
  at: number
  fn: (...args: unknown[]) => void
}

/** Rebuild the heap once this many cancelled entries are in it and they outnumber the live ones. */
const COMPACT_AFTER_DEAD = 1024

export class SimulatedClock implements ActorClock {
  #now: number
  #seq = 0
  #heap: Timer[] = []
  /** Live timers by id: clearTimeout finds a timer here, and a fired or cancelled one is gone. */
  #live = new Map<number, Timer>()
  /** Cancelled timers still in the heap. */
  #dead = 0
  #fired = 0

  constructor(startMs = 0) {
    this.#now = startMs
  }

  now(): number {
    return this.#now
  }

  setTimeout(fn: (...args: unknown[]) => void, timeoutMs: number): number {
    const timer: Timer = { id: ++this.#seq, at: this.#now + Math.max(0, timeoutMs || 0), fn }
    this.#push(timer)
    this.#live.set(timer.id, timer)
    return timer.id
  }

  clearTimeout(id: unknown): void {
    if (typeof id !== 'number' || !this.#live.delete(id)) return
    this.#dead++
    if (this.#dead > COMPACT_AFTER_DEAD && this.#dead > this.#live.size) this.#compact()
  }

  /** Timers waiting to fire (not fired, not cancelled). */
  get pending(): number {
    return this.#live.size
  }

  /** Timers fired since creation (a cheap progress and determinism figure). */
  get fired(): number {
    return this.#fired
  }

  /** Entries in the timer heap, cancelled ones not yet dropped included (the memory it holds). */
  get heapSize(): number {
    return this.#heap.length
  }

  /** The next live deadline, or undefined when no timer is pending. */
  nextDeadline(): number | undefined {
    this.#dropCancelled()
    return this.#heap[0]?.at
  }

  /** Fires every timer due up to `now() + ms`, each at its own deadline, synchronously. */
  advanceSync(ms: number): void {
    this.runUntil(this.#target(ms))
  }

  /** Fires every timer due at or before `atMs` in order, then sets the time to `atMs`. */
  runUntil(atMs: number): void {
    if (!(atMs >= this.#now)) throw new ClockBackwardsError(this.#now, atMs)
    while (this.#fireNext(atMs));
    this.#now = atMs
  }

  /**
   * Runs timers in order until `predicate()` holds (checked first, then after each timer) or
   * `untilMs` passes. Returns the time at which it held, or undefined (the time is then `untilMs`,
   * or stays put if that is in the past).
   */
  runUntilTrue(predicate: () => boolean, untilMs: number): number | undefined {
    if (predicate()) return this.#now
    while (this.#fireNext(untilMs)) if (predicate()) return this.#now
    this.#now = Math.max(this.#now, untilMs)
    return undefined
  }

  /**
   * Advances virtual time by `ms` for inline actors: at each deadline on the way it fires what is
   * due (timers set by those timers for the same instant included), then yields one event-loop
   * turn so the actors handle what those timers sent before time moves on. Resolves at
   * `now() === start + ms`.
   */
  async advance(ms: number): Promise<void> {
    const target = this.#target(ms)
    await settle()
    for (;;) {
      const at = this.nextDeadline()
      if (at === undefined || at > target) break
      while (this.#fireNext(at));
      await settle()
    }
    this.#now = target
    await settle()
  }

  /** Advances to the next deadline and fires it (as `advance` does); false when none is pending. */
  async next(): Promise<boolean> {
    const at = this.nextDeadline()
    if (at === undefined) return false
    await this.advance(at - this.#now)
    return true
  }

  #target(ms: number): number {
    if (!(ms >= 0)) throw new ClockBackwardsError(this.#now, this.#now + ms)
    return this.#now + ms
  }

  /** Fires the first live timer if it is due at or before `limit`; false when none is. */
  #fireNext(limit: number): boolean {
    this.#dropCancelled()
    const top = this.#heap[0]
    if (top === undefined || top.at > limit) return false
    this.#pop()
    this.#live.delete(top.id)
    this.#now = top.at
    this.#fired++
    top.fn()
    return true
  }

  #dropCancelled(): void {
    const h = this.#heap
    while (h.length > 0 && !this.#live.has(h[0]!.id)) {
      this.#pop()
      this.#dead--
    }
  }

  /** Rebuilds the heap from the live timers (a sorted array is a valid heap). */
  #compact(): void {
    this.#heap = [...this.#live.values()].sort((a, b) => a.at - b.at || a.id - b.id)
    this.#dead = 0
  }

  #push(t: Timer): void {
    const h = this.#heap
    h.push(t)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!earlier(h[i]!, h[p]!)) break
      const tmp = h[i]!
      h[i] = h[p]!
      h[p] = tmp
      i = p
    }
  }

  #pop(): void {
    const h = this.#heap
    const last = h.pop()
    if (h.length === 0 || last === undefined) return
    h[0] = last
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < h.length && earlier(h[l]!, h[m]!)) m = l
      if (r < h.length && earlier(h[r]!, h[m]!)) m = r
      if (m === i) break
      const tmp = h[i]!
      h[i] = h[m]!
      h[m] = tmp
      i = m
    }
  }
}

/** Deadline order; ties in the order set (ids grow with each setTimeout). */
const earlier = (a: Timer, b: Timer): boolean => a.at < b.at || (a.at === b.at && a.id < b.id)

/** Lets pending microtasks (inline mailbox drains) and already-queued macrotasks run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
