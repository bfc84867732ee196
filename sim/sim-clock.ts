/**
 * SimClock: a simulated clock with a binary-heap timer queue, for running thousands of nodes in one
 * thread. Timers due at the same time fire in the order they were set (a sequence number breaks
 * ties), so the same inputs give the same trace. Time never goes backwards. It has the shape of the
 * runtime's ActorClock (now / setTimeout / clearTimeout), so it can also drive XState actors.
 *
 * Cancelled timers are dropped lazily when they reach the top, and the heap is rebuilt from the
 * live ones when the cancelled outnumber them: a simulated cluster re-arms timers far in the future
 * all the time (suspicion timers, up to 72 s at N = 1000), and without this the heap held ten dead
 * entries per live one (2 million at N = 1000 under 50% loss), with their closures.
 */
const noop = (): void => {}

interface Timer {
  at: number
  seq: number
  fn: () => void
  cancelled: boolean
}

export class SimClock {
  private time: number
  private seq = 0
  private heap: Timer[] = []
  private live = 0
  /** Cancelled timers still in the heap. */
  private dead = 0
  /** Timers fired so far (a cheap progress and determinism figure). */
  fired = 0

  constructor(startMs = 0) {
    this.time = startMs
  }

  now(): number {
    return this.time
  }

  setTimeout(fn: (...args: unknown[]) => void, timeoutMs: number): Timer {
    const t: Timer = { at: this.time + Math.max(0, timeoutMs), seq: this.seq++, fn: fn as () => void, cancelled: false }
    this.push(t)
    this.live++
    return t
  }

  clearTimeout(id: unknown): void {
    const t = id as Timer | undefined
    if (t !== undefined && t !== null && !t.cancelled) {
      t.cancelled = true
      t.fn = noop // let the closure go now
      this.live--
      this.dead++
      if (this.dead > 1024 && this.dead > this.live) this.compact()
    }
  }

  /** Live (not cancelled, not fired) timers. */
  pending(): number {
    return this.live
  }

  /** Entries in the timer heap, cancelled ones not yet dropped included. */
  heapSize(): number {
    return this.heap.length
  }

  /** Time of the next live timer, if any. */
  nextAt(): number | undefined {
    this.dropCancelled()
    return this.heap[0]?.at
  }

  /** Fires every timer due at or before `untilMs` in order, then sets the time to `untilMs`. */
  runUntil(untilMs: number): void {
    if (untilMs < this.time) throw new RangeError(`SimClock cannot go back from ${this.time} to ${untilMs}`)
    for (;;) {
      this.dropCancelled()
      const top = this.heap[0]
      if (top === undefined || top.at > untilMs) break
      this.pop()
      this.live--
      this.time = top.at
      top.cancelled = true
      this.fired++
      top.fn()
    }
    this.time = untilMs
  }

  /** Advances by `ms`, firing due timers. */
  advance(ms: number): void {
    this.runUntil(this.time + ms)
  }

  /**
   * Runs until `predicate()` holds (checked after each timer) or `untilMs` passes. Returns the time
   * at which it held, or undefined.
   */
  runUntilTrue(predicate: () => boolean, untilMs: number): number | undefined {
    if (predicate()) return this.time
    for (;;) {
      this.dropCancelled()
      const top = this.heap[0]
      if (top === undefined || top.at > untilMs) {
        this.time = Math.max(this.time, untilMs)
        return undefined
      }
      this.pop()
      this.live--
      this.time = top.at
      top.cancelled = true
      this.fired++
      top.fn()
      if (predicate()) return this.time
    }
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) {
      this.pop()
      this.dead--
    }
  }

  /** Rebuilds the heap from the live timers (a sorted array is a valid heap). */
  private compact(): void {
    this.heap = this.heap.filter((t) => !t.cancelled).sort((a, b) => a.at - b.at || a.seq - b.seq)
    this.dead = 0
  }

  private less(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq)
  }

  private push(t: Timer): void {
    const h = this.heap
    h.push(t)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!this.less(h[i]!, h[p]!)) break
      const tmp = h[i]!
      h[i] = h[p]!
      h[p] = tmp
      i = p
    }
  }

  private pop(): Timer | undefined {
    const h = this.heap
    const top = h[0]
    const last = h.pop()
    if (h.length > 0 && last !== undefined) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r
        if (m === i) break
        const tmp = h[i]!
        h[i] = h[m]!
        h[m] = tmp
        i = m
      }
    }
    return top
  }
}
