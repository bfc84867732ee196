/**
 * The answering side of queries (spec §5.9, §5.10; Serf handleQuery and Query.Respond): witness the
 * query clock, drop what is older than the min time or the `queryBuffer` window, dedupe by
 * (LTime slot, ID), rebroadcast the exact bytes unless the no-broadcast flag is set, evaluate the
 * filters, ack at once over UDP when asked (plus relays), and hand the query to the application
 * (`_serf_` names to the internal-query handler instead). The application answers once with
 * `respondToQuery` before the deadline; the response (≤ queryResponseSizeLimit encoded) goes to
 * the query's Addr:Port, plus relays. Pure: state in, state + effects out.
 */
import type { LamportTime } from '../member-manager/protocol.ts'
import type { RandomSource } from '../../src/types/random.ts'
import { encodeSerfMessage, QueryFlag } from '../../src/wire/serf.ts'
import type { SerfQuery } from '../../src/wire/serf.ts'
import type { SerfEventsConfig } from './config.ts'
import { INTERNAL_QUERY_PREFIX } from './config.ts'
import type { SerfEventsEffect, Step } from './effects.ts'
import { SerfEventsError } from './errors.ts'
import { witnessClock } from './event-clock.ts'
import { evaluateFilters } from './query-filters.ts'
import { planRelays } from './relay.ts'
import type { RelayCandidate } from './relay.ts'

export interface QuerySlot {
  ltime: LamportTime
  ids: number[]
}

/** A delivered query awaiting its one response. */
export interface PendingQuery {
  ltime: LamportTime
  id: number
  addr: Uint8Array
  port: number
  sourceNode: string
  relayFactor: number
  deadlineMs: number
  responded: boolean
}

export interface ResponderStats {
  received: number
  duplicates: number
  tooOld: number
  beforeMinTime: number
  slotFull: number
  rebroadcast: number
  /** Not processed here because a filter did not pass (still rebroadcast). */
  filteredNode: number
  filteredTag: number
  filteredUnknownType: number
  /** A peer's tag filter that Go refuses, or that is over our length cap (tag-regexp.ts). */
  filteredBadRegex: number
  acksSent: number
  relaysSent: number
  relaysTooLarge: number
  delivered: number
  deliveredInternal: number
  /** Delivered queries dropped because maxPendingQueries were awaiting a response. */
  pendingFull: number
  responsesSent: number
  responsesTooLarge: number
  responsesDuplicate: number
  responsesPastDeadline: number
  responsesUnknown: number
  /** Deadlines that passed without a response. */
  expiredUnanswered: number
}

export interface ResponderState {
  /** The query Lamport clock (Serf queryClock). */
  clock: LamportTime
  minTime: LamportTime
  slots: (QuerySlot | null)[]
  pending: Map<string, PendingQuery>
  stats: ResponderStats
}

export type ResponderConfig = Pick<SerfEventsConfig, 'queryBuffer' | 'maxQueriesPerSlot' | 'maxPendingQueries' | 'queryResponseSizeLimit' | 'maxFilterExprLength'>

/** What a core needs to know about this node and the cluster at the moment of the input. */
export interface ResponderContext {
  nowMs: number
  self: { name: string; tags: Readonly<Record<string, string>> }
  /** Every member Serf knows (all statuses, ourselves included), for relays. */
  members: readonly RelayCandidate[]
  random: RandomSource
  config: ResponderConfig
}

export type QueryOutcome = 'processed' | 'filtered' | 'duplicate' | 'too-old' | 'before-min-time' | 'slot-full'

const ZERO_STATS: ResponderStats = {
  received: 0,
  duplicates: 0,
  tooOld: 0,
  beforeMinTime: 0,
  slotFull: 0,
  rebroadcast: 0,
  filteredNode: 0,
  filteredTag: 0,
  filteredUnknownType: 0,
  filteredBadRegex: 0,
  acksSent: 0,
  relaysSent: 0,
  relaysTooLarge: 0,
  delivered: 0,
  deliveredInternal: 0,
  pendingFull: 0,
  responsesSent: 0,
  responsesTooLarge: 0,
  responsesDuplicate: 0,
  responsesPastDeadline: 0,
  responsesUnknown: 0,
  expiredUnanswered: 0,
}

export function createResponder(opts: { size: number; clock: LamportTime; minTime: LamportTime }): ResponderState {
  return { clock: opts.clock, minTime: opts.minTime, slots: new Array<QuerySlot | null>(opts.size).fill(null), pending: new Map(), stats: { ...ZERO_STATS } }
}

export const pendingKey = (ltime: LamportTime, id: number): string => `${ltime}:${id}`
/** The timer that ends a pending query at its deadline. */
export const pendingTimerId = (ltime: LamportTime, id: number): string => `query-deadline:${ltime}:${id}`

/** Go's time.Duration (ns, int64) as whole ms, clamped to ≥ 0 and to a day (no peer sets more). */
function timeoutMs(ns: bigint): number {
  if (ns <= 0n) return 0
  const ms = ns / 1_000_000n
  return ms > 86_400_000n ? 86_400_000 : Number(ms)
}

/**
 * Serf handleQuery. `raw` is the exact received message to rebroadcast; null for our own query
 * (the originator queues its own bytes).
 */
export function handleQuery(state: ResponderState, msg: SerfQuery, raw: Uint8Array | null, ctx: ResponderContext): Step<ResponderState> & { outcome: QueryOutcome } {
  const stats = { ...state.stats, received: state.stats.received + 1 }
  const clock = witnessClock(state.clock, msg.LTime) // before any filtering (§5.3)
  const size = BigInt(state.slots.length)
  const done = (outcome: QueryOutcome, counter: keyof ResponderStats): Step<ResponderState> & { outcome: QueryOutcome } => {
    stats[counter]++
    return { state: { ...state, clock, stats }, effects: [], outcome }
  }
  if (msg.LTime < state.minTime) return done('before-min-time', 'beforeMinTime')
  if (clock > size && msg.LTime < clock - size) return done('too-old', 'tooOld')
  const idx = Number(msg.LTime % size)
  const seen = state.slots[idx] ?? null
  const sameTime = seen !== null && seen.ltime === msg.LTime
  if (sameTime && seen.ids.includes(msg.ID)) return done('duplicate', 'duplicates')
  if (sameTime && seen.ids.length >= ctx.config.maxQueriesPerSlot) return done('slot-full', 'slotFull')
  const slots = state.slots.slice()
  slots[idx] = { ltime: msg.LTime, ids: sameTime ? [...seen.ids, msg.ID] : [msg.ID] }

  const effects: SerfEventsEffect[] = []
  if (raw !== null && (msg.Flags & QueryFlag.noBroadcast) === 0) {
    effects.push({ type: 'broadcast', queue: 'serf-query', message: raw.slice() })
    stats.rebroadcast++
  }
  const verdict = evaluateFilters(msg.Filters, ctx.self, ctx.config.maxFilterExprLength)
  if (!verdict.process) {
    const counter = ({ 'node-mismatch': 'filteredNode', 'tag-mismatch': 'filteredTag', 'unknown-filter': 'filteredUnknownType', 'bad-regex': 'filteredBadRegex' } as const)[verdict.reason]
    stats[counter]++
    return { state: { ...state, clock, slots, stats }, effects, outcome: 'filtered' }
  }
  const dest = { addr: msg.Addr, port: msg.Port, name: msg.SourceNode }
  if ((msg.Flags & QueryFlag.ack) !== 0) {
    const ack = encodeSerfMessage({ type: 'queryResponse', LTime: msg.LTime, ID: msg.ID, From: ctx.self.name, Flags: QueryFlag.ack, Payload: null })
    effects.push({ type: 'send', ...dest, kind: 'ack', message: ack })
    stats.acksSent++
    const relays = planRelays(msg.RelayFactor, ack, dest, 'relay-ack', { localName: ctx.self.name, members: ctx.members, random: ctx.random, sizeLimit: ctx.config.queryResponseSizeLimit })
    effects.push(...relays.sends)
    stats.relaysSent += relays.sends.length
    if (relays.tooLarge) stats.relaysTooLarge++
  }
  let pending = state.pending
  if (pending.size >= ctx.config.maxPendingQueries) {
    stats.pendingFull++
  } else {
    const deadlineMs = ctx.nowMs + timeoutMs(msg.Timeout)
    pending = new Map(pending)
    pending.set(pendingKey(msg.LTime, msg.ID), { ltime: msg.LTime, id: msg.ID, addr: msg.Addr, port: msg.Port, sourceNode: msg.SourceNode, relayFactor: msg.RelayFactor, deadlineMs, responded: false })
    const internal = msg.Name.startsWith(INTERNAL_QUERY_PREFIX)
    if (internal) stats.deliveredInternal++
    else stats.delivered++
    effects.push(
      { type: 'emit', event: { type: internal ? 'internal-query' : 'query', ltime: msg.LTime, id: msg.ID, name: msg.Name, payload: msg.Payload, sourceNode: msg.SourceNode, deadlineMs } },
      { type: 'set-timer', id: pendingTimerId(msg.LTime, msg.ID), atMs: deadlineMs },
    )
  }
  return { state: { ...state, clock, slots, pending, stats }, effects, outcome: 'processed' }
}

export type RespondResult = (Step<ResponderState> & { ok: true }) | { ok: false; state: ResponderState; error: SerfEventsError }

/**
 * Query.Respond, in Serf's order: encode; the size limit; "already sent"; "past the deadline"
 * (now > deadline); then the direct response and the relays. A relayed copy over the size limit
 * is skipped and counted (Serf returns an error after the direct send and leaves the query open
 * to a second response; we count the response as sent, so a retry cannot duplicate it).
 */
export function respondToQuery(state: ResponderState, req: { ltime: LamportTime; id: number; payload: Uint8Array | null }, ctx: Omit<ResponderContext, 'self'> & { localName: string }): RespondResult {
  const key = pendingKey(req.ltime, req.id)
  const q = state.pending.get(key)
  const fail = (code: 'ERR_QUERY_UNKNOWN' | 'ERR_QUERY_RESPONSE_TOO_LARGE' | 'ERR_QUERY_ALREADY_RESPONDED' | 'ERR_QUERY_PAST_DEADLINE', counter: keyof ResponderStats, message: string, details: Record<string, unknown> = {}): RespondResult => ({
    ok: false,
    state: { ...state, stats: { ...state.stats, [counter]: state.stats[counter] + 1 } },
    error: new SerfEventsError(code, message, { ltime: String(req.ltime), id: req.id, ...details }),
  })
  if (q === undefined) return fail('ERR_QUERY_UNKNOWN', 'responsesUnknown', 'no pending query with this LTime and ID (unknown, or its deadline passed)')
  const message = encodeSerfMessage({ type: 'queryResponse', LTime: q.ltime, ID: q.id, From: ctx.localName, Flags: 0, Payload: req.payload })
  const limit = ctx.config.queryResponseSizeLimit
  if (message.length > limit) return fail('ERR_QUERY_RESPONSE_TOO_LARGE', 'responsesTooLarge', `response exceeds limit of ${limit} bytes`, { size: message.length, limit })
  if (q.responded) return fail('ERR_QUERY_ALREADY_RESPONDED', 'responsesDuplicate', 'response already sent')
  if (ctx.nowMs > q.deadlineMs) return fail('ERR_QUERY_PAST_DEADLINE', 'responsesPastDeadline', 'response is past the deadline', { deadlineMs: q.deadlineMs })
  const dest = { addr: q.addr, port: q.port, name: q.sourceNode }
  const relays = planRelays(q.relayFactor, message, dest, 'relay-response', { localName: ctx.localName, members: ctx.members, random: ctx.random, sizeLimit: limit })
  const effects: SerfEventsEffect[] = [{ type: 'send', ...dest, kind: 'response', message }, ...relays.sends]
  const pending = new Map(state.pending)
  pending.set(key, { ...q, responded: true })
  const stats = {
    ...state.stats,
    responsesSent: state.stats.responsesSent + 1,
    relaysSent: state.stats.relaysSent + relays.sends.length,
    relaysTooLarge: state.stats.relaysTooLarge + (relays.tooLarge ? 1 : 0),
  }
  return { ok: true, state: { ...state, pending, stats }, effects }
}

/** The deadline timer of a pending query fired: forget it (counted when nobody answered). */
export function expirePendingQuery(state: ResponderState, ltime: LamportTime, id: number): ResponderState {
  const q = state.pending.get(pendingKey(ltime, id))
  if (q === undefined) return state
  const pending = new Map(state.pending)
  pending.delete(pendingKey(ltime, id))
  return { ...state, pending, stats: q.responded ? state.stats : { ...state.stats, expiredUnanswered: state.stats.expiredUnanswered + 1 } }
}
