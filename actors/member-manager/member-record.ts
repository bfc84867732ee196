/**
 * The member table's data (member-table.ts edits it): one record per member, the versions of the
 * table as plain persistent data, the events a write returns, and the helpers that copy a record
 * for a write or a member for a reader. Pure data and functions, no editor state.
 */
import type { LamportTime, Member, MemberCounts, MemberEventType, NodeInfo } from './protocol.ts'
import { emptyCowMap } from './cow-map.ts'
import type { CowMap } from './cow-map.ts'

/** Serf's own state (spec §5.5): alive, leaving (Leave in progress), left, shutdown. */
export type LocalSerfState = 'alive' | 'leaving' | 'left' | 'shutdown'

export interface MemberRecord {
  member: Member
  /** Lamport time of the last join/leave intent applied to this member. */
  statusLTime: LamportTime
  /**
   * While leaving: the statusLTime it had before the leave (its join time), which push/pull
   * advertises for it instead of the leave's (see pushPullLTime). Undefined in records persisted
   * before it existed: those advertise statusLTime, as Serf does.
   */
  aliveLTime?: LamportTime
  /** Actor-clock ms when it became failed or left (the reap timers run from here). */
  leaveTimeMs: number | undefined
  /** Order of becoming failed/left: Serf's failed and left lists are append-ordered. */
  downSeq: number
}

export interface MemberEvent {
  event: MemberEventType
  member: Member
}

/** Result of an intent: whether to rebroadcast the received bytes, what happened, what to schedule. */
export interface IntentResult {
  rebroadcast: boolean
  /** 'stale': LTime not newer than the member's statusLTime (or the buffered one). */
  outcome: 'applied' | 'buffered' | 'stale' | 'refuted' | 'ignored'
  events: MemberEvent[]
  /** A leave with Prune for a leaving member: erase it after this delay (spec §5.4). */
  pruneAfterMs?: number
}

/**
 * Metrics kept where the facts are. `ignoredNotices`: swim notices that changed nothing (an update
 * or leave about an unknown member, a leave about one neither alive nor leaving), as Serf ignores them.
 */
export interface TableMetrics {
  flaps: number
  malformedMeta: number
  staleIntents: number
  reaped: number
  ignoredNotices: number
}

/** One version of the table: plain data, never changed in place. */
export interface TableState {
  /** By member name; a record object is replaced, never written, once it is in a version. */
  records: CowMap<MemberRecord>
  /** Counts by status, kept by the one method that changes a status. */
  byStatus: MemberCounts
  downSeq: number
  /** Serf's own state; a leave intent about ourselves is refuted only while alive. */
  localState: LocalSerfState
  metrics: TableMetrics
}

export function emptyTable(): TableState {
  return {
    records: emptyCowMap(),
    byStatus: { alive: 0, leaving: 0, left: 0, failed: 0, total: 0 },
    downSeq: 0,
    localState: 'alive',
    metrics: { flaps: 0, malformedMeta: 0, staleIntents: 0, reaped: 0, ignoredNotices: 0 },
  }
}

/** A node's six protocol and delegate versions as a member's fields. */
export function versions(node: NodeInfo) {
  const v = node.vsn
  return { protocolMin: v[0] ?? 0, protocolMax: v[1] ?? 0, protocolCur: v[2] ?? 0, delegateMin: v[3] ?? 0, delegateMax: v[4] ?? 0, delegateCur: v[5] ?? 0 }
}

export function sameMetrics(a: TableMetrics, b: TableMetrics): boolean {
  return a.flaps === b.flaps && a.malformedMeta === b.malformedMeta && a.staleIntents === b.staleIntents && a.reaped === b.reaped && a.ignoredNotices === b.ignoredNotices
}

export function sameCounts(a: MemberCounts, b: MemberCounts): boolean {
  return a.alive === b.alive && a.leaving === b.leaving && a.left === b.left && a.failed === b.failed && a.total === b.total
}

/** A record to write: a copy of the record and its member (the address and tags, replaced on write, are shared). */
export function copyRecord(r: MemberRecord): MemberRecord {
  const m = r.member
  return {
    member: {
      name: m.name,
      addr: m.addr,
      port: m.port,
      tags: m.tags,
      status: m.status,
      protocolMin: m.protocolMin,
      protocolMax: m.protocolMax,
      protocolCur: m.protocolCur,
      delegateMin: m.delegateMin,
      delegateMax: m.delegateMax,
      delegateCur: m.delegateCur,
    },
    statusLTime: r.statusLTime,
    ...(r.aliveLTime === undefined ? {} : { aliveLTime: r.aliveLTime }),
    leaveTimeMs: r.leaveTimeMs,
    downSeq: r.downSeq,
  }
}

/**
 * The LTime push/pull's `StatusLTimes` gives for a member. A receiver reads every entry not in
 * `LeftMembers` as a join intent at that time (Serf MergeRemoteState), and a leaving member is not
 * in LeftMembers: were its entry the leave's own LTime, a receiver still holding the member alive
 * at its join time would take that "join" (alive, statusLTime = the leave's), then count the leave
 * intent itself stale when gossip brings it, never apply or rebroadcast it, and report the
 * departure that follows as a failure (until a later push/pull lists the member as left). So a
 * leaving member is advertised at the time it had before the leave; the leave still reaches the
 * receiver as the intent it is. Every other member: its statusLTime, as Serf.
 */
export function pushPullLTime(r: Readonly<MemberRecord>): LamportTime {
  return r.member.status === 'leaving' && r.aliveLTime !== undefined ? r.aliveLTime : r.statusLTime
}

/** A copy that shares nothing mutable with the table (addresses included), so a reader cannot write. */
export function cloneMember(m: Member): Member {
  return { ...m, addr: m.addr.slice(), tags: { ...m.tags } }
}
