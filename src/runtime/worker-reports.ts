/**
 * WorkerReports: what a worker thread tells the system thread once per event-loop turn instead
 * of once per occurrence: mailbox drops and refusals toward each target and undeliverable sends
 * (summed), inspection events (batched), and whatever the host adds at the turn's end (its
 * persisted record, a snapshot digest). A turn end is scheduled only when something happened.
 */
import type { OverflowKind } from './link.ts'
import { K, type WorkerToMain } from './frames.ts'

type Undeliverable = { to: string; reason: 'unknown' | 'stopped'; messageType: string; count: number }

export class WorkerReports {
  readonly #overflow = new Map<string, { to: string; policy: OverflowKind; count: number }>()
  readonly #undeliverable = new Map<string, Undeliverable>()
  #inspected: unknown[] = []
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

  /** One transition, for the system's inspectors. */
  inspected(event: unknown): void {
    this.#inspected.push(event)
    this.requestTurn()
  }
}
