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
  /** Dropped by depth pruning. */
  pruned: Partial<Record<GossipQueueName, number>>
  /** Dropped because no fill since the previous check offered room for them (also counted as pruned). */
  unsendable: Partial<Record<GossipQueueName, number>>
  /** Queues at or above queueDepthWarning after pruning, with their depth. */
  warnings: Partial<Record<GossipQueueName, number>>
}

/** What a restart lost: broadcasts that were queued in a QueueSet that is being replaced. */
export interface AbandonResult {
  lost: Partial<Record<GossipQueueName, number>>
  total: number
}

type Notify = { to: string; id: string } | undefined

/** The two sources of a cluster size: swim's node table and member-manager's member table. */
export type ClusterSizeSource = 'memberlist' | 'serf'

export class QueueSet {
  private readonly queues: Record<GossipQueueName, TransmitQueue<Notify>>
  private readonly oversized: Record<GossipQueueName, number>
  /** Sources that told us a size; until then the queues use the floor of retransmitLimit. */
  private readonly sizeKnown: Record<ClusterSizeSource, boolean> = { memberlist: false, serf: false }
  /**
   * Per queue, the largest room for one broadcast (limitBytes − overheadBytes) offered by a fill that
   * drew on it since the last check; −1 = no such fill.
   */
  private readonly roomSinceCheck: Record<GossipQueueName, number> = { memberlist: -1, 'serf-intent': -1, 'serf-query': -1, 'serf-event': -1 }
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

  /**
   * Cluster size from the table's owner: swim for memberlist's queue, member-manager for Serf's.
   * Returns the size now in use (a whole number), or undefined if `numNodes` was refused.
   */
  setClusterSize(source: ClusterSizeSource, numNodes: number): number | undefined {
    if (!Number.isFinite(numNodes) || numNodes < 0) return undefined
    const n = Math.floor(numNodes)
    if (source === 'memberlist') this.queues.memberlist.setNumNodes(n)
    else for (const name of GOSSIP_QUEUE_NAMES) if (name !== 'memberlist') this.queues[name].setNumNodes(n)
    this.sizeKnown[source] = true
    return n
  }

  /** Fills one packet from `queues` in order; returns the parts and the bytes charged. */
  fill(overheadBytes: number, limitBytes: number, queues: readonly GossipQueueName[] = GOSSIP_QUEUE_NAMES): { parts: Uint8Array[]; usedBytes: number } {
    const parts: Uint8Array[] = []
    let used = 0
    const room = limitBytes - overheadBytes
    for (const name of queues) if (room > this.roomSinceCheck[name]) this.roomSinceCheck[name] = room
    for (const name of queues) {
      const remaining = limitBytes - used
      if (remaining - overheadBytes <= 0) break
      used += this.queues[name].fill(overheadBytes, remaining, parts)
    }
    return { parts, usedBytes: used }
  }

  /**
   * Serf's periodic queue check: prune each queue to its depth limit and report warnings.
   *
   * Not in Serf or memberlist: first, a broadcast longer than the largest room any fill offered its
   * queue since the previous check leaves as 'pruned' (counted as `unsendable`, its waiter notified).
   * Fill skips what does not fit and takes smaller ones, so a too-long broadcast is never handed
   * out; it would otherwise sit at the front of its tier (pruned last) and its waiter would never
   * hear. That happens when maxMessageBytes allows more than the packets can carry, e.g. the
   * plaintext 1,396 under encryption (1,367 fit: see gossipQueueConfigFor). Fill budgets are set
   * by config, and swim fills at least every gossip tick, so one check interval of fills is a fair
   * sample; a window without fills (no peers) or whose fills offered no room drops nothing.
   */
  check(): QueueCheckResult {
    const result: QueueCheckResult = { pruned: {}, unsendable: {}, warnings: {} }
    for (const name of GOSSIP_QUEUE_NAMES) {
      const q = this.queues[name]
      const room = this.roomSinceCheck[name]
      this.roomSinceCheck[name] = -1
      if (room > 0) {
        const unsendable = q.dropLongerThan(room)
        if (unsendable > 0) result.unsendable[name] = unsendable
      }
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

  /**
   * For a restart that replaces this QueueSet: counts what is queued and produces a 'pruned'
   * notification for every waiter, so nobody waits on a broadcast that no longer exists. Reads
   * only (the set may be half-way through the operation that crashed), and stops at the first
   * item it cannot read; the caller then drops this set.
   */
  abandon(): AbandonResult {
    const result: AbandonResult = { lost: {}, total: 0 }
    for (const name of GOSSIP_QUEUE_NAMES) {
      let n = 0
      for (const item of this.queues[name].ordered()) {
        if (item === undefined) break
        n++
        if (item.tag !== undefined) this.pending.push({ to: item.tag.to, msg: { type: 'gossip.broadcast-finished', queue: name, id: item.tag.id, outcome: 'pruned' } })
      }
      if (n > 0) result.lost[name] = n
      result.total += n
    }
    return result
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
      const sizeKnown = this.sizeKnown[name === 'memberlist' ? 'memberlist' : 'serf']
      return { depth: q.depth, retransmitLimit: q.retransmitLimit, numNodes: q.clusterSize, sizeKnown, ...q.counters, oversized: this.oversized[name] }
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
