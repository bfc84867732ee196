/**
 * A gossip-queue stand-in for swim's tests: memberlist's broadcast queue as lease entries, pushing
 * `gossip.lease` to its subscriber after every change and applying `gossip.sent` reports as
 * transmits (a broadcast that reaches its limit leaves, its waiter told 'transmitted'). It counts
 * every transmit per message, so a test can check that no broadcast went past its limit.
 *
 * Not gossip-queue's producer (another actor builds that): only what swim needs to be tested
 * against leases we construct, with the limit rule of transmit-queue.ts.
 */
import type { BroadcastFinishedMsg, GossipQueueInbound, GossipQueueName, LeaseEntry, LeaseMsg } from '../../../../actors/gossip-queue/protocol.ts'
import { GOSSIP_QUEUE_NAMES } from '../../../../actors/gossip-queue/protocol.ts'
import { retransmitLimit } from '../../../../actors/gossip-queue/transmit-queue.ts'

interface Held extends LeaseEntry {
  name: string | undefined
  notify: { to: string; id: string } | undefined
}

export interface LeaseProducerOptions {
  retransmitMult?: number
  /** Epoch of the leases (a restarted gossip-queue takes another). */
  epoch?: number
  /** Receives every lease and notification (the test delivers them, e.g. on a microtask). */
  deliver: (to: string, msg: LeaseMsg | BroadcastFinishedMsg) => void
  /** When false, messages are recorded but nothing is answered (a stuck gossip-queue). */
  answers?: boolean
}

export class LeaseProducer {
  readonly received: GossipQueueInbound[] = []
  /** Transmits applied from reports, per broadcast message (hex), for limit checks. */
  readonly transmitsByMessage = new Map<string, number>()
  /** The largest limit a broadcast had while it was queued, per message (hex). */
  readonly limitByMessage = new Map<string, number>()
  subscriber: string | undefined
  version = 0
  appliedReport = 0
  private nextId = 1
  private seq = 0
  private numNodes = 0
  private readonly entries = new Map<number, Held>()
  readonly epoch: number
  answers: boolean

  constructor(private readonly options: LeaseProducerOptions) {
    this.epoch = options.epoch ?? 1
    this.answers = options.answers ?? true
  }

  get limit(): number {
    return retransmitLimit(this.options.retransmitMult ?? 4, this.numNodes)
  }

  /** The lease as it stands (what the next `gossip.lease` would carry). */
  lease(): LeaseMsg {
    const limits = Object.fromEntries(GOSSIP_QUEUE_NAMES.map((q) => [q, this.limit])) as Record<GossipQueueName, number>
    const entries: LeaseEntry[] = [...this.entries.values()].map(({ id, queue, message, transmits, seq }) => ({ id, queue, message, transmits, seq }))
    return { type: 'gossip.lease', epoch: this.epoch, version: ++this.version, appliedReport: this.appliedReport, limits, entries, leftOut: 0 }
  }

  depth(): number {
    return this.entries.size
  }

  /** A message from swim. */
  receive(msg: GossipQueueInbound): void {
    this.received.push(msg)
    if (!this.answers) return
    switch (msg.type) {
      case 'gossip.lease-subscribe':
        this.subscriber = msg.to
        break
      case 'gossip.enqueue': {
        const b = msg.broadcast
        if (b.name !== undefined) {
          for (const e of this.entries.values()) if (e.name === b.name && e.queue === b.queue) this.leave(e, 'invalidated')
        }
        const id = this.nextId++
        this.entries.set(id, { id, queue: b.queue, message: b.message, transmits: 0, seq: this.seq++, name: b.name, notify: b.notify })
        this.limitByMessage.set(hex(b.message), this.limit)
        break
      }
      case 'gossip.cluster-size':
        if (msg.source === 'memberlist') this.numNodes = msg.numNodes
        for (const e of this.entries.values()) this.limitByMessage.set(hex(e.message), Math.max(this.limitByMessage.get(hex(e.message)) ?? 0, this.limit))
        break
      case 'gossip.sent': {
        if (msg.epoch !== this.epoch || msg.report <= this.appliedReport) return
        for (const [id, times] of msg.sent) {
          const e = this.entries.get(id)
          if (e === undefined) continue
          e.transmits += times
          const key = hex(e.message)
          this.transmitsByMessage.set(key, (this.transmitsByMessage.get(key) ?? 0) + times)
          if (e.transmits >= this.limit) this.leave(e, 'transmitted')
        }
        this.appliedReport = msg.report
        break
      }
      default:
        return
    }
    if (this.subscriber !== undefined) this.options.deliver(this.subscriber, this.lease())
  }

  private leave(e: Held, outcome: BroadcastFinishedMsg['outcome']): void {
    this.entries.delete(e.id)
    if (e.notify !== undefined) this.options.deliver(e.notify.to, { type: 'gossip.broadcast-finished', queue: e.queue, id: e.notify.id, outcome })
  }
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex')
}
