/**
 * The piggyback lease as swim's runner holds it (see piggyback.ts and src/broadcast/): the
 * broadcasts gossip-queue lets us piggyback, immutable (every change makes a new object), each
 * packet's pick from it in the same turn, and the batched report of what was sent. It outlives a
 * node: a restart in place goes on with it; only its report timer is the node's. Time and the
 * timer come from the runner (the actor clock), so this stays as pure as the runner.
 */
import type { GossipQueueInbound, LeaseMsg } from '../gossip-queue/protocol.ts'
import { acceptLease, emptyLease, pickForPacket, takeReport } from '../../src/broadcast/piggyback-lease.ts'
import type { PiggybackLease } from '../../src/broadcast/piggyback-lease.ts'
import type { SwimConfig } from './config.ts'
import { LEASE_REPORT_TIMER, leaseView, reportDelayMs, resumeLease, roomReportDelayMs } from './piggyback.ts'
import type { LeaseView } from './piggyback.ts'

/** A fill from an empty lease (never written to: the send pipeline only reads the parts). */
const NOTHING = Object.freeze([]) as unknown as Uint8Array[]

export interface LeaseHolderDeps {
  /** The actor clock (ms). */
  now(): number
  toGossip(msg: GossipQueueInbound): void
  armTimer(key: string, delayMs: number): void
  /** A `gossip.lease-subscribe` went (counted by the runner). */
  subscribed(): void
  /** This actor's id (where gossip-queue sends its leases). */
  selfId: string
}

export function createLeaseHolder(d: LeaseHolderDeps) {
  let lease: PiggybackLease = emptyLease()
  /** When the batched report's timer (LEASE_REPORT_TIMER) is due, on the actor clock; undefined when not armed. */
  let reportDue: number | undefined
  let reportDelay = 1
  let roomReportDelay = 10
  /** When the last `gossip.lease-subscribe` went (actor clock, ms). */
  let subscribedAt = Number.NEGATIVE_INFINITY
  /** The lease as the context shows it, rebuilt only when the lease changed (it is immutable). */
  let shown: { of: PiggybackLease; view: LeaseView } | undefined

  const subscribe = (): void => {
    subscribedAt = d.now()
    d.subscribed()
    d.toGossip({ type: 'gossip.lease-subscribe', to: d.selfId })
  }

  /** Sends the report of the sends since the last one, if any (the batch window ended, or the node stops). */
  const report = (): void => {
    // Before the first lease there is nothing to report (no sends; the room alone would be
    // refused by gossip-queue as a report of no epoch).
    if (lease.epoch === 0) return
    const taken = takeReport(lease)
    lease = taken.held
    if (taken.report !== undefined) d.toGossip(taken.report)
  }

  return {
    subscribe,

    /** A node starts: its config's report windows, and the persisted lease of a restart. */
    start(config: SwimConfig, restored: LeaseView | undefined): void {
      if (restored !== undefined) lease = resumeLease(lease, restored)
      reportDelay = reportDelayMs(config)
      roomReportDelay = roomReportDelayMs(config)
    },

    /**
     * One packet's broadcasts, from the lease, in this turn. Every pick (and every room offered,
     * which gossip-queue's unsendable check reads) is reported at the end of the batch window.
     */
    fill(overheadBytes: number, limitBytes: number): Uint8Array[] {
      if (lease.epoch === 0) {
        // No lease yet: the subscribe may have found no gossip-queue. Asked again, at most once a window.
        if (d.now() - subscribedAt >= roomReportDelay) subscribe()
        return []
      }
      // An empty lease (an idle cluster): nothing to pick, and the room offered is news to no one
      // (gossip-queue's unsendable check weighs it against queued broadcasts; a new one comes with a
      // new lease). No pick, no report, so no report-and-lease round trip each second while idle.
      if (lease.entries.length === 0) return NOTHING
      const pick = pickForPacket(lease, overheadBytes, limitBytes)
      lease = pick.held
      // A send that brings our leave's dead message to its tell limit is reported at once: the leave
      // finishes up to a batch window sooner (it must end within the agent's 3 s on SIGINT). Serf's
      // leave intent keeps the batch: the dead message follows once the intent's waiter is told, and
      // the intent's head start is what keeps peers from taking the leave for a failure.
      const due = pick.parts.length > 0 && pick.held.entries.some((e) => e.queue === 'memberlist' && e.tellAt !== undefined && e.transmits === e.tellAt && pick.held.pending.has(e.id))
      const delay = due ? 0 : pick.parts.length > 0 ? reportDelay : roomReportDelay
      const at = d.now() + delay
      if (reportDue === undefined || at < reportDue) {
        reportDue = at
        d.armTimer(LEASE_REPORT_TIMER, delay)
      }
      return pick.parts
    },

    /** Whether a gossip packet could carry anything now (before the first lease: yes, its fill asks again). */
    waiting(): boolean {
      return lease.epoch === 0 || lease.entries.length > 0
    },

    /** A `gossip.lease`; returns whether it holds entries, and whether one of them is news (never sent by us). */
    accept(msg: LeaseMsg): { entries: boolean; fresh: boolean } {
      lease = acceptLease(lease, msg)
      return { entries: lease.entries.length > 0, fresh: lease.entries.some((e) => e.transmits === 0) }
    },

    /** The batch window ended (its timer), or the node stops: the sends since the last report go now. */
    reportNow(): void {
      reportDue = undefined
      report()
    },

    /** The lease as the context shows it. */
    view(): LeaseView {
      if (shown?.of !== lease) shown = { of: lease, view: leaseView(lease) }
      return shown.view
    },
  }
}

export type LeaseHolder = ReturnType<typeof createLeaseHolder>
