/**
 * AskTable: the system thread's pending asks, by correlation id. Each ask has a timeout on the
 * system clock and an optional AbortSignal; a crash of the target fails its asks at once.
 *
 * Timeouts cost one timer per distinct timeout value, not one per ask: asks with the same
 * timeout expire in the order they were made, so each value keeps a FIFO of (deadline, cid) and
 * one timer armed for its head. A settled ask is skipped when the sweep reaches it.
 *
 * A reply whose cid is not pending (the ask timed out, was aborted, or failed because the asker
 * crashed or restarted) is counted in `late` and ignored. Correlation ids carry the table's epoch
 * (cid = n * EPOCHS + epoch), so a table rebuilt in a restarted thread never hands out an id an
 * earlier incarnation used: that incarnation's late replies cannot settle the new one's asks.
 */
import type { ActorClock } from '../types/time.ts'
import type { ClusterError, WireError } from '../errors/cluster-error.ts'
import { AskAbortedError, AskTimeoutError, runtimeErrorFromWire } from '../errors/runtime-errors.ts'
import { formatValue } from '../errors/format-value.ts'
import { TIMER_MAX_MS } from '../config/values.ts'

/**
 * Why `timeoutMs` cannot time an ask, or undefined if it can: it must be a number of ms in
 * (0, TIMER_MAX_MS]. NaN would never expire (and re-arm a 1 ms timer for as long as the ask
 * waits); a negative one expires at once; past TIMER_MAX_MS a Node timer fires after 1 ms.
 * Checked where asks start (env.ask, ActorRef.ask), before the request is sent.
 */
export function askTimeoutProblem(timeoutMs: unknown): string | undefined {
  if (typeof timeoutMs === 'number' && timeoutMs > 0 && timeoutMs <= TIMER_MAX_MS) return undefined
  return `ask timeoutMs must be a number of ms in (0, ${TIMER_MAX_MS}] (got ${formatValue(timeoutMs)})`
}

interface Pending {
  actor: string
  type: string
  timeoutMs: number
  resolve: (v: unknown) => void
  reject: (e: unknown) => void
  signal: AbortSignal | undefined
}

/** The asks pending on one AbortSignal and the one abort listener the table added to it. */
interface SignalWatch {
  cids: Set<number>
  onAbort: () => void
}

/** Pending asks of one timeout value, oldest first, with the timer armed for the oldest. */
interface Expiry {
  deadlines: number[]
  cids: number[]
  head: number
  timer: unknown
}

/**
 * Distinct epochs before ids repeat. A late reply could only be mistaken for a new ask's after
 * this many restarts of the asking thread while it was in flight; the restart budget
 * (supervision.maxRestarts per window) makes that impossible. 2^40 asks per epoch stay exact.
 */
export const EPOCHS = 4096

export class AskTable {
  #seq = 0
  readonly #epoch: number
  readonly #pending = new Map<number, Pending>()
  readonly #expiries = new Map<number, Expiry>()
  /**
   * One abort listener per signal, not per ask: callers share a signal across many asks (swim's
   * runner passes one to every fill and state ask), and a listener each would pass Node's limit of
   * 10 per EventTarget (MaxListenersExceededWarning) and make every abort walk them all. The entry
   * goes, with its listener, when the signal's last ask settles.
   */
  readonly #signals = new Map<AbortSignal, SignalWatch>()
  /** Replies that found no pending ask (after a timeout, abort or the asker's crash): ignored. */
  late = 0

  constructor(
    readonly clock: ActorClock,
    epoch = 0,
  ) {
    this.#epoch = ((epoch % EPOCHS) + EPOCHS) % EPOCHS
  }

  get size(): number {
    return this.#pending.size
  }

  open(actor: string, type: string, timeoutMs: number, signal: AbortSignal | undefined): { cid: number; promise: Promise<unknown> } {
    const cid = ++this.#seq * EPOCHS + this.#epoch
    const promise = new Promise<unknown>((resolve, reject) => {
      const p: Pending = { actor, type, timeoutMs, resolve, reject, signal }
      this.#arm(cid, timeoutMs)
      this.#pending.set(cid, p)
      if (signal === undefined) return
      // An 'abort' listener added after the fact never runs: fail at once instead of at the timeout.
      if (signal.aborted) this.#settle(cid, undefined, new AskAbortedError(actor, type, { cause: signal.reason }))
      else this.#watch(signal, cid)
    })
    return { cid, promise }
  }

  #arm(cid: number, timeoutMs: number): void {
    let e = this.#expiries.get(timeoutMs)
    if (e === undefined) {
      e = { deadlines: [], cids: [], head: 0, timer: undefined }
      this.#expiries.set(timeoutMs, e)
    }
    e.deadlines.push(this.clock.now() + timeoutMs)
    e.cids.push(cid)
    if (e.timer === undefined) this.#schedule(timeoutMs, e)
  }

  #schedule(timeoutMs: number, e: Expiry): void {
    // Clamped to what a Node timer honours: a sweep before the deadline just re-arms.
    const wait = Math.min(TIMER_MAX_MS, Math.max(0, e.deadlines[e.head]! - this.clock.now()))
    e.timer = this.clock.setTimeout(() => this.#sweep(timeoutMs, e), wait)
    // A sweep timer alone never keeps the process alive (whatever would answer the ask does).
    ;(e.timer as { unref?: () => void } | undefined)?.unref?.()
  }

  /** Expires every ask of this timeout whose deadline has passed; re-arms for the next one. */
  #sweep(timeoutMs: number, e: Expiry): void {
    e.timer = undefined
    const now = this.clock.now()
    while (e.head < e.cids.length && e.deadlines[e.head]! <= now) {
      const cid = e.cids[e.head]!
      e.head++
      const p = this.#pending.get(cid)
      if (p !== undefined) this.#settle(cid, undefined, new AskTimeoutError(p.actor, p.type, timeoutMs))
    }
    // Skip asks already settled, so an idle table holds no timer and no garbage.
    while (e.head < e.cids.length && !this.#pending.has(e.cids[e.head]!)) e.head++
    if (e.head >= e.cids.length) {
      this.#expiries.delete(timeoutMs)
      return
    }
    if (e.head > 1024 && e.head * 2 > e.cids.length) {
      e.deadlines = e.deadlines.slice(e.head)
      e.cids = e.cids.slice(e.head)
      e.head = 0
    }
    this.#schedule(timeoutMs, e)
  }

  /** A reply: settles the ask, or counts a late reply. */
  resolve(cid: number, value: unknown): void {
    // One lookup (the hot path of every ask): the pending entry settles here.
    const p = this.#pending.get(cid)
    if (p === undefined) {
      this.late++
      return
    }
    this.#pending.delete(cid)
    if (p.signal !== undefined) this.#unwatch(p.signal, cid)
    p.resolve(value)
  }

  /** An error reply (or a refusal): fails the ask, or counts a late reply. */
  reject(cid: number, error: WireError | ClusterError): void {
    if (this.#pending.has(cid)) this.#settle(cid, undefined, error instanceof Error ? error : runtimeErrorFromWire(error))
    else this.late++
  }

  /** Fails every ask waiting on `actor`; returns how many. */
  failActor(actor: string, makeError: () => ClusterError): number {
    let n = 0
    for (const [cid, p] of this.#pending) {
      if (p.actor === actor) {
        this.#settle(cid, undefined, makeError())
        n++
      }
    }
    return n
  }

  /** Drops every sweep timer (shutdown). */
  disarm(): void {
    for (const e of this.#expiries.values()) if (e.timer !== undefined) this.clock.clearTimeout(e.timer)
    this.#expiries.clear()
  }

  failAll(makeError: (actor: string) => ClusterError): void {
    for (const [cid, p] of this.#pending) this.#settle(cid, undefined, makeError(p.actor))
    this.disarm()
  }

  /** Signals with a listener from this table (0 when no ask with a signal is pending). */
  get watchedSignals(): number {
    return this.#signals.size
  }

  #watch(signal: AbortSignal, cid: number): void {
    let w = this.#signals.get(signal)
    if (w === undefined) {
      const watch: SignalWatch = { cids: new Set(), onAbort: () => this.#aborted(signal, watch) }
      w = watch
      this.#signals.set(signal, w)
      signal.addEventListener('abort', w.onAbort, { once: true })
    }
    w.cids.add(cid)
  }

  /** The signal fired: every ask still waiting on it fails with ERR_ACTOR_ASK_ABORTED. */
  #aborted(signal: AbortSignal, w: SignalWatch): void {
    this.#signals.delete(signal)
    for (const cid of [...w.cids]) {
      const p = this.#pending.get(cid)
      if (p !== undefined) this.#settle(cid, undefined, new AskAbortedError(p.actor, p.type, { cause: signal.reason }))
    }
  }

  #unwatch(signal: AbortSignal, cid: number): void {
    const w = this.#signals.get(signal)
    if (w === undefined) return
    w.cids.delete(cid)
    if (w.cids.size > 0) return
    this.#signals.delete(signal)
    signal.removeEventListener('abort', w.onAbort)
  }

  #settle(cid: number, value: unknown, error: Error | undefined): void {
    const p = this.#pending.get(cid)
    if (p === undefined) return
    this.#pending.delete(cid)
    if (p.signal !== undefined) this.#unwatch(p.signal, cid)
    if (error !== undefined) p.reject(error)
    else p.resolve(value)
  }
}
