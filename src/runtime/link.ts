/**
 * Link: one direction-pair of a MessagePort between two actor-hosting threads, with the sending
 * side's mailbox. Messages wait in a ring on the sending side and are posted at the end of the
 * current microtask turn: one waiting message travels as the plain object (the cheapest
 * structured clone), several as arrays of up to MAX_BATCH (one postMessage per batch; the shapes
 * on the port are in link-wire.ts). A forced item (a reply, a runtime item) on an idle link
 * (nothing waiting, nothing in flight) is posted at once instead (#postNow): the asker waits.
 * At most `capacity` messages are in flight; the receiver returns credit once per event-loop
 * turn for what it handled (piggybacked on its own data when it has some), and whatever
 * accumulated meanwhile goes out then. So a lone message is posted at once, and under load
 * batches form by themselves.
 * The items a thread handles per event-loop turn are bounded (turn-budget.ts): past the bound a
 * link pauses its port until the check phase, so a full-rate producer cannot keep the receiving
 * thread's port busy while its I/O and timers wait; its credit still goes back at once, so the
 * producer's window is full again when the port resumes.
 *
 * The ring is the mailbox: its bound and overflow policy apply to messages waiting there; at most
 * another `capacity` are on their way (posted, not yet handled).
 */
import type { MessagePort } from 'node:worker_threads'
import type { SendStatus } from '../types/actor-env.ts'
import { F_ACK, F_ROUTED, type LinkPolicy, type LinkStats } from './frames.ts'
import { LinkWaiters } from './link-waiters.ts'
import { MAX_BATCH, postPayload, readPayload, type Unsendable } from './link-wire.ts'
import { admit, isActorMessage } from './mailbox-policy.ts'
import { RingQueue } from './ring.ts'
import { threadTurnBudget, type Pausable, type TurnBudget } from './turn-budget.ts'
import { runSoon } from './microtask.ts'

export type OverflowKind = 'drop-oldest' | 'reject' | 'ceiling'

export class Link implements Pausable {
  readonly ring = new RingQueue<unknown>(64)
  policy: LinkPolicy
  port: MessagePort | undefined
  /** Items posted and not yet credited (one batch at most). */
  inFlight = 0
  /** Items received and handled, not yet credited back. */
  pendingAck = 0
  /** Peer restarting: hold messages, post nothing. */
  down = false
  /** Peer gone for good: refuse. */
  closed = false
  /** Not listening to the port until the next check phase (this thread's turn budget is spent). */
  paused = false
  dropped = 0
  rejected = 0
  lost = 0
  /** Items the peer confirmed handled (credited). */
  acked = 0
  /** Items that could not be cloned for posting (reported through onUnsendable). */
  unsendable = 0
  #flushQueued = false
  #ackQueued = false
  /** Waiting for room in the mailbox (`ready()`), and for nothing waiting or in flight (`idle()`). */
  readonly #readyWaiters = new LinkWaiters()
  readonly #idleWaiters = new LinkWaiters()
  readonly #onItem: (item: unknown) => void
  readonly #onBatchEnd: (() => void) | undefined
  readonly #onOverflow: (kind: OverflowKind, dropped?: unknown) => void
  readonly #onUnsendable: ((item: unknown, err: unknown) => void) | undefined
  /** Credit owed that goes back at once instead of at the end of the turn (half the peer's window). */
  readonly #ackAt: number
  /** The items this thread may handle per event-loop turn (shared by its links). */
  readonly #budget: TurnBudget
  readonly #flush = (): void => this.flush()
  readonly #ackCheck = (): void => {
    if (this.pendingAck === 0 || this.#flushQueued) this.#ackQueued = false
    else setImmediate(this.#ackTick)
  }
  readonly #ackTick = (): void => {
    this.#ackQueued = false
    if (this.pendingAck > 0) this.flush()
  }
  readonly #receive = (data: unknown): void => this.receive(data)
  readonly #take = (item: unknown): void => {
    this.pendingAck++
    this.#onItem(item)
  }
  readonly #creditFn = (n: number): void => this.#credit(n)

  constructor(
    port: MessagePort | undefined,
    policy: LinkPolicy,
    handlers: {
      onItem: (item: unknown) => void
      /** A message refused, or (drop-oldest) the one `dropped` to make room: counted by the handler. */
      onOverflow: (kind: OverflowKind, dropped?: unknown) => void
      onBatchEnd?: () => void
      onUnsendable?: (item: unknown, err: unknown) => void
      /**
       * The peer's window toward this link (this side's mailbox capacity). Credit for half of it
       * goes back at once, so the peer refills while this side handles the other half.
       */
      receiveWindow?: number
      /** Items handled per event-loop turn; defaults to the one budget of this thread. */
      turnBudget?: TurnBudget
    },
  ) {
    this.#budget = handlers.turnBudget ?? threadTurnBudget
    this.#ackAt = Math.max(1, Math.floor((handlers.receiveWindow ?? Number.POSITIVE_INFINITY) / 2))
    this.policy = policy
    this.#onItem = handlers.onItem
    this.#onUnsendable = handlers.onUnsendable
    this.#onOverflow = handlers.onOverflow
    this.#onBatchEnd = handlers.onBatchEnd
    if (port !== undefined) this.attach(port)
  }

  attach(port: MessagePort): void {
    this.port = port
    this.paused = false
    port.on('message', this.#receive)
    this.down = false
    if (this.ring.length > 0 && this.inFlight === 0) this.#queueFlush()
  }

  /** Queues a message (or a runtime item) for the peer, applying the mailbox policy. */
  send(item: unknown): SendStatus {
    if (this.closed) return 'stopped'
    const ring = this.ring
    let status: SendStatus = 'ok'
    const verdict = admit(ring.length, this.policy)
    if (verdict === 'reject' || verdict === 'ceiling') {
      this.rejected++
      this.#onOverflow(verdict)
      return 'rejected'
    }
    if (verdict === 'drop-oldest') {
      // The oldest actor message; the replies and runtime items forced in front of it stay.
      const dropped = ring.removeFirst(isActorMessage)
      if (dropped !== undefined) {
        this.dropped++
        this.#onOverflow('drop-oldest', dropped)
        status = 'displaced'
      }
    } else if (verdict === 'backpressure') status = 'backpressure'
    ring.push(item)
    if (!this.#flushQueued && this.inFlight < this.policy.capacity) this.#queueFlush()
    return status
  }

  /** Queues an item that no policy may drop (replies, snapshot requests). */
  force(item: unknown): void {
    if (this.closed) return
    // On an idle link it leaves now (a reply: the asker waits; see #postNow). Forced items are
    // never the mailbox's (no policy drops them), so this changes no overflow verdict.
    if (this.inFlight === 0 && this.ring.length === 0 && this.#postNow(item)) return
    this.ring.push(item)
    if (!this.#flushQueued && this.inFlight < this.policy.capacity) this.#queueFlush()
  }

  /**
   * Posts one item at once, with the credit owed, when nothing waits in the ring and nothing is in
   * flight (the caller checked both), so it cannot pass anything sent before it and no batch is
   * split. Used for forced items (replies): an ask's round trip is latency, and the work the
   * sending turn still has to do (the rest of the machine's step, the batch's checkpoint, the
   * credit check) now runs while the reply travels instead of before it leaves: the actor
   * thread's part of a round trip from the request's arrival to the reply's post went from
   * about 3.6 to 2.2 us (hrtime stamps on both threads during bench/runtime/focus.ts roundtrip,
   * load average about 6). It shortens the round trip only when the two threads have a core
   * each; sharing one core, the woken asker runs first either way and CPU per round trip decides.
   * Actor messages never take this path: a request stays in the mailbox until the turn's flush,
   * so what a full mailbox displaces or refuses is unchanged. The item is cloned now, as it is
   * forced. One that cannot be cloned is reported from a microtask, as a flush would have: never
   * from inside the caller's force. False when the port is not up (the item queues as usual).
   */
  #postNow(item: unknown): boolean {
    const port = this.port
    if (port === undefined || this.down || this.#flushQueued) return false
    this.inFlight = 1
    const ack = this.pendingAck
    this.pendingAck = 0
    const refused = postPayload(port, item, 1, ack)
    if (refused !== undefined) runSoon(() => this.#refused(refused))
    return true
  }

  #queueFlush(): void {
    this.#flushQueued = true
    runSoon(this.#flush)
  }

  /**
   * Posts what is waiting, in batches of at most MAX_BATCH, while fewer than `capacity` messages
   * are in flight, and any credit owed (riding on the first batch when there is one).
   */
  flush(): void {
    this.#flushQueued = false
    const port = this.port
    if (port === undefined || this.down || this.closed) return
    const ring = this.ring
    const window = this.policy.capacity
    let posted = false
    while (ring.length > 0 && this.inFlight < window) {
      const n = Math.min(ring.length, MAX_BATCH, window - this.inFlight)
      let payload: unknown
      if (n === 1) payload = ring.shift()
      else if (n === ring.length) payload = ring.takeAll()
      else {
        const batch = new Array<unknown>(n)
        for (let i = 0; i < n; i++) batch[i] = ring.shift()
        payload = batch
      }
      this.inFlight += n
      const ack = this.pendingAck
      this.pendingAck = 0
      const refused = postPayload(port, payload, n, ack)
      if (refused !== undefined) this.#refused(refused)
      posted = true
    }
    if (this.pendingAck > 0) {
      port.postMessage({ k: F_ACK, n: this.pendingAck })
      this.pendingAck = 0
    }
    if (posted && this.#readyWaiters.size > 0 && this.writable) this.#readyWaiters.wakeAll()
  }

  /** Items the port could not clone: they leave the window, counted and reported. */
  #refused(refused: Unsendable[]): void {
    for (const { item, err } of refused) {
      this.inFlight--
      this.unsendable++
      this.#onUnsendable?.(item, err)
    }
  }

  /** Handles what the peer posted: actor messages, batches, credit, runtime items. */
  receive(data: unknown): void {
    // Each item is owed credit as it is handed over (#take), so a reply posted while it is handled
    // carries the credit for it and for the items before it in this payload.
    const n = readPayload(data, this.#take, this.#creditFn)
    if (n < 0) return
    this.#onBatchEnd?.()
    // Credit goes back with the data this link posts next (a reply to an ask handled here has
    // taken it already, or is queued), else at the end of this event-loop turn, or at once when
    // it reaches half the peer's window (a long turn would otherwise leave the peer waiting).
    if (this.pendingAck >= this.#ackAt) this.flush()
    else if (this.pendingAck > 0 && !this.#ackQueued && !this.#flushQueued) {
      // First a microtask: what the handled items (or the code awaiting them) send next is
      // usually queued by then and takes the credit along; else an immediate carries it.
      this.#ackQueued = true
      runSoon(this.#ackCheck)
    }
    // Past this turn's budget: the port's next messages wait (queued, in order) for the check phase.
    if (!this.#budget.take(n, this)) this.#pause()
  }

  #pause(): void {
    const port = this.port
    if (this.paused || port === undefined) return
    this.paused = true
    // With its last 'message' listener gone, Node stops delivering and keeps the queue.
    port.off('message', this.#receive)
  }

  /** The check phase after a pause: take the port's messages again. */
  resume(): void {
    if (!this.paused) return
    this.paused = false
    const port = this.port
    if (port !== undefined && !this.closed) port.on('message', this.#receive)
  }

  #credit(n: number): void {
    this.acked += n
    this.inFlight -= n
    if (this.inFlight < 0) this.inFlight = 0
    if (this.ring.length > 0) this.flush()
    else if (this.inFlight === 0) this.#idleWaiters.wakeAll()
  }

  /** True when the mailbox has room (below its bound). */
  get writable(): boolean {
    return this.ring.length < this.policy.capacity
  }

  /** Resolves when the mailbox is below its bound. */
  ready(): Promise<void> {
    if (this.writable || this.closed) return Promise.resolve()
    return this.#readyWaiters.wait()
  }

  /** Resolves when nothing waits and nothing is in flight (everything sent was handled). */
  idle(): Promise<void> {
    if ((this.ring.length === 0 && this.inFlight === 0) || this.closed) return Promise.resolve()
    return this.#idleWaiters.wait()
  }

  get isIdle(): boolean {
    return this.ring.length === 0 && this.inFlight === 0
  }

  /** The peer thread died: what was in flight is lost; hold new messages until `attach`. */
  markDown(): number {
    const lost = this.inFlight
    this.lost += lost
    this.inFlight = 0
    this.pendingAck = 0
    this.down = true
    this.#detach()
    return lost
  }

  /**
   * Closes for good; returns how many messages were still waiting or in flight. Actor messages
   * that never left the ring are counted in `lost` (nothing is dropped uncounted).
   */
  close(): number {
    const left = this.ring.length + this.inFlight
    for (const item of this.ring.takeAll()) {
      const it = item as { type?: unknown; k?: unknown }
      if (typeof it.type === 'string' || it.k === F_ROUTED) this.lost++
    }
    this.inFlight = 0
    this.closed = true
    this.#detach()
    this.#readyWaiters.wakeAll()
    this.#idleWaiters.wakeAll()
    return left
  }

  stats(): LinkStats {
    return { dropped: this.dropped, rejected: this.rejected, lost: this.lost, queued: this.ring.length + this.inFlight }
  }

  #detach(): void {
    const port = this.port
    this.port = undefined
    if (port !== undefined) {
      port.off('message', this.#receive)
      port.close()
    }
  }
}
