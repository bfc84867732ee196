/**
 * The piggyback lease, producer side: what gossip-queue pushes to its subscriber (swim) so that a
 * packet is filled in swim's own turn, without a cross-thread ask (protocol.ts `gossip.lease`; the
 * consumer is src/broadcast/piggyback-lease.ts). Pure: built from the core's state.
 *
 * The lease is the front of each queue in queue order (memberlist, then Serf's intent, query and
 * event queues), bounded by leaseMaxEntries and leaseMaxBytes: within a queue, entries are taken in
 * queue order until the next one does not fit the bytes left; the next queue then gets the rest.
 * With every queued broadcast inside the bounds (leftOut 0), the consumer picks exactly what a fill
 * would; with some left out it picks among the front, which is where a fill starts too.
 */
import type { GossipQueueName, LeaseEntry, LeaseMsg } from './protocol.ts'
import { GOSSIP_QUEUE_NAMES } from './protocol.ts'
import type { GossipQueueState } from './core.ts'
import { limitOf } from './core.ts'
import { orderedItems } from './transmit-queue.ts'

export function buildLease(state: GossipQueueState): LeaseMsg {
  const { leaseMaxEntries, leaseMaxBytes } = state.config
  const entries: LeaseEntry[] = []
  const limits = {} as Record<GossipQueueName, number>
  let bytes = 0
  let depth = 0
  for (const name of GOSSIP_QUEUE_NAMES) {
    limits[name] = limitOf(state, name)
    const q = state.queues[name].items
    depth += q.size
    if (entries.length >= leaseMaxEntries) continue
    for (const item of orderedItems(q)) {
      if (entries.length >= leaseMaxEntries || bytes + item.message.length > leaseMaxBytes) break
      entries.push({ id: item.entry, queue: name, message: item.message, transmits: item.transmits, seq: item.id })
      bytes += item.message.length
    }
  }
  const { epoch, version, appliedReport } = state.lease
  return { type: 'gossip.lease', epoch, version, appliedReport, limits, entries, leftOut: depth - entries.length }
}
