/**
 * Reads of the member-manager core's state (core.ts): the member list, Serf's push/pull
 * LocalState, the local Meta and the counters. Pure functions; none changes the state.
 */
import { encodeSerfMessage } from '../../src/wire/index.ts'
import type { SerfPushPull } from '../../src/wire/index.ts'
import type { Member, MemberCounts, MemberStatsReply, MemberStatus } from './protocol.ts'
import { cowDiff, cowEntries, cowForEach, cowGet } from './cow-map.ts'
import type { MemberRecord } from './member-record.ts'
import { cloneMember, pushPullLTime } from './member-record.ts'
import { encodeTags, tagsEqual } from './tags.ts'
import type { MemberCoreState } from './member-effects.ts'
import { freshCounters } from './core.ts'

/** Members (copies) in the table's order, optionally only some statuses, and the counts. */
export function membersOf(state: MemberCoreState, statuses?: readonly MemberStatus[]): { members: Member[]; counts: MemberCounts } {
  const members: Member[] = []
  for (const e of cowEntries(state.table.records)) if (statuses === undefined || statuses.includes(e.v.member.status)) members.push(cloneMember(e.v.member))
  return { members, counts: { ...state.table.byStatus } }
}

/** Two members as `members()` shows them are the same: every field, addresses and tags by value. */
function sameMember(a: Member, b: Member): boolean {
  if (a === b) return true
  if (a.name !== b.name || a.status !== b.status || a.port !== b.port) return false
  if (a.protocolMin !== b.protocolMin || a.protocolMax !== b.protocolMax || a.protocolCur !== b.protocolCur) return false
  if (a.delegateMin !== b.delegateMin || a.delegateMax !== b.delegateMax || a.delegateCur !== b.delegateCur) return false
  if (a.addr.length !== b.addr.length || a.addr.some((x, i) => x !== b.addr[i])) return false
  return tagsEqual(a.tags, b.tags)
}

/**
 * What a turn changed in the member list as `members()` shows it (MemberViewChangedMsg's `set`
 * and `removed`), or undefined when nothing visible changed (a record rewritten for its Lamport
 * times alone). Costs the paths the turn wrote (cowDiff), not the table.
 */
export function memberViewChange(before: MemberCoreState, after: MemberCoreState): { set: Member[]; removed: string[] } | undefined {
  if (before.table.records === after.table.records) return undefined
  const d = cowDiff(before.table.records, after.table.records)
  const removed = d.deleted
  // A set: a turn that re-adds many members (a resync) would otherwise cost set × removed.
  const gone = new Set(removed)
  const set: Member[] = []
  for (const e of d.set) {
    const was = gone.has(e.k) ? undefined : cowGet(before.table.records, e.k)
    if (was === undefined || !sameMember(was.member, e.v.member)) set.push(cloneMember(e.v.member))
  }
  return set.length === 0 && removed.length === 0 ? undefined : { set, removed }
}

/** Other members still up to hear our gossip (alive or leaving), from the status counts: O(1). */
export function othersListening(state: MemberCoreState): number {
  const { byStatus } = state.table
  const self = cowGet(state.table.records, state.config.nodeName)?.member.status
  return (byStatus.alive ?? 0) + (byStatus.leaving ?? 0) - (self === 'alive' || self === 'leaving' ? 1 : 0)
}

export function memberRecord(state: MemberCoreState, name: string): Readonly<MemberRecord> | undefined {
  return cowGet(state.table.records, name)
}

/** The local node's Meta: its tags, encoded. */
export function localMetaOf(state: MemberCoreState): Uint8Array {
  return encodeTags(state.meta.tags, state.config.protocolVersion)
}

/** Serf LocalState for push/pull (spec §2.5): `[2][messagePushPull]`. */
export function localUserStateOf(state: MemberCoreState): Uint8Array {
  const left: MemberRecord[] = []
  cowForEach(state.table.records, (r) => {
    if (r.member.status === 'left') left.push(r)
  })
  left.sort((a, b) => a.downSeq - b.downSeq)
  const statusLTimes = new Map<string, bigint>()
  for (const e of cowEntries(state.table.records)) statusLTimes.set(e.k, pushPullLTime(e.v))
  const pp: SerfPushPull = {
    type: 'pushPull',
    LTime: state.clock,
    StatusLTimes: statusLTimes,
    LeftMembers: left.map((r) => r.member.name),
    // serf-events' slice as it last told it; before that, a node that has seen no event: clocks at
    // 1 (Serf create) and every slot nil.
    EventLTime: state.eventState?.eventLTime ?? 1n,
    Events: state.eventState?.events ?? new Array(state.config.eventBuffer).fill(null),
    QueryLTime: state.eventState?.queryLTime ?? 1n,
  }
  return encodeSerfMessage(pp)
}

export function statsOf(state: MemberCoreState): Omit<MemberStatsReply, 'type'> {
  const { table, intents } = state
  // Fresh counters under the kept ones: a state persisted before a counter existed lacks it.
  const counters = { ...freshCounters(), ...state.counters }
  return {
    counts: { ...table.byStatus },
    memberTime: state.clock,
    intentsBuffered: intents.entries.size,
    intentsStale: table.metrics.staleIntents,
    malformedMessages: counters.malformedMessages,
    passedThrough: counters.passedThrough,
    reconnectAttempts: counters.reconnectAttempts,
    reaped: table.metrics.reaped,
    intentsEvicted: intents.evicted,
    intentsExpired: intents.expired,
    intentsRebroadcast: counters.intentsRebroadcast,
    leaveRefutations: counters.leaveRefutations,
    flaps: table.metrics.flaps,
    malformedMeta: table.metrics.malformedMeta,
    ignoredNotices: table.metrics.ignoredNotices,
    nameConflicts: { remote: counters.nameConflictsRemote, local: counters.nameConflictsLocal },
    joinsWithoutIntent: { reconnect: counters.reconnectJoins, notAlive: counters.joinsNotAlive },
  }
}
