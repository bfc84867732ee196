/**
 * QueueSet: the four broadcast queues of one node (memberlist's and Serf's intent, query and event
 * queues) and the composition of one packet from them (spec §4.10). Pure: the machine feeds it
 * messages and forwards the notifications it produces.
 */
import type { Broadcast, BroadcastFinishedMsg, GossipQueueName, QueueStats } from './protocol.ts'
import { GOSSIP_QUEUE_NAMES, USER_MESSAGE_TYPE_BYTE } from './protocol.ts'
import type { GossipQueueConfig } from './config.ts'
import { queueDepthLimit } from './config.ts'
import { TransmitQueue } from './transmit-queue.ts'

/** A notification to deliver: `to` is the actor named in the broadcast's `notify`. */
export interface PendingNotification {
  to: string
  msg: BroadcastFinishedMsg
}

/** What a queue check found, for the worker to log (machines do not log). */
export interface QueueCheckResult {
  pruned: Partial<Record<GossipQueueName, number>>
  /** Queues at or above queueDepthWarning after pruning, with their depth. */
  warnings: Partial<Record<GossipQueueName, number>>
}

type Notify = { to: string; id: string } | undefined

export class QueueSet {
  private readonly queues: Record<GossipQueueName, TransmitQueue<Notify>>
  private readonly oversized: Record<GossipQueueName, number>
  /** Notifications produced since the last `drainNotifications`. */
  private pending: PendingNotification[] = []

  constructor(private readonly config: GossipQueueConfig) {
    const make = (queue: GossipQueueName) =>
      new TransmitQueue<Notify>(config.retransmitMult, (item, outcome) => {
        if (item.tag !== undefined) {
          this.pending.push({ to: item.tag.to, msg: { type: 'gossip.broadcast-finished', queue, id: item.tag.id, outcome } })
        }
      })
    this.queues = { memberlist: make('memberlist'), 'serf-intent': make('serf-intent'), 'serf-query': make('serf-query'), 'serf-event': make('serf-event') }
    this.oversized = { memberlist: 0, 'serf-intent': 0, 'serf-query': 0, 'serf-event': 0 }
  }

  /**
   * Queues a broadcast. Serf messages get the memberlist `0x08` prefix here, once, so fills hand out
   * ready compound parts. Returns false (and counts it) when the message could never fit a packet.
   */
  enqueue(b: Broadcast): boolean {
    const q = this.queues[b.queue]
    const message = b.queue === 'memberlist' ? b.message : prefixUserType(b.message)
    if (message.length > this.config.maxMessageBytes || b.message.length === 0) {
      this.oversized[b.queue]++
      if (b.notify !== undefined) {
        this.pending.push({ to: b.notify.to, msg: { type: 'gossip.broadcast-finished', queue: b.queue, id: b.notify.id, outcome: 'pruned' } })
      }
      return false
    }
    const opts: { name?: string; unique?: boolean; tag: Notify } = { tag: b.notify }
    if (b.name !== undefined) opts.name = b.name
    if (b.unique !== undefined) opts.unique = b.unique
    q.enqueue(message, opts)
    if (q.depth > this.config.hardMaxDepth) q.prune(this.config.hardMaxDepth)
    return true
  }

  /** Cluster size from the table's owner: swim for memberlist's queue, member-manager for Serf's. */
  setClusterSize(source: 'memberlist' | 'serf', numNodes: number): void {
    if (!Number.isFinite(numNodes) || numNodes < 0) return
    const n = Math.floor(numNodes)
    if (source === 'memberlist') this.queues.memberlist.setNumNodes(n)
    else for (const name of GOSSIP_QUEUE_NAMES) if (name !== 'memberlist') this.queues[name].setNumNodes(n)
  }

  /** Fills one packet from `queues` in order; returns the parts and the bytes charged. */
  fill(overheadBytes: number, limitBytes: number, queues: readonly GossipQueueName[] = GOSSIP_QUEUE_NAMES): { parts: Uint8Array[]; usedBytes: number } {
    const parts: Uint8Array[] = []
    let used = 0
    for (const name of queues) {
      const remaining = limitBytes - used
      if (remaining - overheadBytes <= 0) break
      used += this.queues[name].fill(overheadBytes, remaining, parts)
    }
    return { parts, usedBytes: used }
  }

  /** Serf's periodic queue check: prune each queue to its depth limit and report warnings. */
  check(): QueueCheckResult {
    const result: QueueCheckResult = { pruned: {}, warnings: {} }
    for (const name of GOSSIP_QUEUE_NAMES) {
      const q = this.queues[name]
      const dropped = q.prune(queueDepthLimit(this.config, q.clusterSize))
      if (dropped > 0) result.pruned[name] = dropped
      if (q.depth >= this.config.queueDepthWarning) result.warnings[name] = q.depth
    }
    return result
  }

  /** Drops everything (shutdown); counted as pruned, notifications produced. */
  reset(): void {
    for (const name of GOSSIP_QUEUE_NAMES) this.queues[name].prune(0)
  }

  drainNotifications(): PendingNotification[] {
    const out = this.pending
    this.pending = []
    return out
  }

  depth(name: GossipQueueName): number {
    return this.queues[name].depth
  }

  /** The queue itself, for tests and stats. */
  queue(name: GossipQueueName): TransmitQueue<Notify> {
    return this.queues[name]
  }

  stats(): Record<GossipQueueName, QueueStats> {
    const one = (name: GossipQueueName): QueueStats => {
      const q = this.queues[name]
      return { depth: q.depth, retransmitLimit: q.retransmitLimit, numNodes: q.clusterSize, ...q.counters, oversized: this.oversized[name] }
    }
    return { memberlist: one('memberlist'), 'serf-intent': one('serf-intent'), 'serf-query': one('serf-query'), 'serf-event': one('serf-event') }
  }
}

function prefixUserType(serfMessage: Uint8Array): Uint8Array {
  const out = new Uint8Array(serfMessage.length + 1)
  out[0] = USER_MESSAGE_TYPE_BYTE
  out.set(serfMessage, 1)
  return out
}
