/**
 * WorkerReports: what a worker thread tells the system thread once per event-loop turn instead
 * of once per occurrence: mailbox drops and refusals toward each target and undeliverable sends
 * (summed), inspection events (batched), and whatever the host adds at the turn's end (its
 * persisted record, a snapshot digest). A turn end is scheduled only when something happened.
 */
import type { OverflowKind } from './link.ts'
import { K, type WorkerToMain } from './frames.ts'
import type { InspectionEvent } from './types.ts'

/**
 * Transitions of one actor reported one by one per turn of its thread; past it the newest replaces
 * the last reported and the others are counted in its `skipped`. A busy actor makes thousands a
 * turn: sending each across the thread cost the bench's sink a third of its throughput.
 */
export const INSPECTIONS_PER_TURN = 8

type Undeliverable = { to: string; reason: 'unknown' | 'stopped'; messageType: string; count: number }

export class WorkerReports {
  readonly #overflow = new Map<string, { to: string; policy: OverflowKind; count: number }>()
  readonly #undeliverable = new Map<string, Undeliverable>()
  #inspected: InspectionEvent[] = []
  /** This turn's reported transitions per actor (the root and its children): at most INSPECTIONS_PER_TURN each. */
  readonly #inspectedBy = new Map<string, { count: number; last: InspectionEvent }>()
  #queued = false
  readonly #turnEnd = (): void => this.turnEnd()

  constructor(
    readonly post: (m: WorkerToMain) => void,
    /** The host's part of a turn end (persist, digest); runs first. */
    readonly onTurnEnd: () => void,
  ) {}

  /** Schedules a turn end (an immediate: after the I/O and messages of this turn). */
  requestTurn(): void {
    if (this.#queued) return
    this.#queued = true
    setImmediate(this.#turnEnd)
  }

  /** Posts what the turn gathered. Also called directly before the thread reports it stopped. */
  turnEnd(): void {
    this.#queued = false
    this.onTurnEnd()
    if (this.#inspected.length > 0) {
      this.post({ k: K.inspected, events: this.#inspected })
      this.#inspected = []
      this.#inspectedBy.clear()
    }
    for (const o of this.#overflow.values()) this.post({ k: K.overflow, to: o.to, policy: o.policy, count: o.count })
    this.#overflow.clear()
    for (const u of this.#undeliverable.values()) this.post({ k: K.undeliverable, ...u })
    this.#undeliverable.clear()
  }

  /** One message dropped or refused by the mailbox toward `to` (`'$main'`: the system thread). */
  overflow(to: string, kind: OverflowKind): void {
    const key = `${kind}\u0000${to}`
    const o = this.#overflow.get(key)
    if (o === undefined) this.#overflow.set(key, { to, policy: kind, count: 1 })
    else o.count++
    this.requestTurn()
  }

  /** Sends to `to` that found no target (unknown or stopped). */
  undeliverable(to: string, reason: 'unknown' | 'stopped', messageType: string, count = 1): void {
    const key = `${reason}\u0000${to}\u0000${messageType}`
    const u = this.#undeliverable.get(key)
    if (u === undefined) this.#undeliverable.set(key, { to, reason, messageType, count })
    else u.count += count
    this.requestTurn()
  }

  /** One transition, for the system's inspectors (throttled per actor per turn, see INSPECTIONS_PER_TURN). */
  inspected(actor: string, event: string, state: unknown, at: number): void {
    const seen = this.#inspectedBy.get(actor)
    if (seen !== undefined && seen.count >= INSPECTIONS_PER_TURN) {
      const last = seen.last
      last.skipped = (last.skipped ?? 0) + 1
      last.event = event
      last.state = state as InspectionEvent['state']
      last.at = at
      return
    }
    const e: InspectionEvent = { actor, event, state: state as InspectionEvent['state'], at, placement: 'worker' }
    this.#inspected.push(e)
    if (seen === undefined) this.#inspectedBy.set(actor, { count: 1, last: e })
    else {
      seen.count++
      seen.last = e
    }
    this.requestTurn()
  }
}
