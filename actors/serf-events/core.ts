/**
 * The serf-events core: Serf's event layer for one node (spec §5.8-5.12) as one pure function,
 * `step(state, input) -> { state, effects, result }`, composing the concept files: the user-event
 * ring (user-event-ring.ts, user-event-send.ts), the query responder and originator
 * (query-responder.ts, query-originator.ts, relay.ts), internal queries (internal-query.ts) and
 * the coalescers (coalescer.ts). The state is the machine's context; the effects are data the
 * machine runs (core-effects.ts says which); `result` answers the API asks.
 *
 * What the core adds to the concept files (the step's parts: core-turn.ts the working copy,
 * core-inputs.ts the inputs, core-internal.ts the internal queries; this file routes):
 * - routing of a received Serf message by its type byte (3 user event, 4 query, 5 response,
 *   9 relay), a malformed or foreign one counted, never thrown;
 * - the member feed (member-feed.ts): member-manager's member events keep a view of the members
 *   (own tags for filters, own address for queries, relay candidates, the member count);
 * - delivered user events go through the user coalescer, member events through the member
 *   coalescer; queries named `_serf_…` go to internalQuery instead of the application (ping, the
 *   `_serf_conflict` answer, the key queries through swim's keyring);
 * - an ack or response addressed to ourselves (our own query) is taken in at once instead of a
 *   UDP round trip to our own port;
 * - the snapshotter's `event-clock:` / `query-clock:` records when a delivered event or query
 *   carries a higher LTime than told before.
 */
import type { RandomSource } from '../../src/types/random.ts'
import { decodeSerfMessage } from '../../src/wire/serf.ts'
import type { SerfQueryResponse } from '../../src/wire/serf.ts'
import type { SerfEventsConfig } from './config.ts'
import { coalesceUserEvent } from './coalescer.ts'
import type { SerfEventsEffect } from './effects.ts'
import { closeQuery } from './query-originator.ts'
import { abort, memberEvent, mergeRemote, message, query, queryResponse, respond, restoreClocks, timer, userEvent } from './core-inputs.ts'
import { internalQuery, keyOperation, keyringReply, nameConflict, ownInternal } from './core-internal.ts'
import { Turn } from './core-turn.ts'
import { createInternalOps } from './internal-ops.ts'
import type { LamportTime } from '../member-manager/protocol.ts'
import { numMembers, replaceMembers, selfOf } from './member-feed.ts'
import type { SerfEventsStats, RestoredClocks } from './serf-events-state.ts'
import { createSerfEventsState, serfEventsStats } from './serf-events-state.ts'
import type { EventSlot, SerfEventsMember } from './protocol.ts'
import { ringForPushPull } from './user-event-ring.ts'
import type { CoreInput, CoreResult, CoreStep, SerfEventsCoreState, SerfEventsCounters } from './core-effects.ts'

export type { CoreEffect, CoreInput, CoreResult, CoreStep, CoreValue, SerfEventsCoreState, SerfEventsCounters } from './core-effects.ts'

export function freshCounters(): SerfEventsCounters {
  return {
    malformedMessages: 0, foreignMessages: 0, relaysForwarded: 0, internalPing: 0, internalAnswered: 0, internalUnhandled: 0, localResults: 0, abortsUnknown: 0, unknownTimers: 0, clocksRestored: 0,
    keyringAsks: 0, keyQueriesAnswered: 0, keyRequestsUndecodable: 0, keyResponsesTooLarge: 0, keyringRepliesLate: 0, keyOperations: 0,
    conflictQueriesAboutUs: 0, conflictVotes: 0, conflictMajority: 0, conflictMinority: 0, conflictInconclusive: 0, conflictReportsMerged: 0, conflictReportsAfterLoss: 0, conflictVotesNotStarted: 0, conflictVotesAborted: 0,
  }
}


export function initialCoreState(config: SerfEventsConfig, nodeName: string, restored: RestoredClocks = {}): SerfEventsCoreState {
  return {
    config,
    nodeName,
    ev: createSerfEventsState<SerfEventsMember>(config, restored),
    feed: { members: new Map() },
    ops: createInternalOps(),
    counters: freshCounters(),
    told: { eventClock: restored.eventClock ?? 0n, queryClock: restored.queryClock ?? 0n },
  }
}

/** One input applied to one state. Never changes `state`; returns the same object when nothing changed. */
export function step(state: SerfEventsCoreState, input: CoreInput): CoreStep {
  const t = new Turn(state, route)
  const result = apply(t, input)
  return { state: t.finish(), effects: t.effects, result }
}

/** The push/pull slice member-manager carries in our LocalState (Serf EventLTime, Events, QueryLTime). */
export function eventStateOf(state: SerfEventsCoreState): { eventLTime: LamportTime; events: Array<EventSlot | null>; queryLTime: LamportTime } {
  const ring = ringForPushPull(state.ev.events)
  return { eventLTime: ring.EventLTime, events: ring.Events, queryLTime: state.ev.queries.clock }
}

/** Whether the push/pull slice differs between two states (the ring's slots or either clock). */
export function eventStateChanged(a: SerfEventsCoreState, b: SerfEventsCoreState): boolean {
  return a.ev.events.slots !== b.ev.events.slots || a.ev.events.clock !== b.ev.events.clock || a.ev.queries.clock !== b.ev.queries.clock
}

export function statsOf(state: SerfEventsCoreState): SerfEventsStats & { counters: SerfEventsCounters; members: number; numMembers: number } {
  return { ...serfEventsStats(state.ev), counters: { ...state.counters }, members: state.feed.members.size, numMembers: numMembers(state.feed) }
}

/** One input applied to one turn: the dispatch to the step's parts. */
function apply(t: Turn, input: CoreInput): CoreResult | undefined {
  if ('now' in input) t.now = input.now
  switch (input.type) {
    case 'message':
      message(t, input.bytes, input.random)
      return undefined
    case 'user-event':
      return userEvent(t, input.request)
    case 'query':
      return query(t, input.request, input.random)
    case 'abort':
      return abort(t, input.ltime, input.id)
    case 'respond':
      return respond(t, input.key, input.payload, input.random)
    case 'member-event':
      memberEvent(t, input.event, input.members)
      return undefined
    case 'members':
      t.feed = replaceMembers(input.members)
      if (input.clocks !== undefined) restoreClocks(t, input.clocks)
      return undefined
    case 'merge-remote':
      mergeRemote(t, input)
      return undefined
    case 'timer':
      timer(t, input.id, input.random)
      return undefined
    case 'keyring-reply':
      keyringReply(t, input.key, input.kind, input.reply, input.random)
      return undefined
    case 'key-operation':
      return keyOperation(t, input.token, input.kind, input.key, input.relayFactor ?? 0, input.random)
    case 'name-conflict':
      nameConflict(t, input.other, input.random)
      return undefined
    case 'shutdown':
      for (const q of [...t.ev.originator.open.values()]) {
        const r = closeQuery(t.ev.originator, q.ltime, 'aborted')
        t.ev = { ...t.ev, originator: r.state }
        route(t, r.effects, undefined)
      }
      return undefined
    default: {
      const unknown: never = input
      return unknown
    }
  }
}

/**
 * The concept files' effects, taken on: delivered user events to the user coalescer (and the
 * snapshot clock), internal queries to internalQuery, results of our own internal queries (key
 * operations, the conflict vote) to ownInternal, our own acks and responses straight back into the
 * originator; everything else goes to the machine as it is.
 */
function route(t: Turn, effects: readonly SerfEventsEffect[], random: RandomSource | undefined): void {
  for (const e of effects) {
    if (e.type === 'emit' && e.event.type === 'user-event') {
      tellClock(t, 'event', e.event.ltime)
      const r = coalesceUserEvent(t.ev.userCoalescer, e.event, t.now, t.base.config)
      t.ev = { ...t.ev, userCoalescer: r.state }
      t.effects.push(...r.effects)
      continue
    }
    if (e.type === 'emit' && (e.event.type === 'query-result' || e.event.type === 'query-closed') && ownInternal(t, e.event)) continue
    if (e.type === 'emit' && (e.event.type === 'query' || e.event.type === 'internal-query')) {
      tellClock(t, 'query', e.event.ltime)
      if (e.event.type === 'internal-query') {
        internalQuery(t, e.event.ltime, e.event.id, e.event.name, e.event.payload, random)
        continue
      }
    }
    if (e.type === 'send' && (e.kind === 'ack' || e.kind === 'response') && e.name === t.base.nodeName && isSelf(t, e.addr, e.port)) {
      t.count('localResults')
      queryResponse(t, decodeSerfMessage(e.message) as SerfQueryResponse)
      continue
    }
    t.effects.push(e)
  }
}

function isSelf(t: Turn, addr: Uint8Array, port: number): boolean {
  const self = selfOf(t.feed, t.base.nodeName)
  return self !== undefined && self.port === port && self.addr.length === addr.length && self.addr.every((b, i) => b === addr[i])
}

/** The snapshotter's `event-clock:` / `query-clock:` record when an LTime passes the last one told. */
function tellClock(t: Turn, kind: 'event' | 'query', ltime: LamportTime): void {
  const key = kind === 'event' ? 'eventClock' : 'queryClock'
  if (ltime <= t.told[key]) return
  t.told = { ...t.told, [key]: ltime }
  t.effects.push({ type: 'snapshot', msg: kind === 'event' ? { type: 'snapshot.event-clock', ltime } : { type: 'snapshot.query-clock', ltime } })
}
