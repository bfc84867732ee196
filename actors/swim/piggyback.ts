/**
 * swim's side of the piggyback lease (src/broadcast/piggyback-lease.ts holds the pure consumer):
 * what swim holds, how it is shown and persisted, how `gossip.lease` messages are checked, and
 * when the batched `gossip.sent` report goes.
 *
 * Tell, don't ask: gossip-queue pushes `gossip.lease` (the broadcasts swim may piggyback, with
 * their transmit counts and limits) after swim's `gossip.lease-subscribe`, and every outgoing
 * packet is filled from the lease in the same turn: no packet, an ack least of all, waits on
 * another thread. What swim piggybacked goes back as one `gossip.sent` report per window
 * (reportDelayMs, half a gossip interval), not one message per packet; a window that only offered
 * room (the packets had nothing to carry) is reported ten times less often (roomReportDelayMs).
 *
 * Persistence: the lease's entries are not persisted (gossip-queue sends a fresh lease at every
 * subscribe, and they would make every snapshot several KiB larger); the report numbering, the
 * unreported sends and the unapplied reports are, so a node restored in a new thread numbers on
 * and replays its sends over the next lease instead of letting a broadcast overshoot its limit.
 */
import type { GossipQueueName, LeaseEntry, LeaseMsg, LeaseSentMsg } from '../gossip-queue/protocol.ts'
import { GOSSIP_QUEUE_NAMES } from '../gossip-queue/protocol.ts'
import type { LeaseCounters, PiggybackLease } from '../../src/broadcast/piggyback-lease.ts'
import { emptyLease } from '../../src/broadcast/piggyback-lease.ts'
import type { SwimConfig } from './config.ts'

/** Timer key of the batched `gossip.sent` report; the node's own keys never take this one. */
export const LEASE_REPORT_TIMER = 'lease-report'

/**
 * How long sends wait to be reported (ms): half a gossip interval (100 ms on LAN), or half a probe
 * interval when gossip is off. Under load that is one report per window instead of one per packet;
 * gossip-queue learns of finished broadcasts (and tells a leave's waiter) at most this late.
 */
export function reportDelayMs(config: Pick<SwimConfig, 'gossipIntervalMs' | 'gossipNodes' | 'probeIntervalMs'>): number {
  const base = config.gossipNodes > 0 && config.gossipIntervalMs > 0 ? config.gossipIntervalMs : config.probeIntervalMs
  return Math.max(1, Math.floor(base / 2))
}

/**
 * How long a report waits when the window piggybacked nothing and only offered room (ms): ten
 * report windows (1 s on LAN). gossip-queue's unsendable check needs the room once per check
 * (queueCheckIntervalMs, 30 s by default), not per packet: an idle node sends one report a second,
 * not ten.
 */
export function roomReportDelayMs(config: Pick<SwimConfig, 'gossipIntervalMs' | 'gossipNodes' | 'probeIntervalMs'>): number {
  return 10 * reportDelayMs(config)
}

/** The lease as the context shows and persists it: everything but the entries' bytes. */
export interface LeaseView {
  epoch: number
  version: number
  /** Entries held (the lease's, not persisted: the next lease brings them). */
  entries: number
  /** The last report number used in this epoch. */
  lastReport: number
  /** Sends not yet reported: [entry id, times]. */
  pending: Array<[number, number]>
  /** Reports sent and not yet applied by a lease (at most MAX_UNAPPLIED_REPORTS). */
  unapplied: LeaseSentMsg[]
  counters: LeaseCounters
}

export function leaseView(held: PiggybackLease): LeaseView {
  return {
    epoch: held.epoch,
    version: held.version,
    entries: held.entries.length,
    lastReport: held.lastReport,
    pending: [...held.pending],
    unapplied: [...held.unapplied],
    counters: { ...held.counters },
  }
}

export const NO_LEASE: LeaseView = leaseView(emptyLease())

/**
 * The lease to go on with after a restore. A runner that holds the same epoch and numbering (a
 * restart in place) keeps its own; a fresh one (a new thread) takes the persisted view, without
 * entries until the next lease, which the subscribe at start brings. It numbers on one past the
 * persisted number: a thread that died in the turn that sent a report persisted the number before
 * it, and gossip-queue would drop a second report with that number as stale (losing its sends);
 * a skipped number is only counted there as missed.
 */
export function resumeLease(held: PiggybackLease, persisted: LeaseView | undefined): PiggybackLease {
  if (persisted === undefined || persisted.epoch === 0) return held
  if (held.epoch === persisted.epoch && held.lastReport >= persisted.lastReport) return held
  return {
    ...emptyLease(),
    epoch: persisted.epoch,
    version: persisted.version,
    lastReport: persisted.lastReport + 1,
    pending: new Map(persisted.pending),
    unapplied: [...persisted.unapplied],
    counters: { ...persisted.counters },
  }
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0

function entryProblem(e: unknown, i: number): string | undefined {
  if (typeof e !== 'object' || e === null) return `gossip.lease entries[${i}] must be an object`
  const x = e as Partial<LeaseEntry>
  if (!isCount(x.id) || !isCount(x.transmits) || !isCount(x.seq)) return `gossip.lease entries[${i}] needs id, transmits and seq (integers >= 0)`
  if (!GOSSIP_QUEUE_NAMES.includes(x.queue as GossipQueueName)) return `gossip.lease entries[${i}].queue must be one of ${GOSSIP_QUEUE_NAMES.join(', ')}`
  if (!(x.message instanceof Uint8Array) || x.message.length === 0) return `gossip.lease entries[${i}].message must be non-empty bytes`
  if (x.tellAt !== undefined && !isCount(x.tellAt)) return `gossip.lease entries[${i}].tellAt must be an integer >= 0 when given`
  return undefined
}

/** Why a `gossip.lease` is malformed (the definition refuses it, coded), or undefined. */
export function leaseProblem(msg: Partial<LeaseMsg>): string | undefined {
  if (!isCount(msg.epoch) || !isCount(msg.version) || !isCount(msg.appliedReport)) return 'gossip.lease needs epoch, version and appliedReport (integers >= 0)'
  if (typeof msg.limits !== 'object' || msg.limits === null || !GOSSIP_QUEUE_NAMES.every((q) => isCount(msg.limits![q]))) {
    return `gossip.lease needs limits for ${GOSSIP_QUEUE_NAMES.join(', ')} (integers >= 0)`
  }
  if (!Array.isArray(msg.entries)) return 'gossip.lease needs entries (an array)'
  for (let i = 0; i < msg.entries.length; i++) {
    const problem = entryProblem(msg.entries[i], i)
    if (problem !== undefined) return problem
  }
  return undefined
}
