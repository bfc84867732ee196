/**
 * The serf-events core's internal queries (spec §5.12), both sides, as parts of a step (core-turn.ts):
 * - answered: `_serf_ping` (acks only), `_serf_conflict` (from the member feed), the key queries
 *   (parsed here, applied by swim's keyring through an `ask-keyring` effect, answered when the
 *   `keyring-reply` input comes back) and unknown names (counted);
 * - originated: `serf keys` operations and the name-conflict vote, whose results are taken in by
 *   ownInternal (tallied in internal-ops.ts) and never emitted to the application.
 */
import type { LamportTime } from '../member-manager/protocol.ts'
import type { RandomSource } from '../../src/types/random.ts'
import type { SerfKeyResponse } from '../../src/wire/serf.ts'
import type { CoreResult } from './core-effects.ts'
import { fail, ok, type Turn } from './core-turn.ts'
import { answerConflictQuery } from './conflict-response.ts'
import { startConflictVote } from './conflict-vote.ts'
import type { QueryClosedOut, QueryResultOut } from './effects.ts'
import type { SerfEventsError } from './errors.ts'
import { SerfEventsError as CodedError } from './errors.ts'
import { CONFLICT_QUERY, PING_QUERY } from './internal-query.ts'
import { KEY_OPERATION_KINDS, ownQueryEvent } from './internal-ops.ts'
import { prepareKeyOperation } from './key-operation-request.ts'
import { startKeyTally } from './key-operation-tally.ts'
import { encodeKeyResponse, parseKeyQuery, toNodeKeyResponse, undecodableKeyRequestResponse } from './key-query-responder.ts'
import type { KeyOperationKind, KeyringReply } from './key-ring-ops.ts'
import { numMembers, selfOf } from './member-feed.ts'
import { closeQuery, originateQuery } from './query-originator.ts'
import type { QueryRequest } from './query-originator.ts'
import { pendingKey, pendingTimerId, respondToQuery } from './query-responder.ts'

/**
 * The one place internal queries are answered: `_serf_ping` (acks only), `_serf_conflict`
 * (conflict-response.ts, from the member feed), the key queries (parsed here, applied by swim's
 * keyring through an `ask-keyring` effect, answered in keyringReply) and unknown names (counted).
 */
export function internalQuery(t: Turn, ltime: LamportTime, id: number, name: string, payload: Uint8Array | null, random: RandomSource | undefined): void {
  const self = t.base.nodeName
  if (name === PING_QUERY) {
    t.count('internalPing')
    return forgetPending(t, ltime, id)
  }
  if (name === CONFLICT_QUERY) {
    const a = answerConflictQuery(payload, { localName: self, lookup: (node) => t.feed.members.get(node) })
    if (a.kind === 'respond') answerInternal(t, ltime, id, a.payload, random, 'internalAnswered')
    else t.count('conflictQueriesAboutUs')
    return forgetPending(t, ltime, id)
  }
  const parsed = parseKeyQuery(name, payload)
  if (!parsed.ok && parsed.kind === null) {
    t.count('internalUnhandled')
    return forgetPending(t, ltime, id)
  }
  if (!parsed.ok) {
    // parsed.kind is set: a key query whose request did not decode; Serf answers Result: false.
    t.count('keyRequestsUndecodable')
    const kind = parsed.kind!
    sendKeyResponse(t, ltime, id, kind, undecodableKeyRequestResponse(parsed.error), random)
    return forgetPending(t, ltime, id)
  }
  // Kept pending until swim's keyring answers (keyringReply); its deadline timer still runs.
  t.count('keyringAsks')
  t.effects.push({ type: 'ask-keyring', key: pendingKey(ltime, id), kind: parsed.op.kind, op: parsed.op })
}

/** swim's keyring answered a key query's operation: the response, trimmed to the limit (list). */
export function keyringReply(t: Turn, key: string, kind: KeyOperationKind, reply: KeyringReply, random: RandomSource): void {
  const q = typeof key === 'string' ? t.ev.queries.pending.get(key) : undefined
  if (q === undefined || q.responded) return t.count('keyringRepliesLate')
  sendKeyResponse(t, q.ltime, q.id, kind, toNodeKeyResponse(kind, reply), random)
  forgetPending(t, q.ltime, q.id)
}

function sendKeyResponse(t: Turn, ltime: LamportTime, id: number, kind: KeyOperationKind, resp: SerfKeyResponse, random: RandomSource | undefined): void {
  const enc = encodeKeyResponse(kind, resp, { ltime, id, from: t.base.nodeName }, t.base.config.queryResponseSizeLimit)
  if (!enc.ok) return t.count('keyResponsesTooLarge')
  answerInternal(t, ltime, id, enc.payload, random, 'keyQueriesAnswered')
}

function answerInternal(t: Turn, ltime: LamportTime, id: number, payload: Uint8Array, random: RandomSource | undefined, counter: 'internalAnswered' | 'keyQueriesAnswered'): void {
  if (random === undefined) return t.count('internalUnhandled')
  const r = respondToQuery(t.ev.queries, { ltime, id, payload }, { ...t.responderContext(random), localName: t.base.nodeName })
  t.ev = { ...t.ev, queries: r.state }
  if (!r.ok) return
  t.count(counter)
  t.route(r.effects, random)
}

/** Nothing more will answer it: forget it now (not counted as an unanswered application query). */
function forgetPending(t: Turn, ltime: LamportTime, id: number): void {
  const key = pendingKey(ltime, id)
  if (!t.ev.queries.pending.has(key)) return
  const pending = new Map(t.ev.queries.pending)
  pending.delete(key)
  t.ev = { ...t.ev, queries: { ...t.ev.queries, pending } }
  t.effects.push({ type: 'cancel-timer', id: pendingTimerId(ltime, id) })
}

/** `serf keys`: a key query to every member (ourselves included), tallied in internal-ops.ts. */
export function keyOperation(t: Turn, token: string, kind: KeyOperationKind, key: string | null, relayFactor: number, random: RandomSource): CoreResult {
  if (!KEY_OPERATION_KINDS.has(kind)) return fail(new CodedError('ERR_QUERY_INVALID', `key operation kind must be install, use, remove or list (got ${JSON.stringify(kind)})`, { kind: String(kind) }))
  if (kind !== 'list' && typeof key !== 'string') return fail(new CodedError('ERR_QUERY_INVALID', `key operation '${kind}' needs a base64 key`, { kind }))
  const p = prepareKeyOperation(kind, key, { relayFactor })
  if (!p.ok) return ok({ kind: 'key-operation', response: p.response, error: p.error.message, code: p.error.code })
  const members = numMembers(t.feed)
  const started = originate(t, { name: p.plan.name, payload: p.plan.payload, relayFactor: p.plan.relayFactor, internal: true }, random, (ltime, id) => {
    const keyOps = new Map(t.ops.keyOps)
    keyOps.set(String(ltime), { token, ltime, id, tally: startKeyTally(kind, members), done: false })
    t.ops = { ...t.ops, keyOps }
  })
  if (!started.ok) return fail(started.error)
  t.count('keyOperations')
  return ok({ kind: 'key-operation-pending', ltime: started.ltime })
}

/** member-manager: another node claims our name. One vote at a time; a second report joins it. */
export function nameConflict(t: Turn, other: { addr: Uint8Array; port: number }, random: RandomSource): void {
  if (t.ops.lost) return t.count('conflictReportsAfterLoss')
  if (t.ops.conflict !== null) return t.count('conflictReportsMerged')
  t.ops = { ...t.ops, conflict: { other: { addr: other.addr.slice(), port: other.port }, attempt: 1 } }
  startVote(t, random)
}

export function startVote(t: Turn, random: RandomSource): void {
  const conflict = t.ops.conflict!
  const name = t.base.nodeName
  const self = selfOf(t.feed, name)
  if (self === undefined) {
    t.count('conflictVotesNotStarted')
    t.ops = { ...t.ops, conflict: null }
    t.log('warn', 'name conflict: no vote held, our own member record is not known yet', { node: name })
    return
  }
  let eligibleVoters = 0
  for (const m of t.feed.members.values()) if (m.status === 'alive' && m.name !== name) eligibleVoters++
  const vote = startConflictVote({ localName: name, localAddr: self.addr, localPort: self.port, eligibleVoters, attempt: conflict.attempt })
  const started = originate(t, { name: CONFLICT_QUERY, payload: new TextEncoder().encode(name), internal: true }, random, (ltime, id) => {
    t.ops = { ...t.ops, vote: { ltime, id, vote } }
  })
  if (!started.ok) {
    t.count('conflictVotesNotStarted')
    t.ops = { ...t.ops, conflict: null }
    t.log('warn', `name conflict: no vote held: ${started.error.message}`, { node: name, code: started.error.code })
    return
  }
  t.count('conflictVotes')
}

/** An internal query of ours: `register` runs before the query's own effects are routed (its local answer). */
function originate(t: Turn, request: QueryRequest, random: RandomSource, register: (ltime: LamportTime, id: number) => void): { ok: true; ltime: LamportTime } | { ok: false; error: SerfEventsError } {
  const self = selfOf(t.feed, t.base.nodeName)
  if (self === undefined) return { ok: false, error: new CodedError('ERR_EVENTS_NOT_READY', 'the node has not started yet: its own address is not known, so no query can be sent') }
  const ctx = { ...t.responderContext(random), self: { name: self.name, tags: self.tags, addr: self.addr, port: self.port }, numMembers: numMembers(t.feed), config: { ...t.base.config } }
  const r = originateQuery(t.ev.originator, t.ev.queries, request, ctx)
  if (!r.ok) return r
  t.ev = { ...t.ev, originator: r.originator, queries: r.responder }
  register(r.ltime, r.id)
  t.route(r.effects, random)
  return { ok: true, ltime: r.ltime }
}

/** A result or the close of one of OUR internal queries: taken here (internal-ops.ts), never emitted. */
export function ownInternal(t: Turn, e: QueryResultOut | QueryClosedOut): boolean {
  const r = ownQueryEvent(t.ops, e, t.base.nodeName, t.now)
  if (r === null) return false
  t.ops = r.ops
  for (const c of r.counters) t.count(c)
  t.effects.push(...r.effects)
  if (r.closeNow !== undefined) {
    // Every member answered: Serf returns at once; the query need not wait for its deadline.
    const c = closeQuery(t.ev.originator, r.closeNow, 'aborted')
    t.ev = { ...t.ev, originator: c.state }
    t.route(c.effects, undefined)
  }
  return true
}
