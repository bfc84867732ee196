/**
 * The piggyback lease, producer side: what gossip-queue pushes to its subscriber (swim) so that a
 * packet is filled in swim's own turn, without a cross-thread ask (protocol.ts `gossip.lease`; the
 * consumer is src/broadcast/piggyback-lease.ts), and the report (`gossip.sent`) that comes back.
 * Pure: built from, and applied to, the core's state.
 *
 * The lease is the front of each queue in queue order (memberlist, then Serf's intent, query and
 * event queues), bounded by leaseMaxEntries and leaseMaxBytes: within a queue, entries are taken in
 * queue order until the next one does not fit the bytes left; the next queue then gets the rest.
 * With every queued broadcast inside the bounds (leftOut 0), the consumer picks exactly what a fill
 * would; with some left out it picks among the front, which is where a fill starts too.
 */
import type { GossipQueueName, LeaseEntry, LeaseMsg, LeaseSentMsg } from './protocol.ts'
import { GOSSIP_QUEUE_NAMES } from './protocol.ts'
import type { GossipEffect, GossipQueueState } from './state.ts'
import { earlyTell, leaseChanged, limitOf, noteRoom, notifier, tellLimitOf } from './state.ts'
import { countTransmits, orderedItems } from './transmit-queue.ts'

export function buildLease(state: GossipQueueState): LeaseMsg {
  const { leaseMaxEntries, leaseMaxBytes } = state.config
  const entries: LeaseEntry[] = []
  const limits = {} as Record<GossipQueueName, number>
  let bytes = 0
  let depth = 0
  for (const name of GOSSIP_QUEUE_NAMES) {
    limits[name] = limitOf(state, name)
    const q = state.queues[name].items
    const waiting = state.queues[name].waiting
    const tellAt = tellLimitOf(state, name)
    depth += q.size
    if (entries.length >= leaseMaxEntries) continue
    for (const item of orderedItems(q)) {
      if (entries.length >= leaseMaxEntries || bytes + item.message.length > leaseMaxBytes) break
      const entry: LeaseEntry = { id: item.entry, queue: name, message: item.message, transmits: item.transmits, seq: item.id }
      if (Object.hasOwn(waiting, item.entry)) entry.tellAt = tellAt
      entries.push(entry)
      bytes += item.message.length
    }
  }
  const { epoch, version, appliedReport } = state.lease
  return { type: 'gossip.lease', epoch, version, appliedReport, limits, entries, leftOut: depth - entries.length }
}

/**
 * A `gossip.sent` report: each (entry id, times) counted as that many fills handing it out would
 * have (transmitted at the limit, its waiter told). Reports of another epoch, at or below the last
 * applied number, and ids no longer queued are counted and otherwise ignored. A report past a gap
 * is applied (the missing ones are counted as missed): its sends happened, and holding it back
 * would leave the consumer waiting for an acknowledgement that never comes.
 */
export function applyReport(state: GossipQueueState, msg: LeaseSentMsg, effects: GossipEffect[]): void {
  const lease = state.lease
  if (msg.epoch !== lease.epoch) {
    lease.stats.reportsOtherEpoch++
    return
  }
  if (msg.report <= lease.appliedReport) {
    lease.stats.reportsStale++
    return
  }
  lease.stats.reportsMissed += msg.report - lease.appliedReport - 1
  lease.appliedReport = msg.report
  lease.stats.reportsApplied++
  for (const [id, times] of msg.sent) {
    let found = false
    for (const name of GOSSIP_QUEUE_NAMES) {
      const q = state.queues[name].items
      const item = q.byEntry.get(id)
      if (item === undefined) continue
      lease.stats.overLimit += countTransmits(q, item, times, limitOf(state, name), notifier(state, name, effects), earlyTell(state, name, effects))
      found = true
      break
    }
    if (!found) lease.stats.unknownIds++
  }
  for (const name of GOSSIP_QUEUE_NAMES) {
    const room = msg.room[name]
    if (room !== undefined) noteRoom(state, [name], room)
  }
  // Always a new lease: it tells the consumer the report was counted (appliedReport).
  leaseChanged(state, effects)
}
