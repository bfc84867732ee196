/**
 * The serf-events core: Serf's event layer for one node (spec §5.8-5.12) as one pure function,
 * `step(state, input) -> { state, effects, result }`, composing the concept files: the user-event
 * ring (user-event-ring.ts, user-event-send.ts), the query responder and originator
 * (query-responder.ts, query-originator.ts, relay.ts), internal queries (internal-query.ts) and
 * the coalescers (coalescer.ts). The state is the machine's context; the effects are data the
 * machine runs (core-effects.ts says which); `result` answers the API asks.
 *
 * What the core adds to the concept files:
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
import type { LamportTime } from '../member-manager/protocol.ts'
import type { RandomSource } from '../../src/types/random.ts'
import { decodeSerfMessage } from '../../src/wire/serf.ts'
import type { SerfKeyResponse, SerfQueryResponse } from '../../src/wire/serf.ts'
import type { SerfEventsConfig } from './config.ts'
import { coalesceMemberEvent, coalesceUserEvent, memberCoalescerTimer, userCoalescerTimer, MEMBER_COALESCE_TIMER, USER_COALESCE_TIMER } from './coalescer.ts'
import type { SerfEventsEffect } from './effects.ts'
import type { SerfEventsError } from './errors.ts'
import { SerfEventsError as CodedError } from './errors.ts'
import { incrementClock, witnessClock, witnessRemoteClock } from './event-clock.ts'
import { answerConflictQuery } from './conflict-response.ts'
import { startConflictVote } from './conflict-vote.ts'
import type { QueryClosedOut, QueryResultOut } from './effects.ts'
import { CONFLICT_QUERY, PING_QUERY } from './internal-query.ts'
import { CONFLICT_RETRY_TIMER, createInternalOps, KEY_OPERATION_KINDS, ownQueryEvent } from './internal-ops.ts'
import type { InternalOpsState } from './internal-ops.ts'
import { prepareKeyOperation } from './key-operation-request.ts'
import { startKeyTally } from './key-operation-tally.ts'
import { encodeKeyResponse, parseKeyQuery, toNodeKeyResponse, undecodableKeyRequestResponse } from './key-query-responder.ts'
import type { KeyOperationKind, KeyringReply } from './key-ring-ops.ts'
import { applyMemberEvent, numMembers, relayCandidates, replaceMembers, selfOf } from './member-feed.ts'
import type { MemberFeed } from './member-feed.ts'
import { closeQuery, originateQuery, receiveQueryResponse } from './query-originator.ts'
import type { QueryRequest } from './query-originator.ts'
import { expirePendingQuery, handleQuery, pendingKey, pendingTimerId, respondToQuery } from './query-responder.ts'
import type { ResponderContext } from './query-responder.ts'
import { forwardRelay } from './relay.ts'
import type { SerfEventsState, SerfEventsStats, RestoredClocks } from './serf-events-state.ts'
import { createSerfEventsState, serfEventsStats } from './serf-events-state.ts'
import type { EventSlot, SerfEventsMember } from './protocol.ts'
import { mergeRemoteEvents, receiveUserEvent, ringForPushPull } from './user-event-ring.ts'
import { sendUserEvent } from './user-event-send.ts'
import type { UserEventRequest } from './user-event-send.ts'
import type { CoreEffect, CoreInput, CoreResult, CoreStep, CoreValue, SerfEventsCoreState, SerfEventsCounters } from './core-effects.ts'

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
  const t = new Turn(state)
  const result = t.apply(input)
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

const ok = (value: CoreValue): CoreResult => ({ ok: true, value })
const fail = (error: SerfEventsError): CoreResult => ({ ok: false, error })

/** One step's working copy: the parts it replaced, and the effects so far. */
class Turn {
  readonly effects: CoreEffect[] = []
  private ev: SerfEventsState<SerfEventsMember>
  private feed: MemberFeed
  private ops: InternalOpsState
  private counters: SerfEventsCounters
  private told: SerfEventsCoreState['told']
  private now = 0

  constructor(private readonly base: SerfEventsCoreState) {
    this.ev = base.ev
    this.feed = base.feed
    this.ops = base.ops
    this.counters = base.counters
    this.told = base.told
  }

  finish(): SerfEventsCoreState {
    const b = this.base
    if (this.ev === b.ev && this.feed === b.feed && this.ops === b.ops && this.counters === b.counters && this.told === b.told) return b
    return { config: b.config, nodeName: b.nodeName, ev: this.ev, feed: this.feed, ops: this.ops, counters: this.counters, told: this.told }
  }

  private count(key: keyof SerfEventsCounters): void {
    this.counters = { ...this.counters, [key]: this.counters[key] + 1 }
  }

  apply(input: CoreInput): CoreResult | undefined {
    if ('now' in input) this.now = input.now
    switch (input.type) {
      case 'message':
        this.message(input.bytes, input.random)
        return undefined
      case 'user-event':
        return this.userEvent(input.request)
      case 'query':
        return this.query(input.request, input.random)
      case 'abort':
        return this.abort(input.ltime, input.id)
      case 'respond':
        return this.respond(input.key, input.payload, input.random)
      case 'member-event':
        this.memberEvent(input.event, input.members)
        return undefined
      case 'members':
        this.feed = replaceMembers(input.members)
        if (input.clocks !== undefined) this.restoreClocks(input.clocks)
        return undefined
      case 'merge-remote':
        this.mergeRemote(input)
        return undefined
      case 'timer':
        this.timer(input.id, input.random)
        return undefined
      case 'keyring-reply':
        this.keyringReply(input.key, input.kind, input.reply, input.random)
        return undefined
      case 'key-operation':
        return this.keyOperation(input.token, input.kind, input.key, input.relayFactor ?? 0, input.random)
      case 'name-conflict':
        this.nameConflict(input.other, input.random)
        return undefined
      case 'shutdown':
        for (const q of [...this.ev.originator.open.values()]) {
          const r = closeQuery(this.ev.originator, q.ltime, 'aborted')
          this.ev = { ...this.ev, originator: r.state }
          this.route(r.effects, undefined)
        }
        return undefined
      default: {
        const unknown: never = input
        return unknown
      }
    }
  }

  // ------------------------------------------------------------------ contexts

  private responderContext(random: RandomSource): ResponderContext {
    const c = this.base.config
    return {
      nowMs: this.now,
      self: { name: this.base.nodeName, tags: selfOf(this.feed, this.base.nodeName)?.tags ?? {} },
      members: relayCandidates(this.feed),
      random,
      config: { queryBuffer: c.queryBuffer, maxQueriesPerSlot: c.maxQueriesPerSlot, maxPendingQueries: c.maxPendingQueries, queryResponseSizeLimit: c.queryResponseSizeLimit, maxFilterExprLength: c.maxFilterExprLength },
    }
  }

  // ------------------------------------------------------------------ inputs

  private message(bytes: Uint8Array, random: RandomSource): void {
    if (!(bytes instanceof Uint8Array) || bytes.length === 0) return this.count('malformedMessages')
    let msg
    try {
      msg = decodeSerfMessage(bytes)
    } catch {
      return this.count('malformedMessages')
    }
    switch (msg.type) {
      case 'userEvent': {
        const r = receiveUserEvent(this.ev.events, msg, bytes)
        this.ev = { ...this.ev, events: r.state }
        return this.route(r.effects, random)
      }
      case 'query': {
        const r = handleQuery(this.ev.queries, msg, bytes, this.responderContext(random))
        this.ev = { ...this.ev, queries: r.state }
        return this.route(r.effects, random)
      }
      case 'queryResponse':
        return this.queryResponse(msg)
      case 'relay':
        this.count('relaysForwarded')
        return this.route([forwardRelay(msg)], random)
      default:
        return this.count('foreignMessages')
    }
  }

  private queryResponse(msg: SerfQueryResponse): void {
    const r = receiveQueryResponse(this.ev.originator, msg, this.now)
    this.ev = { ...this.ev, originator: r.state }
    this.route(r.effects, undefined)
  }

  private userEvent(request: UserEventRequest): CoreResult {
    const r = sendUserEvent(this.ev.events, this.base.config, request)
    if (!r.ok) return fail(r.error)
    this.ev = { ...this.ev, events: r.state }
    const sent = r.effects.find((e) => e.type === 'emit' && e.event.type === 'user-event')
    this.route(r.effects, undefined)
    const ltime = sent !== undefined && sent.type === 'emit' && sent.event.type === 'user-event' ? sent.event.ltime : this.ev.events.clock - 1n
    return ok({ kind: 'user-event', ltime })
  }

  private query(request: QueryRequest, random: RandomSource): CoreResult {
    const self = selfOf(this.feed, this.base.nodeName)
    if (self === undefined) return fail(new CodedError('ERR_EVENTS_NOT_READY', 'the node has not started yet: its own address is not known, so no query can be sent'))
    const ctx = { ...this.responderContext(random), self: { name: self.name, tags: self.tags, addr: self.addr, port: self.port }, numMembers: numMembers(this.feed), config: { ...this.base.config } }
    const r = originateQuery(this.ev.originator, this.ev.queries, request, ctx)
    if (!r.ok) return fail(r.error)
    this.ev = { ...this.ev, originator: r.originator, queries: r.responder }
    this.route(r.effects, random)
    return ok({ kind: 'query', ltime: r.ltime, id: r.id, deadlineMs: r.deadlineMs })
  }

  private abort(ltime: LamportTime, id: number): CoreResult {
    const q = this.ev.originator.open.get(String(ltime))
    if (q === undefined || q.id !== id) {
      this.count('abortsUnknown')
      return ok({ kind: 'none' })
    }
    const r = closeQuery(this.ev.originator, ltime, 'aborted')
    this.ev = { ...this.ev, originator: r.state }
    this.route(r.effects, undefined)
    return ok({ kind: 'none' })
  }

  private respond(key: string, payload: Uint8Array | null, random: RandomSource): CoreResult {
    const q = typeof key === 'string' ? this.ev.queries.pending.get(key) : undefined
    // An unknown key still goes to respondToQuery, which counts and codes it.
    const [ltime, id] = q === undefined ? [0n, -1] : [q.ltime, q.id]
    const ctx = { ...this.responderContext(random), localName: this.base.nodeName }
    const r = respondToQuery(this.ev.queries, { ltime, id, payload }, ctx)
    this.ev = { ...this.ev, queries: r.state }
    if (!r.ok) return fail(r.error)
    this.route(r.effects, random)
    return ok({ kind: 'none' })
  }

  private memberEvent(event: Parameters<typeof coalesceMemberEvent>[1]['event'], members: SerfEventsMember[]): void {
    this.feed = applyMemberEvent(this.feed, event, members)
    const r = coalesceMemberEvent(this.ev.memberCoalescer, { event, members }, this.now, this.base.config)
    this.ev = { ...this.ev, memberCoalescer: r.state }
    this.route(r.effects, undefined)
  }

  /**
   * Clocks a crashed instance of this actor reached (member-manager kept them): when ahead of ours,
   * the clocks move past them and the min times rise above them, as a snapshot replay does (Serf's
   * eventMinTime): no LTime we used is used again, and no event we may have delivered is delivered
   * twice. Clocks not ahead change nothing (a first start, or nothing happened before the crash).
   */
  private restoreClocks(clocks: { eventLTime: LamportTime; queryLTime: LamportTime }): void {
    const events = this.ev.events
    if (clocks.eventLTime > events.clock) {
      this.ev = { ...this.ev, events: { ...events, clock: witnessClock(events.clock, clocks.eventLTime), minTime: incrementClock(clocks.eventLTime) } }
      this.count('clocksRestored')
    }
    const queries = this.ev.queries
    if (clocks.queryLTime > queries.clock) {
      this.ev = { ...this.ev, queries: { ...queries, clock: witnessClock(queries.clock, clocks.queryLTime), minTime: incrementClock(clocks.queryLTime) } }
    }
  }

  private mergeRemote(input: Extract<CoreInput, { type: 'merge-remote' }>): void {
    const r = mergeRemoteEvents(this.ev.events, { EventLTime: input.eventLTime, Events: input.events }, { join: input.join, ignoreOld: this.base.config.eventJoinIgnore })
    const queries = witnessRemoteClock(this.ev.queries.clock, input.queryLTime)
    this.ev = { ...this.ev, events: r.state, queries: queries === this.ev.queries.clock ? this.ev.queries : { ...this.ev.queries, clock: queries } }
    this.route(r.effects, undefined)
  }

  private timer(id: string, random: RandomSource | undefined): void {
    if (id === CONFLICT_RETRY_TIMER) {
      if (this.ops.conflict !== null && this.ops.vote === null && random !== undefined) this.startVote(random)
      else this.count('unknownTimers')
      return
    }
    if (id.startsWith('query-close:')) {
      const r = closeQuery(this.ev.originator, BigInt(id.slice('query-close:'.length)), 'deadline')
      this.ev = { ...this.ev, originator: r.state }
      return this.route(r.effects, undefined)
    }
    if (id.startsWith('query-deadline:')) {
      const [lt, qid] = id.slice('query-deadline:'.length).split(':')
      this.ev = { ...this.ev, queries: expirePendingQuery(this.ev.queries, BigInt(lt!), Number(qid)) }
      return
    }
    if (id.startsWith(`${MEMBER_COALESCE_TIMER}:`)) {
      const r = memberCoalescerTimer(this.ev.memberCoalescer, id, this.base.config)
      this.ev = { ...this.ev, memberCoalescer: r.state }
      return this.route(r.effects, undefined)
    }
    if (id.startsWith(`${USER_COALESCE_TIMER}:`)) {
      const r = userCoalescerTimer(this.ev.userCoalescer, id)
      this.ev = { ...this.ev, userCoalescer: r.state }
      // Already delivered (and coalesced): straight out, not through route() again.
      this.effects.push(...r.effects)
      return
    }
    this.count('unknownTimers')
  }

  // ------------------------------------------------------------------ effects of the concept files

  /**
   * The concept files' effects, taken on: delivered user events to the user coalescer (and the
   * snapshot clock), internal queries to internalQuery, results of our own internal queries (key operations, the
   * conflict vote) to ownInternal, our own acks and responses straight
   * back into the originator; everything else goes to the machine as it is.
   */
  private route(effects: readonly SerfEventsEffect[], random: RandomSource | undefined): void {
    for (const e of effects) {
      if (e.type === 'emit' && e.event.type === 'user-event') {
        this.tellClock('event', e.event.ltime)
        const r = coalesceUserEvent(this.ev.userCoalescer, e.event, this.now, this.base.config)
        this.ev = { ...this.ev, userCoalescer: r.state }
        this.effects.push(...r.effects)
        continue
      }
      if (e.type === 'emit' && (e.event.type === 'query-result' || e.event.type === 'query-closed') && this.ownInternal(e.event)) continue
      if (e.type === 'emit' && (e.event.type === 'query' || e.event.type === 'internal-query')) {
        this.tellClock('query', e.event.ltime)
        if (e.event.type === 'internal-query') {
          this.internalQuery(e.event.ltime, e.event.id, e.event.name, e.event.payload, random)
          continue
        }
      }
      if (e.type === 'send' && (e.kind === 'ack' || e.kind === 'response') && e.name === this.base.nodeName && this.isSelf(e.addr, e.port)) {
        this.count('localResults')
        this.queryResponse(decodeSerfMessage(e.message) as SerfQueryResponse)
        continue
      }
      this.effects.push(e)
    }
  }

  private isSelf(addr: Uint8Array, port: number): boolean {
    const self = selfOf(this.feed, this.base.nodeName)
    return self !== undefined && self.port === port && self.addr.length === addr.length && self.addr.every((b, i) => b === addr[i])
  }

  private tellClock(kind: 'event' | 'query', ltime: LamportTime): void {
    const key = kind === 'event' ? 'eventClock' : 'queryClock'
    if (ltime <= this.told[key]) return
    this.told = { ...this.told, [key]: ltime }
    this.effects.push({ type: 'snapshot', msg: kind === 'event' ? { type: 'snapshot.event-clock', ltime } : { type: 'snapshot.query-clock', ltime } })
  }

  /**
   * The one place internal queries are answered: `_serf_ping` (acks only), `_serf_conflict`
   * (conflict-response.ts, from the member feed), the key queries (parsed here, applied by swim's
   * keyring through an `ask-keyring` effect, answered in keyringReply) and unknown names (counted).
   */
  private internalQuery(ltime: LamportTime, id: number, name: string, payload: Uint8Array | null, random: RandomSource | undefined): void {
    const self = this.base.nodeName
    if (name === PING_QUERY) {
      this.count('internalPing')
      return this.forgetPending(ltime, id)
    }
    if (name === CONFLICT_QUERY) {
      const a = answerConflictQuery(payload, { localName: self, lookup: (node) => this.feed.members.get(node) })
      if (a.kind === 'respond') this.answerInternal(ltime, id, a.payload, random, 'internalAnswered')
      else this.count('conflictQueriesAboutUs')
      return this.forgetPending(ltime, id)
    }
    const parsed = parseKeyQuery(name, payload)
    if (!parsed.ok && parsed.kind === null) {
      this.count('internalUnhandled')
      return this.forgetPending(ltime, id)
    }
    if (!parsed.ok) {
      // parsed.kind is set: a key query whose request did not decode; Serf answers Result: false.
      this.count('keyRequestsUndecodable')
      const kind = parsed.kind!
      this.sendKeyResponse(ltime, id, kind, undecodableKeyRequestResponse(parsed.error), random)
      return this.forgetPending(ltime, id)
    }
    // Kept pending until swim's keyring answers (keyringReply); its deadline timer still runs.
    this.count('keyringAsks')
    this.effects.push({ type: 'ask-keyring', key: pendingKey(ltime, id), kind: parsed.op.kind, op: parsed.op })
  }

  /** swim's keyring answered a key query's operation: the response, trimmed to the limit (list). */
  private keyringReply(key: string, kind: KeyOperationKind, reply: KeyringReply, random: RandomSource): void {
    const q = typeof key === 'string' ? this.ev.queries.pending.get(key) : undefined
    if (q === undefined || q.responded) return this.count('keyringRepliesLate')
    this.sendKeyResponse(q.ltime, q.id, kind, toNodeKeyResponse(kind, reply), random)
    this.forgetPending(q.ltime, q.id)
  }

  private sendKeyResponse(ltime: LamportTime, id: number, kind: KeyOperationKind, resp: SerfKeyResponse, random: RandomSource | undefined): void {
    const enc = encodeKeyResponse(kind, resp, { ltime, id, from: this.base.nodeName }, this.base.config.queryResponseSizeLimit)
    if (!enc.ok) return this.count('keyResponsesTooLarge')
    this.answerInternal(ltime, id, enc.payload, random, 'keyQueriesAnswered')
  }

  private answerInternal(ltime: LamportTime, id: number, payload: Uint8Array, random: RandomSource | undefined, counter: 'internalAnswered' | 'keyQueriesAnswered'): void {
    if (random === undefined) return this.count('internalUnhandled')
    const r = respondToQuery(this.ev.queries, { ltime, id, payload }, { ...this.responderContext(random), localName: this.base.nodeName })
    this.ev = { ...this.ev, queries: r.state }
    if (!r.ok) return
    this.count(counter)
    this.route(r.effects, random)
  }

  /** Nothing more will answer it: forget it now (not counted as an unanswered application query). */
  private forgetPending(ltime: LamportTime, id: number): void {
    const key = pendingKey(ltime, id)
    if (!this.ev.queries.pending.has(key)) return
    const pending = new Map(this.ev.queries.pending)
    pending.delete(key)
    this.ev = { ...this.ev, queries: { ...this.ev.queries, pending } }
    this.effects.push({ type: 'cancel-timer', id: pendingTimerId(ltime, id) })
  }

  // ------------------------------------------------------------------ what we originate: key operations, the conflict vote

  /** `serf keys`: a key query to every member (ourselves included), tallied in internal-ops.ts. */
  private keyOperation(token: string, kind: KeyOperationKind, key: string | null, relayFactor: number, random: RandomSource): CoreResult {
    if (!KEY_OPERATION_KINDS.has(kind)) return fail(new CodedError('ERR_QUERY_INVALID', `key operation kind must be install, use, remove or list (got ${JSON.stringify(kind)})`, { kind: String(kind) }))
    if (kind !== 'list' && typeof key !== 'string') return fail(new CodedError('ERR_QUERY_INVALID', `key operation '${kind}' needs a base64 key`, { kind }))
    const p = prepareKeyOperation(kind, key, { relayFactor })
    if (!p.ok) return ok({ kind: 'key-operation', response: p.response, error: p.error.message, code: p.error.code })
    const members = numMembers(this.feed)
    const started = this.originate({ name: p.plan.name, payload: p.plan.payload, relayFactor: p.plan.relayFactor, internal: true }, random, (ltime, id) => {
      const keyOps = new Map(this.ops.keyOps)
      keyOps.set(String(ltime), { token, ltime, id, tally: startKeyTally(kind, members), done: false })
      this.ops = { ...this.ops, keyOps }
    })
    if (!started.ok) return fail(started.error)
    this.count('keyOperations')
    return ok({ kind: 'key-operation-pending', ltime: started.ltime })
  }

  /** member-manager: another node claims our name. One vote at a time; a second report joins it. */
  private nameConflict(other: { addr: Uint8Array; port: number }, random: RandomSource): void {
    if (this.ops.lost) return this.count('conflictReportsAfterLoss')
    if (this.ops.conflict !== null) return this.count('conflictReportsMerged')
    this.ops = { ...this.ops, conflict: { other: { addr: other.addr.slice(), port: other.port }, attempt: 1 } }
    this.startVote(random)
  }

  private startVote(random: RandomSource): void {
    const conflict = this.ops.conflict!
    const name = this.base.nodeName
    const self = selfOf(this.feed, name)
    if (self === undefined) {
      this.count('conflictVotesNotStarted')
      this.ops = { ...this.ops, conflict: null }
      this.log('warn', 'name conflict: no vote held, our own member record is not known yet', { node: name })
      return
    }
    let eligibleVoters = 0
    for (const m of this.feed.members.values()) if (m.status === 'alive' && m.name !== name) eligibleVoters++
    const vote = startConflictVote({ localName: name, localAddr: self.addr, localPort: self.port, eligibleVoters, attempt: conflict.attempt })
    const started = this.originate({ name: CONFLICT_QUERY, payload: new TextEncoder().encode(name), internal: true }, random, (ltime, id) => {
      this.ops = { ...this.ops, vote: { ltime, id, vote } }
    })
    if (!started.ok) {
      this.count('conflictVotesNotStarted')
      this.ops = { ...this.ops, conflict: null }
      this.log('warn', `name conflict: no vote held: ${started.error.message}`, { node: name, code: started.error.code })
      return
    }
    this.count('conflictVotes')
  }

  /** An internal query of ours: `register` runs before the query's own effects are routed (its local answer). */
  private originate(request: QueryRequest, random: RandomSource, register: (ltime: LamportTime, id: number) => void): { ok: true; ltime: LamportTime } | { ok: false; error: SerfEventsError } {
    const self = selfOf(this.feed, this.base.nodeName)
    if (self === undefined) return { ok: false, error: new CodedError('ERR_EVENTS_NOT_READY', 'the node has not started yet: its own address is not known, so no query can be sent') }
    const ctx = { ...this.responderContext(random), self: { name: self.name, tags: self.tags, addr: self.addr, port: self.port }, numMembers: numMembers(this.feed), config: { ...this.base.config } }
    const r = originateQuery(this.ev.originator, this.ev.queries, request, ctx)
    if (!r.ok) return r
    this.ev = { ...this.ev, originator: r.originator, queries: r.responder }
    register(r.ltime, r.id)
    this.route(r.effects, random)
    return { ok: true, ltime: r.ltime }
  }

  /** A result or the close of one of OUR internal queries: taken here (internal-ops.ts), never emitted. */
  private ownInternal(e: QueryResultOut | QueryClosedOut): boolean {
    const r = ownQueryEvent(this.ops, e, this.base.nodeName, this.now)
    if (r === null) return false
    this.ops = r.ops
    for (const c of r.counters) this.count(c)
    this.effects.push(...r.effects)
    if (r.closeNow !== undefined) {
      // Every member answered: Serf returns at once; the query need not wait for its deadline.
      const c = closeQuery(this.ev.originator, r.closeNow, 'aborted')
      this.ev = { ...this.ev, originator: c.state }
      this.route(c.effects, undefined)
    }
    return true
  }

  private log(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown>): void {
    this.effects.push({ type: 'log', level, msg, fields })
  }
}
