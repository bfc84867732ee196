/**
 * WorkerRouter: a worker thread's view of the other actors and its links to them. It keeps one
 * Link to the system thread and one to each peer worker, knows which ids are inline (reached
 * through the system thread) and which are gone, and implements the Router the actor's env sends
 * through: tells to a peer go straight down its link, to an inline actor wrapped in a routed item,
 * replies to whoever waits. What arrives on the links is sorted for the host: actor messages,
 * replies to this actor's asks, runtime items. Drops, refusals and undeliverable sends are counted
 * through WorkerReports; a displaced request or one that cannot be cloned fails its ask at once.
 */
import type { MessagePort } from 'node:worker_threads'
import type { ComputePort, Message, ReplyTo, SendStatus } from '../types/actor-env.ts'
import { toWireError, type WireError } from '../errors/cluster-error.ts'
import { InvalidMessageError, MailboxFullError } from '../errors/runtime-errors.ts'
import type { Router } from './env.ts'
import { K, type LinkPolicy, type LinkStats, type WorkerToMain } from './frames.ts'
import { Link, type OverflowKind } from './link.ts'
import { requestOf } from './mailbox-policy.ts'
import type { WorkerReports } from './worker-reports.ts'

/** The system thread's endpoint (in reply tokens and as a link name). */
const MAIN = '$main'

/** What the router hands to the rest of the thread. */
export interface WorkerRouterParts {
  id: string
  /** This actor's mailbox capacity: the window each sender gets toward it. */
  receiveWindow: number
  mainPort: MessagePort
  mainPolicy: LinkPolicy
  peers: { id: string; port: MessagePort; mailbox: LinkPolicy }[]
  inline: string[]
  gone: string[]
  reports: WorkerReports
  post: (m: WorkerToMain) => void
  compute: ComputePort
  /** An actor message for this actor, on its own. */
  deliver(msg: Message): void
  /** An actor message for this actor, one of a batch (`batchEnd` follows: the host may coalesce). */
  offer(msg: Message): void
  /** The machine is up (a send to oneself before it is counts as undeliverable). */
  hosting(): boolean
  /** A reply to one of this actor's own asks (correlation id `cid`). */
  settle(cid: number, value: unknown, error: WireError | undefined): void
  /** A runtime item sent in order with the messages (snapshot read, inspection/digest/emit switches). */
  runtimeItem(item: { k: number }): void
  /** A batch of items was handled (the host checkpoints). */
  batchEnd(): void
  /** `target` is gone for good: asks waiting on it fail. */
  targetGone(target: string): void
}

export class WorkerRouter implements Router {
  readonly main: Link
  readonly links = new Map<string, Link>()
  readonly compute: ComputePort
  readonly #inline: Set<string>
  readonly #gone: Set<string>
  readonly #parts: WorkerRouterParts

  constructor(parts: WorkerRouterParts) {
    this.#parts = parts
    this.compute = parts.compute
    this.#inline = new Set(parts.inline)
    this.#gone = new Set(parts.gone)
    this.main = new Link(parts.mainPort, parts.mainPolicy, this.#handlers(MAIN))
    for (const p of parts.peers) this.links.set(p.id, new Link(p.port, p.mailbox, this.#handlers(p.id)))
  }

  // --- Router (what the env uses) ---

  send(_from: string, to: string, msg: Message): SendStatus {
    if (msg === null || typeof msg !== 'object' || typeof msg.type !== 'string') {
      const type = String((msg as { type?: unknown } | null)?.type)
      this.#parts.post({ k: K.invalid, error: toWireError(new InvalidMessageError(to, type, 'a message must be an object with a string type')), messageType: type })
      return 'rejected'
    }
    const link = this.links.get(to)
    if (link !== undefined) return link.send(msg)
    if (this.#inline.has(to)) return this.main.send({ k: K.routed, to, m: msg })
    if (to === this.#parts.id && this.#parts.hosting()) {
      // Sending to oneself: through a microtask, like any other send.
      queueMicrotask(() => this.#parts.deliver(msg))
      return 'ok'
    }
    const reason = this.#gone.has(to) ? 'stopped' : 'unknown'
    this.#parts.reports.undeliverable(to, reason, String(msg?.type))
    return reason
  }

  whenReady(to: string): Promise<void> {
    const link = this.links.get(to) ?? (this.#inline.has(to) ? this.main : undefined)
    return link === undefined ? Promise.resolve() : link.ready()
  }

  capacity(to: string): number {
    return this.links.get(to)?.policy.capacity ?? (this.#inline.has(to) ? this.#parts.mainPolicy.capacity : 0)
  }

  reply(token: ReplyTo<unknown>, value: unknown): void {
    this.sendReply(token, value, undefined)
  }

  fail(token: ReplyTo<unknown>, error: WireError): void {
    this.sendReply(token, undefined, error)
  }

  /** Sends a reply to whoever waits: the system thread, a peer worker, an inline actor (through the system thread) or this actor itself. */
  sendReply(token: ReplyTo<unknown>, value: unknown, error: WireError | undefined): void {
    if (token.to === this.#parts.id) {
      queueMicrotask(() => this.#parts.settle(token.cid, value, error))
      return
    }
    const frame: { k: typeof K.reply; c: number; v?: unknown; e?: WireError; to?: string } = error !== undefined ? { k: K.reply, c: token.cid, e: error } : { k: K.reply, c: token.cid, v: value }
    if (token.to === MAIN) this.main.force(frame)
    else if (this.links.has(token.to)) this.links.get(token.to)!.force(frame)
    else if (this.#inline.has(token.to)) {
      frame.to = token.to
      this.main.force(frame)
    }
  }

  // --- Directory (what the system thread tells this thread) ---

  /** A peer worker (re)started: a new channel to it (a link that held messages meanwhile resumes). */
  peerUp(id: string, port: MessagePort, mailbox: LinkPolicy): void {
    const existing = this.links.get(id)
    this.#gone.delete(id)
    if (existing !== undefined && !existing.closed) {
      existing.policy = mailbox
      existing.attach(port)
    } else this.links.set(id, new Link(port, mailbox, this.#handlers(id)))
  }

  /** A peer's thread died and will restart: hold what is sent to it. */
  peerDown(id: string): void {
    this.links.get(id)?.markDown()
  }

  /** A peer stopped or escalated for good: what was queued for it is counted, later sends report `stopped`. */
  peerGone(id: string): void {
    const l = this.links.get(id)
    if (l !== undefined) {
      const before = l.lost
      l.close()
      if (l.lost > before) this.#parts.reports.undeliverable(id, 'stopped', '(queued)', l.lost - before)
    }
    this.links.delete(id)
    this.#inline.delete(id)
    this.#markGone(id)
  }

  /** An inline actor started (`main`) or ended (`gone`). */
  inlineActor(id: string, where: 'main' | 'gone'): void {
    if (where === 'main') {
      this.#inline.add(id)
      this.#gone.delete(id)
    } else {
      this.#inline.delete(id)
      this.#markGone(id)
    }
  }

  /** Resolves when everything this thread sent toward `id` was handled. */
  idleTo(id: string): Promise<void> {
    return this.links.get(id)?.idle() ?? Promise.resolve()
  }

  /** Every link's counters (for the actor's stats), by peer id. */
  linkStats(): Record<string, LinkStats> {
    const out: Record<string, LinkStats> = {}
    for (const [peer, l] of this.links) out[peer] = l.stats()
    return out
  }

  /** Resolves when every link is idle or `timeoutMs` passed (what the exit work sent reaches its targets). */
  async flush(timeoutMs: number): Promise<void> {
    const outgoing = [...this.links.values(), this.main].map((l) => l.idle())
    await Promise.race([Promise.all(outgoing), new Promise((r) => setTimeout(r, timeoutMs).unref())])
  }

  close(): void {
    this.main.close()
    for (const l of this.links.values()) l.close()
  }

  /**
   * `target` is gone for good: later sends report `stopped`, and asks still waiting on it fail now
   * (their requests were posted to a thread that will not answer), whatever else the system
   * thread reports about it and in whatever order the two ports deliver.
   */
  #markGone(target: string): void {
    this.#gone.add(target)
    this.#parts.targetGone(target)
  }

  // --- What arrives on a link ---

  #handlers(peer: string) {
    return {
      onItem: this.#onItem,
      onOverflow: (kind: OverflowKind, dropped?: unknown) => this.#onOverflow(peer, kind, dropped),
      onBatchEnd: this.#parts.batchEnd,
      onUnsendable: (item: unknown, err: unknown) => this.#onUnsendable(peer, item, err),
      receiveWindow: this.#parts.receiveWindow,
    }
  }

  readonly #onItem = (item: unknown): void => {
    const msg = item as { type?: unknown; k?: unknown; c?: number; v?: unknown; e?: WireError }
    if (typeof msg.type === 'string') this.#parts.offer(msg as Message)
    else if (msg.k === K.reply) this.#parts.settle(msg.c!, msg.v, msg.e)
    else if (typeof msg.k === 'number') this.#parts.runtimeItem(msg as { k: number })
  }

  #onOverflow(to: string, kind: OverflowKind, dropped: unknown): void {
    this.#parts.reports.overflow(to, kind)
    // A request displaced from the mailbox (drop-oldest) fails its ask now, not at its timeout.
    const token = dropped === undefined ? undefined : requestOf(dropped)
    if (token !== undefined) {
      const target = to === MAIN ? String((dropped as { to?: unknown }).to) : to
      this.sendReply(token, undefined, toWireError(new MailboxFullError(target, this.links.get(to)?.policy.capacity ?? this.#parts.mainPolicy.capacity)))
    }
  }

  #onUnsendable(peer: string, item: unknown, err: unknown): void {
    const it = item as { type?: unknown; k?: number; c?: number; to?: string; m?: { type?: unknown; replyTo?: ReplyTo<unknown> }; replyTo?: ReplyTo<unknown> }
    const type = String(it?.type ?? it?.m?.type ?? `reply to ask ${String(it?.c)}`)
    const error = toWireError(new InvalidMessageError(peer, type, `cannot be sent to another thread: ${toWireError(err).message}`))
    // A reply that cannot travel still answers its ask, with the error.
    if (it?.k === K.reply) this.sendReply({ to: it.to ?? peer, cid: it.c! } as ReplyTo<unknown>, undefined, error)
    // An ask whose request cannot travel fails at once instead of timing out.
    const replyTo = it?.replyTo ?? it?.m?.replyTo
    if (replyTo !== undefined && replyTo !== null && typeof replyTo === 'object') this.sendReply(replyTo, undefined, error)
    this.#parts.post({ k: K.invalid, error, messageType: type })
  }
}
