/**
 * The serf-events actor's whole state, built from its config and the clocks a snapshot restored,
 * and every counter of its cores in one stats object (what `serf-events.stats` will answer).
 *
 * This actor owns the event and query Lamport clocks, the user-event ring, the query tables and
 * the coalescers; member-manager keeps the member table and the member clock (and carries the
 * push/pull slice serf-events tells it). core.ts composes these cores; machine.ts runs them.
 */
import type { LamportTime } from '../member-manager/protocol.ts'
import type { MemberCoalescerState, MemberCoalescerStats, UserCoalescerState, UserCoalescerStats } from './coalescer.ts'
import { createMemberCoalescer, createUserCoalescer } from './coalescer.ts'
import type { SerfEventsConfig } from './config.ts'
import { startClock } from './event-clock.ts'
import type { OriginatorState, OriginatorStats } from './query-originator.ts'
import { createOriginator } from './query-originator.ts'
import type { ResponderState, ResponderStats } from './query-responder.ts'
import { createResponder } from './query-responder.ts'
import type { UserEventRingState, UserEventRingStats } from './user-event-ring.ts'
import { createUserEventRing } from './user-event-ring.ts'

export interface SerfEventsState<M extends { name: string } = { name: string }> {
  events: UserEventRingState
  queries: ResponderState
  originator: OriginatorState
  memberCoalescer: MemberCoalescerState<M>
  userCoalescer: UserCoalescerState
}

/** Clocks restored from the snapshot (`event-clock:` and `query-clock:` lines), when there is one. */
export interface RestoredClocks {
  eventClock?: LamportTime
  queryClock?: LamportTime
}

export function createSerfEventsState<M extends { name: string }>(config: SerfEventsConfig, restored: RestoredClocks = {}): SerfEventsState<M> {
  const ev = startClock(restored.eventClock)
  const q = startClock(restored.queryClock)
  return {
    events: createUserEventRing({ size: config.eventBuffer, maxEventsPerSlot: config.maxEventsPerSlot, clock: ev.clock, minTime: ev.minTime }),
    queries: createResponder({ size: config.queryBuffer, clock: q.clock, minTime: q.minTime }),
    originator: createOriginator(),
    memberCoalescer: createMemberCoalescer<M>(),
    userCoalescer: createUserCoalescer(),
  }
}

export interface SerfEventsStats {
  eventTime: LamportTime
  queryTime: LamportTime
  userEvents: UserEventRingStats
  queries: ResponderStats
  originated: OriginatorStats & { open: number }
  pendingQueries: number
  memberCoalescer: MemberCoalescerStats
  userCoalescer: UserCoalescerStats
}

/** Every counter, copied (the result shares nothing with the state). */
export function serfEventsStats(s: SerfEventsState): SerfEventsStats {
  return {
    eventTime: s.events.clock,
    queryTime: s.queries.clock,
    userEvents: { ...s.events.stats },
    queries: { ...s.queries.stats },
    originated: { ...s.originator.stats, open: s.originator.open.size },
    pendingQueries: s.queries.pending.size,
    memberCoalescer: { ...s.memberCoalescer.stats },
    userCoalescer: { ...s.userCoalescer.stats },
  }
}
