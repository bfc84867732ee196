/**
 * QueueSet: the gossip-queue core (core.ts, queues.ts, lease.ts) held as an object, for code that composes a node
 * without actors (the simulator, swim's net-node tests) and for tests of the queues on their own.
 * Every method is the core's own function on the state it holds; the gossip-queue machine runs the
 * same core with the state as its context.
 */
import type { Broadcast, BroadcastFinishedMsg, GossipQueueName, LeaseMsg, LeaseSentMsg, QueueStats } from './protocol.ts'
import { GOSSIP_QUEUE_NAMES } from './protocol.ts'
import type { GossipQueueConfig } from './config.ts'
import type { ClusterSizeSource, GossipEffect, GossipQueueState, Notify } from './state.ts'
import { initialState } from './state.ts'
import type { QueueCheckResult } from './queues.ts'
import { abandonQueues, checkQueues, enqueueBroadcast, fillPacket, resetQueues, setClusterSize, statsOf } from './queues.ts'
import { applyReport, buildLease } from './lease.ts'
import { orderedItems, type QueuedBroadcast } from './transmit-queue.ts'

export type { ClusterSizeSource } from './state.ts'
export type { QueueCheckResult } from './queues.ts'

/** A notification to deliver: `to` is the actor named in the broadcast's `notify`. */
export interface PendingNotification {
  to: string
  msg: BroadcastFinishedMsg
}

/** What a restart lost: broadcasts that were queued in a QueueSet that is being replaced. */
export interface AbandonResult {
  lost: Partial<Record<GossipQueueName, number>>
  total: number
}

export class QueueSet {
  readonly state: GossipQueueState
  /** Effects produced since the last `drainNotifications` (tells only are kept). */
  private effects: GossipEffect[] = []

  constructor(config: GossipQueueConfig, epoch = 1) {
    this.state = initialState(config, epoch, 0)
  }

  /** Queues a broadcast; false (counted, waiter told) when it could never fit a packet. */
  enqueue(b: Broadcast): boolean {
    return enqueueBroadcast(this.state, b, this.effects)
  }

  /** Cluster size from the table's owner; the size now in use, or undefined if refused. */
  setClusterSize(source: ClusterSizeSource, numNodes: number): number | undefined {
    return setClusterSize(this.state, source, numNodes, this.effects)
  }

  /** Fills one packet from `queues` in order; returns the parts and the bytes charged. */
  fill(overheadBytes: number, limitBytes: number, queues: readonly GossipQueueName[] = GOSSIP_QUEUE_NAMES): { parts: Uint8Array[]; usedBytes: number } {
    return fillPacket(this.state, overheadBytes, limitBytes, queues, this.effects)
  }

  /** The lease a subscriber would get now. */
  lease(): LeaseMsg {
    return buildLease(this.state)
  }

  /** Applies a lease report (`gossip.sent`). */
  applySent(msg: LeaseSentMsg): void {
    applyReport(this.state, msg, this.effects)
  }

  /** Serf's periodic queue check (see core.ts checkQueues). */
  check(): QueueCheckResult {
    return checkQueues(this.state, this.effects)
  }

  /** Drops everything (shutdown); counted as pruned, notifications produced. */
  reset(): void {
    resetQueues(this.state, this.effects)
  }

  /** For a restart that replaces this set: counts what is queued and tells every waiter 'pruned', without changing the set. */
  abandon(): AbandonResult {
    const result: AbandonResult = { lost: {}, total: 0 }
    for (const name of GOSSIP_QUEUE_NAMES) {
      const n = this.state.queues[name].items.size
      if (n > 0) result.lost[name] = n
      result.total += n
    }
    abandonQueues(this.state.queues, this.effects)
    return result
  }

  drainNotifications(): PendingNotification[] {
    const out: PendingNotification[] = []
    for (const e of this.effects) if (e.type === 'tell') out.push({ to: e.to, msg: e.msg })
    this.effects = []
    return out
  }

  depth(name: GossipQueueName): number {
    return this.state.queues[name].items.size
  }

  /** The queued items of one queue, in queue order. */
  ordered(name: GossipQueueName): IterableIterator<QueuedBroadcast<Notify>> {
    return orderedItems(this.state.queues[name].items)
  }

  stats(): Record<GossipQueueName, QueueStats> {
    return statsOf(this.state)
  }
}
