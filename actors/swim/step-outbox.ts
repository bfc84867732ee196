/**
 * The step machinery of swim's core (swim-core.ts): where a step's effects are collected, in the
 * order decided, and how the counters stay plain data that never changes once handed out.
 *
 * - `within(fn)` runs `fn` as a step and returns its effects. The first step after the counters
 *   were handed out (`share`) counts on a copy of them, so a state in a context is never written.
 * - `enter(fn)` is for work that I/O starts outside any step (an accepted stream, a dial's outcome,
 *   a stream's bytes): it runs as a step whose effects go to env.run at once.
 *   Inside a step (a simulated transport answering synchronously) it is part of that step.
 * - An effect decided outside any step (a test driving a concept file directly) goes to env.run
 *   at once. Such a call also counts on the current counters without a copy: the core is meant to
 *   be driven through its steps (SwimNode, the simulator's driver, never hands its state out).
 * - Dials are effects too; the stream they open (not data) comes back through `dialed(id, ...)`.
 * - The user-state ask is an effect whose answer is an input (`answerUserState`, called by the
 *   core's step): its continuation waits here by id, and the stop drops those still waiting.
 *   Once member-manager has told its user state ahead of time (`userStateTold`), a push/pull takes
 *   that one in the same step instead: no ask, so with every actor in its own thread a push/pull
 *   no longer waits on member-manager's thread (2-38 ms per ask during a join burst of five
 *   agents, measured with bench/agents/join-cpu.ts). The told state is at most member-manager's
 *   push interval old (user-state-push.ts), as if the push/pull had started that much earlier.
 */
import type { Stream, TransportAddress, TransportError } from '../../src/transport/transport.ts'
import type { SwimCountersView } from './counters.ts'
import type { DialCallback, SwimEffect, SwimEnv, SwimOutput } from './effects.ts'

export class StepOutbox {
  /** The effects of the step running now; undefined outside a step. */
  private out: SwimEffect[] | undefined
  private counts: SwimCountersView
  /** The counters were handed out since the last copy: the next step copies them first. */
  private shared = false
  /** Dials in flight: their callbacks, by the id of their dial effect (each ends in `dialed`). */
  private readonly dials = new Map<number, DialCallback>()
  private dialSeq = 0
  /** User-state asks waiting for their answer, by the id of their ask effect. */
  private readonly userStates = new Map<number, (bytes: Uint8Array) => void>()
  private askSeq = 0
  /** member-manager's user state as last told (`member.user-state`), or undefined: ask instead. */
  private told: Uint8Array | undefined

  constructor(
    private readonly env: SwimEnv,
    counters: SwimCountersView,
  ) {
    this.counts = counters
  }

  /** The counters of the step running now: count through this, never keep it across a callback. */
  get counters(): SwimCountersView {
    return this.counts
  }

  /** The counters as handed out (into a state): from now on they are not written; the next step copies them. */
  share(): SwimCountersView {
    this.shared = true
    return this.counts
  }

  /** Runs `fn` as (part of) a step and returns the effects it decided, in order. */
  within(fn: () => void): SwimEffect[] {
    if (this.shared) {
      this.shared = false
      this.counts = { ...this.counts }
    }
    const outer = this.out
    const out: SwimEffect[] = []
    this.out = out
    try {
      fn()
    } finally {
      this.out = outer
    }
    return out
  }

  /** Work started by I/O outside any step: run as a step, its effects carried out at once (see the header). */
  enter(fn: () => void): void {
    if (this.out !== undefined) return fn()
    const effects = this.within(fn)
    if (effects.length > 0) this.env.run(effects)
  }

  /** One effect: into the running step's list, or (outside a step) run at once. */
  effect(e: SwimEffect): void {
    if (this.out !== undefined) this.out.push(e)
    else this.env.run([e])
  }

  setTimer(key: string, delayMs: number): void {
    this.effect({ type: 'set-timer', key, delayMs })
  }

  cancelTimer(key: string): void {
    this.effect({ type: 'cancel-timer', key })
  }

  emit(output: SwimOutput): void {
    this.effect({ type: 'output', output })
  }

  mergeRemoteUserState(bytes: Uint8Array, join: boolean): void {
    this.effect({ type: 'merge-user-state', bytes, join })
  }

  /**
   * Serf's LocalState for a push/pull: the told one, given to `cb` at once (in this step), or else
   * an `ask-user-state` effect, `cb` running in the step of its answer.
   */
  askUserState(join: boolean, cb: (bytes: Uint8Array) => void): void {
    if (this.told !== undefined) {
      this.counts.userStatesTold++
      return cb(this.told)
    }
    const id = ++this.askSeq
    this.userStates.set(id, cb)
    this.effect({ type: 'ask-user-state', id, join })
  }

  /** The `user-state` input: the ask's continuation, in this step; an unknown id (answered twice, or after the stop) changes nothing. */
  answerUserState(id: number, bytes: Uint8Array): boolean {
    const cb = this.userStates.get(id)
    if (cb === undefined) return false
    this.userStates.delete(id)
    cb(bytes)
    return true
  }

  /** member-manager's latest user state (the `user-state-told` input): later push/pulls carry it. */
  userStateTold(bytes: Uint8Array): void {
    this.told = bytes
  }

  /** Forgets the asks still waiting (the node stops: what they would have done ends with it). */
  dropAsks(): void {
    this.userStates.clear()
  }

  /** Opens a stream (a dial effect); `cb` hears the outcome, as a step, through `dialed`. */
  dial(to: TransportAddress, timeoutMs: number, cb: DialCallback): void {
    const id = ++this.dialSeq
    this.dials.set(id, cb)
    this.effect({ type: 'dial', id, to, timeoutMs })
  }

  /** A dial's outcome (whoever ran the dial effect calls it); a stream no one waits for is closed. */
  dialed(id: number, err: TransportError | undefined, stream?: Stream): void {
    const cb = this.dials.get(id)
    if (cb === undefined) {
      stream?.close()
      return
    }
    this.dials.delete(id)
    this.enter(() => cb(err, stream))
  }

  /** Dials waiting for their outcome (diagnostics). */
  pendingDials(): number {
    return this.dials.size
  }

  /** User-state asks waiting for their answer (diagnostics). */
  pendingAsks(): number {
    return this.userStates.size
  }
}
