/**
 * The piggyback lease, consumer side: the broadcasts gossip-queue lets swim piggyback, held in
 * swim's own state so a packet (an ack above all) is filled and sent in the same turn, without a
 * cross-thread ask. gossip-queue stays the owner of the queues and their transmit limits: it pushes
 * `gossip.lease` (the front of each queue, bounded) whenever that changes, and swim reports what it
 * sent with `gossip.sent`, after the fact.
 *
 * The transmit limit holds exactly, not approximately: the lease's `transmits` count the reports
 * gossip-queue has applied (`appliedReport`); this side keeps the reports it sent since, and the
 * sends not yet reported, and replays both over every newer lease. So the count an entry is picked
 * against is never below the true one, and no broadcast is sent more than its limit allows. Should
 * gossip-queue stop applying reports (a stuck or dead actor), at most MAX_UNAPPLIED_REPORTS wait;
 * past that nothing is piggybacked (counted in `starved`) until a lease catches up.
 *
 * The pick is TransmitQueue.fill's, on the lease: queues in order, tier by tier from the fewest
 * transmits, repeatedly the largest message that still fits (ties: the newest), charging
 * `overheadBytes + length` each; one packet never carries an entry twice.
 *
 * Pure: plain data in, plain data out; the caller owns sending the report.
 */
import type { GossipQueueName, LeaseEntry, LeaseMsg, LeaseSentMsg } from '../../actors/gossip-queue/protocol.ts'
import { GOSSIP_QUEUE_NAMES } from '../../actors/gossip-queue/protocol.ts'

/** Reports sent but not yet applied by a lease, at most: past this, piggybacking pauses. */
export const MAX_UNAPPLIED_REPORTS = 64

export interface LeaseCounters {
  /** Leases taken. */
  leases: number
  /** Leases ignored: older than the one held (reordered) in the same epoch. */
  staleLeases: number
  /** Packets that went without piggyback because MAX_UNAPPLIED_REPORTS reports waited. */
  starved: number
  /** Parts piggybacked from the lease. */
  piggybacked: number
  /** Reports sent. */
  reports: number
}

/** What swim holds: the last lease, with its own sends replayed over it. */
export interface PiggybackLease {
  epoch: number
  version: number
  limits: Record<GossipQueueName, number>
  /** The lease's entries, `transmits` including this side's sends since `appliedReport`. */
  entries: readonly LeaseEntry[]
  /** Sends not yet reported: entry id -> times. */
  pending: ReadonlyMap<number, number>
  /** Per queue, the largest room offered since the last report (-1 = none). */
  room: Partial<Record<GossipQueueName, number>>
  /** The last report number used in this epoch (0 = none yet). */
  lastReport: number
  /** Reports sent and not yet applied by a lease, oldest first. */
  unapplied: readonly LeaseSentMsg[]
  counters: LeaseCounters
}

const NO_LIMITS = Object.fromEntries(GOSSIP_QUEUE_NAMES.map((q) => [q, 0])) as Record<GossipQueueName, number>

/** Before any lease: nothing to piggyback. */
export function emptyLease(): PiggybackLease {
  return {
    epoch: 0,
    version: 0,
    limits: NO_LIMITS,
    entries: [],
    pending: new Map(),
    room: {},
    lastReport: 0,
    unapplied: [],
    counters: { leases: 0, staleLeases: 0, starved: 0, piggybacked: 0, reports: 0 },
  }
}

/** Adds `times` to the transmits of the entries named in `sends`. */
function replay(entries: readonly LeaseEntry[], sends: Iterable<readonly [number, number]>): LeaseEntry[] {
  const extra = new Map<number, number>()
  for (const [id, times] of sends) extra.set(id, (extra.get(id) ?? 0) + times)
  if (extra.size === 0) return [...entries]
  return entries.map((e) => {
    const more = extra.get(e.id)
    return more === undefined ? e : { ...e, transmits: e.transmits + more }
  })
}

/**
 * Takes a lease from gossip-queue. The same epoch: an older version is ignored; the reports it has
 * not applied yet, and the unreported sends, are replayed over it. A new epoch (gossip-queue
 * restarted, its ids start over): everything of the old one is dropped.
 */
export function acceptLease(held: PiggybackLease, msg: LeaseMsg): PiggybackLease {
  const counters = { ...held.counters }
  if (msg.epoch === held.epoch && msg.version <= held.version) {
    counters.staleLeases++
    return { ...held, counters }
  }
  counters.leases++
  if (msg.epoch !== held.epoch) {
    return { ...emptyLease(), epoch: msg.epoch, version: msg.version, limits: msg.limits, entries: msg.entries, counters }
  }
  const unapplied = held.unapplied.filter((r) => r.report > msg.appliedReport)
  const sends: Array<readonly [number, number]> = []
  for (const r of unapplied) sends.push(...r.sent)
  sends.push(...held.pending)
  return { ...held, version: msg.version, limits: msg.limits, entries: replay(msg.entries, sends), unapplied, counters }
}

/** Queue order: fewer transmits first, then longer messages, then newer (higher seq). */
function queueOrder(a: LeaseEntry, b: LeaseEntry): number {
  return a.transmits - b.transmits || b.message.length - a.message.length || b.seq - a.seq
}

/** The result of filling one packet from the lease. */
export interface LeasePick {
  held: PiggybackLease
  /** Messages to append as compound parts, in pick order. */
  parts: Uint8Array[]
  /** Bytes charged: overheadBytes + length per part. */
  usedBytes: number
}

/** Fills one packet's worth of broadcasts from the lease (see the file header for the order). */
export function pickForPacket(held: PiggybackLease, overheadBytes: number, limitBytes: number, queues: readonly GossipQueueName[] = GOSSIP_QUEUE_NAMES): LeasePick {
  const room = limitBytes - overheadBytes
  const roomSeen = { ...held.room }
  for (const q of queues) if (room > (roomSeen[q] ?? -1)) roomSeen[q] = room
  if (held.unapplied.length >= MAX_UNAPPLIED_REPORTS) {
    return { held: { ...held, room: roomSeen, counters: { ...held.counters, starved: held.counters.starved + 1 } }, parts: [], usedBytes: 0 }
  }
  const parts: Uint8Array[] = []
  const picked = new Set<number>()
  let used = 0
  for (const q of queues) {
    if (limitBytes - used - overheadBytes <= 0) break
    const limit = held.limits[q]
    // The queue's order: fewest transmits, then longest, then newest. The lease comes in this
    // order (replayed sends disturb it little), so the sort is close to linear.
    const open = held.entries.filter((e) => e.queue === q && e.transmits < limit).sort(queueOrder)
    // Within a tier, longest first: the first entry that fits is the largest that fits, and an
    // entry skipped as too long stays too long as the room shrinks, so one pass per tier picks
    // exactly what "repeatedly the largest that fits" would.
    for (const e of open) {
      const free = limitBytes - used - overheadBytes
      if (free <= 0) break
      if (e.message.length > free) continue
      picked.add(e.id)
      parts.push(e.message)
      used += overheadBytes + e.message.length
    }
  }
  if (parts.length === 0) return { held: { ...held, room: roomSeen }, parts, usedBytes: 0 }
  const pending = new Map(held.pending)
  for (const id of picked) pending.set(id, (pending.get(id) ?? 0) + 1)
  const entries = held.entries.map((e) => (picked.has(e.id) ? { ...e, transmits: e.transmits + 1 } : e))
  const counters = { ...held.counters, piggybacked: held.counters.piggybacked + parts.length }
  return { held: { ...held, entries, pending, room: roomSeen, counters }, parts, usedBytes: used }
}

/**
 * The report of the sends since the last one (undefined when there is nothing to say). The caller
 * sends it to gossip-queue; it stays in `unapplied` until a lease says it was counted.
 */
export function takeReport(held: PiggybackLease): { held: PiggybackLease; report: LeaseSentMsg | undefined } {
  const hasRoom = Object.keys(held.room).length > 0
  if (held.pending.size === 0 && !hasRoom) return { held, report: undefined }
  const report: LeaseSentMsg = { type: 'gossip.sent', epoch: held.epoch, report: held.lastReport + 1, sent: [...held.pending], room: held.room }
  const counters = { ...held.counters, reports: held.counters.reports + 1 }
  // A room-only report needs no replay: it is not kept as unapplied.
  const unapplied = held.pending.size === 0 ? held.unapplied : [...held.unapplied, report]
  return { held: { ...held, pending: new Map(), room: {}, lastReport: report.report, unapplied, counters }, report }
}
