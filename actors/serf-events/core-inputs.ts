/**
 * The serf-events core's inputs other than internal queries, as parts of a step (core-turn.ts):
 * received Serf messages routed by type (3 user event, 4 query, 5 response, 9 relay; a malformed
 * or foreign one counted, never thrown), the API's user events, queries, aborts and responses, the
 * member feed, restored clocks, a push/pull's remote events, and the timers.
 */
import type { LamportTime } from '../member-manager/protocol.ts'
import type { RandomSource } from '../../src/types/random.ts'
import { decodeSerfMessage } from '../../src/wire/serf.ts'
import type { SerfQueryResponse } from '../../src/wire/serf.ts'
import { coalesceMemberEvent, memberCoalescerTimer, userCoalescerTimer, MEMBER_COALESCE_TIMER, USER_COALESCE_TIMER } from './coalescer.ts'
import type { CoreInput, CoreResult } from './core-effects.ts'
import { startVote } from './core-internal.ts'
import { fail, ok, type Turn } from './core-turn.ts'
import { SerfEventsError as CodedError } from './errors.ts'
import { incrementClock, witnessClock, witnessRemoteClock } from './event-clock.ts'
import { CONFLICT_RETRY_TIMER } from './internal-ops.ts'
import { applyMemberEvent, numMembers, selfOf } from './member-feed.ts'
import type { SerfEventsMember } from './protocol.ts'
import { closeQuery, originateQuery, receiveQueryResponse } from './query-originator.ts'
import type { QueryRequest } from './query-originator.ts'
import { expirePendingQuery, handleQuery, respondToQuery } from './query-responder.ts'
import { forwardRelay } from './relay.ts'
import { mergeRemoteEvents, receiveUserEvent } from './user-event-ring.ts'
import { sendUserEvent } from './user-event-send.ts'
import type { UserEventRequest } from './user-event-send.ts'

export function message(t: Turn, bytes: Uint8Array, random: RandomSource): void {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) return t.count('malformedMessages')
  let msg
  try {
    msg = decodeSerfMessage(bytes)
  } catch {
    return t.count('malformedMessages')
  }
  switch (msg.type) {
    case 'userEvent': {
      const r = receiveUserEvent(t.ev.events, msg, bytes)
      t.ev = { ...t.ev, events: r.state }
      return t.route(r.effects, random)
    }
    case 'query': {
      const r = handleQuery(t.ev.queries, msg, bytes, t.responderContext(random))
      t.ev = { ...t.ev, queries: r.state }
      return t.route(r.effects, random)
    }
    case 'queryResponse':
      return queryResponse(t, msg)
    case 'relay':
      t.count('relaysForwarded')
      return t.route([forwardRelay(msg)], random)
    default:
      return t.count('foreignMessages')
  }
}

export function queryResponse(t: Turn, msg: SerfQueryResponse): void {
  const r = receiveQueryResponse(t.ev.originator, msg, t.now)
  t.ev = { ...t.ev, originator: r.state }
  t.route(r.effects, undefined)
}

export function userEvent(t: Turn, request: UserEventRequest): CoreResult {
  const r = sendUserEvent(t.ev.events, t.base.config, request)
  if (!r.ok) return fail(r.error)
  t.ev = { ...t.ev, events: r.state }
  const sent = r.effects.find((e) => e.type === 'emit' && e.event.type === 'user-event')
  t.route(r.effects, undefined)
  const ltime = sent !== undefined && sent.type === 'emit' && sent.event.type === 'user-event' ? sent.event.ltime : t.ev.events.clock - 1n
  return ok({ kind: 'user-event', ltime })
}

export function query(t: Turn, request: QueryRequest, random: RandomSource): CoreResult {
  const self = selfOf(t.feed, t.base.nodeName)
  if (self === undefined) return fail(new CodedError('ERR_EVENTS_NOT_READY', 'the node has not started yet: its own address is not known, so no query can be sent'))
  const ctx = { ...t.responderContext(random), self: { name: self.name, tags: self.tags, addr: self.addr, port: self.port }, numMembers: numMembers(t.feed), config: { ...t.base.config } }
  const r = originateQuery(t.ev.originator, t.ev.queries, request, ctx)
  if (!r.ok) return fail(r.error)
  t.ev = { ...t.ev, originator: r.originator, queries: r.responder }
  t.route(r.effects, random)
  return ok({ kind: 'query', ltime: r.ltime, id: r.id, deadlineMs: r.deadlineMs })
}

export function abort(t: Turn, ltime: LamportTime, id: number): CoreResult {
  const q = t.ev.originator.open.get(String(ltime))
  if (q === undefined || q.id !== id) {
    t.count('abortsUnknown')
    return ok({ kind: 'none' })
  }
  const r = closeQuery(t.ev.originator, ltime, 'aborted')
  t.ev = { ...t.ev, originator: r.state }
  t.route(r.effects, undefined)
  return ok({ kind: 'none' })
}

export function respond(t: Turn, key: string, payload: Uint8Array | null, random: RandomSource): CoreResult {
  const q = typeof key === 'string' ? t.ev.queries.pending.get(key) : undefined
  // An unknown key still goes to respondToQuery, which counts and codes it.
  const [ltime, id] = q === undefined ? [0n, -1] : [q.ltime, q.id]
  const ctx = { ...t.responderContext(random), localName: t.base.nodeName }
  const r = respondToQuery(t.ev.queries, { ltime, id, payload }, ctx)
  t.ev = { ...t.ev, queries: r.state }
  if (!r.ok) return fail(r.error)
  t.route(r.effects, random)
  return ok({ kind: 'none' })
}

export function memberEvent(t: Turn, event: Parameters<typeof coalesceMemberEvent>[1]['event'], members: SerfEventsMember[]): void {
  t.feed = applyMemberEvent(t.feed, event, members)
  const r = coalesceMemberEvent(t.ev.memberCoalescer, { event, members }, t.now, t.base.config)
  t.ev = { ...t.ev, memberCoalescer: r.state }
  t.route(r.effects, undefined)
}

/**
 * Clocks a crashed instance of this actor reached (member-manager kept them): when ahead of ours,
 * the clocks move past them and the min times rise above them, as a snapshot replay does (Serf's
 * eventMinTime): no LTime we used is used again, and no event we may have delivered is delivered
 * twice. Clocks not ahead change nothing (a first start, or nothing happened before the crash).
 */
export function restoreClocks(t: Turn, clocks: { eventLTime: LamportTime; queryLTime: LamportTime }): void {
  const events = t.ev.events
  if (clocks.eventLTime > events.clock) {
    t.ev = { ...t.ev, events: { ...events, clock: witnessClock(events.clock, clocks.eventLTime), minTime: incrementClock(clocks.eventLTime) } }
    t.count('clocksRestored')
  }
  const queries = t.ev.queries
  if (clocks.queryLTime > queries.clock) {
    t.ev = { ...t.ev, queries: { ...queries, clock: witnessClock(queries.clock, clocks.queryLTime), minTime: incrementClock(clocks.queryLTime) } }
  }
}

export function mergeRemote(t: Turn, input: Extract<CoreInput, { type: 'merge-remote' }>): void {
  const r = mergeRemoteEvents(t.ev.events, { EventLTime: input.eventLTime, Events: input.events }, { join: input.join, ignoreOld: t.base.config.eventJoinIgnore })
  const queries = witnessRemoteClock(t.ev.queries.clock, input.queryLTime)
  t.ev = { ...t.ev, events: r.state, queries: queries === t.ev.queries.clock ? t.ev.queries : { ...t.ev.queries, clock: queries } }
  t.route(r.effects, undefined)
}

export function timer(t: Turn, id: string, random: RandomSource | undefined): void {
  if (id === CONFLICT_RETRY_TIMER) {
    if (t.ops.conflict !== null && t.ops.vote === null && random !== undefined) startVote(t, random)
    else t.count('unknownTimers')
    return
  }
  if (id.startsWith('query-close:')) {
    const r = closeQuery(t.ev.originator, BigInt(id.slice('query-close:'.length)), 'deadline')
    t.ev = { ...t.ev, originator: r.state }
    return t.route(r.effects, undefined)
  }
  if (id.startsWith('query-deadline:')) {
    const [lt, qid] = id.slice('query-deadline:'.length).split(':')
    t.ev = { ...t.ev, queries: expirePendingQuery(t.ev.queries, BigInt(lt!), Number(qid)) }
    return
  }
  if (id.startsWith(`${MEMBER_COALESCE_TIMER}:`)) {
    const r = memberCoalescerTimer(t.ev.memberCoalescer, id, t.base.config)
    t.ev = { ...t.ev, memberCoalescer: r.state }
    return t.route(r.effects, undefined)
  }
  if (id.startsWith(`${USER_COALESCE_TIMER}:`)) {
    const r = userCoalescerTimer(t.ev.userCoalescer, id)
    t.ev = { ...t.ev, userCoalescer: r.state }
    // Already delivered (and coalesced): straight out, not through route() again.
    t.effects.push(...r.effects)
    return
  }
  t.count('unknownTimers')
}
