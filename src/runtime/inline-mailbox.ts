/**
 * InlineMailbox: the inline placement's mailbox, a ring on the system thread in front of the
 * actor's ActorHost. It is drained in a microtask after the code that sent, so a burst of sends
 * queues up exactly as it does in front of a worker, the same policies apply, and under a
 * SimulatedClock everything stays deterministic. Each drain is one turn (persistence and snapshot
 * digests follow it).
 */
import type { SendStatus } from '../types/actor-env.ts'
import type { ActorHost } from './actor-host.ts'
import type { LinkPolicy, LinkStats } from './frames.ts'
import { admit, isActorMessage } from './mailbox-policy.ts'
import type { OverflowKind } from './link.ts'
import { RingQueue } from './ring.ts'
import type { ActorSnapshot } from './types.ts'
import { runSoon } from './microtask.ts'

/** A runtime item on an inline ring: run `fn` in order with the messages (snapshot reads). */
interface CallItem {
  call: () => void
}

export class InlineMailbox {
  readonly ring = new RingQueue<unknown>(64)
  dropped = 0
  rejected = 0
  closed = false
  /** Messages still queued when the mailbox closed (never handled). */
  lost = 0
  readonly watchers = new Set<(s: ActorSnapshot) => void>()
  #drainQueued = false
  #draining = false
  #readyWaiters: (() => void)[] = []
  #idleWaiters: (() => void)[] = []
  readonly #drain = (): void => this.drain()

  constructor(
    readonly host: ActorHost,
    readonly policy: LinkPolicy,
    /** A message refused, or (drop-oldest) the one `dropped` to make room: counted by the handler. */
    readonly onOverflow: (kind: OverflowKind, dropped?: unknown) => void,
  ) {
    host.onResume = () => this.#schedule()
  }

  send(msg: unknown): SendStatus {
    if (this.closed) return 'stopped'
    let status: SendStatus = 'ok'
    const verdict = admit(this.ring.length, this.policy)
    if (verdict === 'reject' || verdict === 'ceiling') {
      this.rejected++
      this.onOverflow(verdict)
      return 'rejected'
    }
    if (verdict === 'drop-oldest') {
      // The oldest message (never a runtime item: those are forced in and skipped here).
      const dropped = this.ring.removeFirst(isActorMessage)
      if (dropped !== undefined) {
        this.dropped++
        this.onOverflow('drop-oldest', dropped)
        status = 'displaced'
      }
    } else if (verdict === 'backpressure') status = 'backpressure'
    this.ring.push(msg)
    this.#schedule()
    return status
  }

  /** Queues a runtime call behind the messages already queued (never dropped). */
  enqueueCall(call: () => void): void {
    this.ring.push({ call } satisfies CallItem)
    this.#schedule()
  }

  #schedule(): void {
    if (!this.#drainQueued && !this.#draining) {
      this.#drainQueued = true
      runSoon(this.#drain)
    }
  }

  /** Handles everything queued (unless the actor is restarting), then ends the turn. */
  drain(): void {
    this.#drainQueued = false
    if (this.#draining) return
    this.#draining = true
    const ring = this.ring
    const host = this.host
    try {
      while (ring.length > 0 && host.status !== 'restarting') {
        const item = ring.shift() as { type?: unknown; call?: () => void }
        // offer: consecutive messages of a `coalesce` definition reach the machine as one event.
        if (typeof item.type === 'string') host.delivery.offer(item as { type: string })
        else if (item.call !== undefined) {
          host.flush()
          item.call()
        }
      }
    } finally {
      this.#draining = false
    }
    // checkpoint flushes the run being coalesced first: a run never outlives its drain.
    if (host.status === 'running') host.checkpoint()
    if (this.#readyWaiters.length > 0 && ring.length < this.policy.capacity) {
      const w = this.#readyWaiters
      this.#readyWaiters = []
      for (const f of w) f()
    }
    if (ring.length === 0 && this.#idleWaiters.length > 0) {
      const w = this.#idleWaiters
      this.#idleWaiters = []
      for (const f of w) f()
    }
    // Messages sent by what this drain ran arrive in the ring: drain again in a fresh microtask.
    if (ring.length > 0 && host.status !== 'restarting') this.#schedule()
  }

  /** End of a turn (requested by the host when the snapshot changed): persist, digests. */
  turn(): void {
    const changed = this.host.endTurn()
    if (changed && this.watchers.size > 0 && this.host.status === 'running') {
      const digest = structuredClone(this.host.digest())
      for (const w of this.watchers) w(digest)
    }
  }

  ready(): Promise<void> {
    if (this.ring.length < this.policy.capacity || this.closed) return Promise.resolve()
    return new Promise((resolve) => this.#readyWaiters.push(resolve))
  }

  idle(): Promise<void> {
    if (this.ring.length === 0 || this.closed) return Promise.resolve()
    return new Promise((resolve) => this.#idleWaiters.push(resolve))
  }

  get isIdle(): boolean {
    return this.ring.length === 0
  }

  /** Closes the mailbox; returns the number of messages left unhandled. */
  close(): number {
    let left = 0
    for (let item = this.ring.shift(); item !== undefined; item = this.ring.shift()) {
      if ((item as Partial<CallItem>).call !== undefined) (item as CallItem).call()
      else left++
    }
    this.closed = true
    this.lost += left
    for (const f of this.#readyWaiters.splice(0)) f()
    for (const f of this.#idleWaiters.splice(0)) f()
    return left
  }

  stats(): LinkStats {
    return { dropped: this.dropped, rejected: this.rejected, lost: this.lost, queued: this.ring.length }
  }
}
