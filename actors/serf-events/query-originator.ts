/**
 * The originating side of queries (spec §5.9; Serf Query, registerQueryResponse,
 * handleQueryResponse): build and size the query, stamp it with the query clock (no increment: the
 * local handling witnesses it), register a collector keyed by LTime (ID checked) that closes at the
 * deadline, handle the query locally (so we ack and answer ourselves) and queue it. Acks and
 * responses are deduped by sender and held to the member count at send time (Serf sizes its
 * channels so); whatever is dropped is counted. Pure: state in, state + effects out.
 */
import type { LamportTime } from '../member-manager/protocol.ts'
import { TIMER_MAX_MS } from '../../src/config/values.ts'
import { encodeSerfMessage, QueryFlag } from '../../src/wire/serf.ts'
import type { SerfQuery, SerfQueryResponse } from '../../src/wire/serf.ts'
import type { SerfEventsConfig } from './config.ts'
import { INTERNAL_QUERY_PREFIX } from './config.ts'
import type { SerfEventsEffect } from './effects.ts'
import { SerfEventsError } from './errors.ts'
import type { SerfEventsErrorCode } from './errors.ts'
import { buildQueryFilters } from './query-filters.ts'
import type { FilterParams } from './query-filters.ts'
import { handleQuery } from './query-responder.ts'
import type { ResponderContext, ResponderState } from './query-responder.ts'
import { defaultQueryTimeoutMs } from './query-timeout.ts'

export interface OpenQuery {
  ltime: LamportTime
  id: number
  deadlineMs: number
  ackRequested: boolean
  /** Serf NumMembers at send: at most this many acks and this many responses are collected. */
  capacity: number
  acks: string[]
  responses: string[]
}

export interface OriginatorStats {
  started: number
  closedAtDeadline: number
  aborted: number
  acks: number
  responses: number
  duplicateAcks: number
  duplicateResponses: number
  /** Past the member count (Serf: "Failed to deliver query ack/response, dropping"). */
  acksDropped: number
  responsesDropped: number
  /** An ack for a query sent without the ack flag (Serf has no ack channel then). */
  acksUnrequested: number
  /** For an LTime with no open query: unknown, or already closed. */
  unknownQuery: number
  idMismatch: number
  /** Arrived after the deadline, before the closing timer ran. */
  afterDeadline: number
}

export interface OriginatorState {
  /** Keyed by String(LTime), as Serf's queryResponse map. */
  open: Map<string, OpenQuery>
  stats: OriginatorStats
}

export function createOriginator(): OriginatorState {
  return {
    open: new Map(),
    stats: { started: 0, closedAtDeadline: 0, aborted: 0, acks: 0, responses: 0, duplicateAcks: 0, duplicateResponses: 0, acksDropped: 0, responsesDropped: 0, acksUnrequested: 0, unknownQuery: 0, idMismatch: 0, afterDeadline: 0 },
  }
}

/** The timer that closes an open query at its deadline. */
export const openQueryTimerId = (ltime: LamportTime): string => `query-close:${ltime}`

export interface QueryRequest {
  name: string
  payload?: Uint8Array | null
  filters?: FilterParams
  requestAck?: boolean
  /** 0..255: also send each ack/response through this many random members. */
  relayFactor?: number
  /** 0 or missing: the default (query-timeout.ts). */
  timeoutMs?: number
  /** Allows the `_serf_` prefix (internal queries: ping, conflict, keys). */
  internal?: boolean
}

export type OriginatorConfig = Pick<SerfEventsConfig, 'protocolVersion' | 'querySizeLimit' | 'maxOpenQueries' | 'gossipIntervalMs' | 'queryTimeoutMult' | 'maxFilterExprLength'>

export interface OriginatorContext extends Omit<ResponderContext, 'config'> {
  self: { name: string; tags: Readonly<Record<string, string>>; addr: Uint8Array; port: number }
  /** memberlist NumMembers: members not dead or left, ourselves included. */
  numMembers: number
  config: OriginatorConfig & ResponderContext['config']
}

export type OriginateResult =
  | { ok: true; originator: OriginatorState; responder: ResponderState; effects: SerfEventsEffect[]; ltime: LamportTime; id: number; deadlineMs: number; message: Uint8Array }
  | { ok: false; error: SerfEventsError }

/** Serf Query: refuses with a coded error (and changes nothing), or starts the query. */
export function originateQuery(orig: OriginatorState, responder: ResponderState, req: QueryRequest, ctx: OriginatorContext): OriginateResult {
  const cfg = ctx.config
  if (cfg.protocolVersion < 4) return refuse('ERR_QUERY_UNSUPPORTED_PROTOCOL', `queries need Serf protocol 4 or later (configured ${cfg.protocolVersion})`)
  if (typeof req !== 'object' || req === null || typeof req.name !== 'string') return refuse('ERR_QUERY_INVALID', 'query name must be a string')
  const payload = req.payload ?? null
  if (payload !== null && !(payload instanceof Uint8Array)) return refuse('ERR_QUERY_INVALID', 'query payload must be a Uint8Array or null')
  if (req.name.startsWith(INTERNAL_QUERY_PREFIX) && req.internal !== true) return refuse('ERR_QUERY_RESERVED_NAME', `Queries cannot contain the '${INTERNAL_QUERY_PREFIX}' prefix`)
  const relayFactor = req.relayFactor ?? 0
  if (!Number.isInteger(relayFactor) || relayFactor < 0 || relayFactor > 255) return refuse('ERR_QUERY_INVALID', 'relayFactor must be an integer in [0, 255]', { relayFactor })
  let timeoutMs = req.timeoutMs ?? 0
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > TIMER_MAX_MS) return refuse('ERR_QUERY_INVALID', `timeoutMs must be an integer in [0, ${TIMER_MAX_MS}] (0: the default)`, { timeoutMs })
  if (timeoutMs === 0) timeoutMs = defaultQueryTimeoutMs(cfg.gossipIntervalMs, cfg.queryTimeoutMult, ctx.numMembers)
  const built = buildQueryFilters(req.filters ?? {}, cfg.maxFilterExprLength)
  if (!built.ok) return { ok: false, error: built.error }
  if (orig.open.size >= cfg.maxOpenQueries) return refuse('ERR_QUERY_TOO_MANY_OPEN', `${orig.open.size} queries are still open (maxOpenQueries ${cfg.maxOpenQueries})`)

  const msg: SerfQuery = {
    type: 'query',
    LTime: responder.clock,
    ID: ctx.random.int(0x8000_0000), // Go: uint32(rand.Int31())
    Addr: ctx.self.addr,
    Port: ctx.self.port,
    SourceNode: ctx.self.name,
    Filters: built.filters,
    Flags: req.requestAck === true ? QueryFlag.ack : 0,
    RelayFactor: relayFactor,
    Timeout: BigInt(timeoutMs) * 1_000_000n,
    Name: req.name,
    Payload: payload,
  }
  const message = encodeSerfMessage(msg)
  if (message.length > cfg.querySizeLimit) return refuse('ERR_QUERY_TOO_LARGE', `query exceeds limit of ${cfg.querySizeLimit} bytes`, { size: message.length, limit: cfg.querySizeLimit })

  // Only a saturated query clock (2^64 − 1) repeats an LTime; the open query there keeps its slot.
  if (orig.open.has(String(msg.LTime))) return refuse('ERR_QUERY_TOO_MANY_OPEN', `a query at LTime ${msg.LTime} is still open (the query clock cannot advance)`)
  const deadlineMs = ctx.nowMs + timeoutMs
  const open = new Map(orig.open)
  open.set(String(msg.LTime), { ltime: msg.LTime, id: msg.ID, deadlineMs, ackRequested: req.requestAck === true, capacity: Math.max(1, ctx.numMembers), acks: [], responses: [] })
  const local = handleQuery(responder, msg, null, ctx)
  const effects: SerfEventsEffect[] = [{ type: 'set-timer', id: openQueryTimerId(msg.LTime), atMs: deadlineMs }, ...local.effects, { type: 'broadcast', queue: 'serf-query', message }]
  return {
    ok: true,
    originator: { open, stats: { ...orig.stats, started: orig.stats.started + 1 } },
    responder: local.state,
    effects,
    ltime: msg.LTime,
    id: msg.ID,
    deadlineMs,
    message,
  }
}

function refuse(code: SerfEventsErrorCode, message: string, details: Record<string, unknown> = {}): OriginateResult {
  return { ok: false, error: new SerfEventsError(code, message, details) }
}

export type ResponseOutcome = 'ack' | 'response' | 'duplicate' | 'dropped' | 'unknown-query' | 'id-mismatch' | 'after-deadline'

/** Serf handleQueryResponse: an ack or a response (received directly or through a relay). */
export function receiveQueryResponse(orig: OriginatorState, msg: SerfQueryResponse, nowMs: number): { state: OriginatorState; effects: SerfEventsEffect[]; outcome: ResponseOutcome } {
  const stats = { ...orig.stats }
  const q = orig.open.get(String(msg.LTime))
  const drop = (outcome: ResponseOutcome, counter: keyof OriginatorStats) => {
    stats[counter]++
    return { state: { ...orig, stats }, effects: [] as SerfEventsEffect[], outcome }
  }
  if (q === undefined) return drop('unknown-query', 'unknownQuery')
  if (q.id !== msg.ID) return drop('id-mismatch', 'idMismatch')
  if (nowMs > q.deadlineMs) return drop('after-deadline', 'afterDeadline')
  const isAck = (msg.Flags & QueryFlag.ack) !== 0
  if (isAck && !q.ackRequested) return drop('dropped', 'acksUnrequested')
  const seen = isAck ? q.acks : q.responses
  if (seen.includes(msg.From)) return drop('duplicate', isAck ? 'duplicateAcks' : 'duplicateResponses')
  if (seen.length >= q.capacity) return drop('dropped', isAck ? 'acksDropped' : 'responsesDropped')
  const next: OpenQuery = isAck ? { ...q, acks: [...q.acks, msg.From] } : { ...q, responses: [...q.responses, msg.From] }
  const open = new Map(orig.open)
  open.set(String(msg.LTime), next)
  stats[isAck ? 'acks' : 'responses']++
  const kind = isAck ? ('ack' as const) : ('response' as const)
  const payload = isAck ? null : msg.Payload
  return { state: { open, stats }, effects: [{ type: 'emit', event: { type: 'query-result', ltime: q.ltime, id: q.id, kind, from: msg.From, payload } }], outcome: kind }
}

/** The deadline timer fired (or the caller aborts): the query is closed, exactly once. */
export function closeQuery(orig: OriginatorState, ltime: LamportTime, reason: 'deadline' | 'aborted'): { state: OriginatorState; effects: SerfEventsEffect[] } {
  const q = orig.open.get(String(ltime))
  if (q === undefined) return { state: orig, effects: [] }
  const open = new Map(orig.open)
  open.delete(String(ltime))
  const stats = reason === 'deadline' ? { ...orig.stats, closedAtDeadline: orig.stats.closedAtDeadline + 1 } : { ...orig.stats, aborted: orig.stats.aborted + 1 }
  const effects: SerfEventsEffect[] = [{ type: 'emit', event: { type: 'query-closed', ltime, id: q.id, reason, acks: q.acks.length, responses: q.responses.length } }]
  if (reason === 'aborted') effects.unshift({ type: 'cancel-timer', id: openQueryTimerId(ltime) })
  return { state: { open, stats }, effects }
}
