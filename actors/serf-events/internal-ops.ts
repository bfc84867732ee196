/**
 * The internal operations this node ORIGINATES (spec §5.10, §5.11), as the serf-events core keeps
 * them between inputs: the cluster-wide key operations (`serf keys`) and the `_serf_conflict` vote
 * about our own name. Each is an internal query of the originator (query-originator.ts); the core
 * routes that query's results and its close here instead of to the application.
 *
 * - key operation: the tally (key-operation-tally.ts) of one `_serf_*-key(s)` query, answered to
 *   the caller (by `token`) as soon as every member answered, or at the query's close;
 * - conflict: at most ONE vote in flight (conflict-vote.ts); a report while one runs, or while its
 *   retry timer is armed, is merged into it (counted). An inconclusive vote arms CONFLICT_RETRY_TIMER.
 *   After a lost vote (`serf.name-conflict-lost`, emitted once) the node is going down: later
 *   reports are counted, never voted on again.
 *
 * Pure data and pure functions; the core (core.ts) does the originating and the effects.
 */
import type { LamportTime } from '../member-manager/protocol.ts'
import { formatIp } from '../../src/wire/index.ts'
import type { KeyResponse } from '../../src/node/api.ts'
import type { ConflictDecision, ConflictVoteState } from './conflict-vote.ts'
import { addConflictVote, decideConflictVote } from './conflict-vote.ts'
import type { QueryClosedOut, QueryResultOut, SetTimerEffect } from './effects.ts'
import type { KeyOperationKind } from './key-ring-ops.ts'
import type { KeyTally } from './key-operation-tally.ts'
import { addKeyAnswer, finishKeyTally, keyTallyComplete } from './key-operation-tally.ts'

/** The timer that starts the next conflict vote after an inconclusive one. */
export const CONFLICT_RETRY_TIMER = 'conflict-retry'

export interface KeyOpInFlight {
  /** The machine's handle of the caller waiting for the result. */
  token: string
  ltime: LamportTime
  id: number
  tally: KeyTally
  /** The caller got its answer (every member answered); the query only waits for its close. */
  done: boolean
}

export interface VoteInFlight {
  ltime: LamportTime
  id: number
  vote: ConflictVoteState
}

/** A conflict about our own name being resolved: the other claimant, and which vote is next. */
export interface ConflictInFlight {
  other: { addr: Uint8Array; port: number }
  /** The attempt number of the vote running now, or of the next one when a retry is armed. */
  attempt: number
}

export interface InternalOpsState {
  /** By String(LTime) of the key query. */
  keyOps: ReadonlyMap<string, KeyOpInFlight>
  vote: VoteInFlight | null
  conflict: ConflictInFlight | null
  /** We lost a vote: the node is shutting down (Serf), so no further vote is held. */
  lost: boolean
}

export function createInternalOps(): InternalOpsState {
  return { keyOps: new Map(), vote: null, conflict: null, lost: false }
}

/** The answer a key-operation caller gets: Serf's KeyResponse and the RPC error text (null: success). */
export interface KeyOperationOutcome {
  token: string
  response: KeyResponse
  error: string | null
}

/** One response to a key query we sent. `finished` set when this answer completed the tally. */
export function keyOpAnswer(op: KeyOpInFlight, from: string, payload: Uint8Array | null): { op: KeyOpInFlight; finished: KeyOperationOutcome | null } {
  if (op.done) return { op, finished: null }
  const tally = addKeyAnswer(op.tally, from, payload).tally
  if (!keyTallyComplete(tally)) return { op: { ...op, tally }, finished: null }
  return { op: { ...op, tally, done: true }, finished: { token: op.token, ...finishKeyTally(tally) } }
}

/** The key query closed: the caller's answer unless it already has one. */
export function keyOpClosed(op: KeyOpInFlight): KeyOperationOutcome | null {
  return op.done ? null : { token: op.token, ...finishKeyTally(op.tally) }
}

/** A cluster-wide key operation finished: answer the caller waiting under `token`. */
export interface KeyOperationDoneEffect extends KeyOperationOutcome {
  type: 'key-operation-done'
}

/** We lost the vote about our own name: the node must shut down (Serf's agent exits). */
export interface NameConflictLostEffect {
  type: 'name-conflict-lost'
  name: string
  other: { addr: Uint8Array; port: number }
  decision: ConflictDecision
}

/** One log line (the conflict votes: Serf logs their outcome). */
export interface LogEffect {
  type: 'log'
  level: 'info' | 'warn' | 'error'
  msg: string
  fields: Record<string, unknown>
}

export type InternalOpsEffect = KeyOperationDoneEffect | NameConflictLostEffect | LogEffect | SetTimerEffect

/** The core's counters these steps move. */
export type InternalOpsCounter = 'conflictMinority' | 'conflictMajority' | 'conflictInconclusive' | 'conflictVotesAborted'

export interface OwnQueryStep {
  ops: InternalOpsState
  effects: InternalOpsEffect[]
  counters: InternalOpsCounter[]
  /** Every member answered this key query: the caller closes it now (Serf returns at once). */
  closeNow?: LamportTime
}

/**
 * A result or the close of one of our own internal queries (a key operation or the conflict
 * vote); null when `e` is about another query (the application's). `nodeName`, `nowMs`: ours, now.
 */
export function ownQueryEvent(ops: InternalOpsState, e: QueryResultOut | QueryClosedOut, nodeName: string, nowMs: number): OwnQueryStep | null {
  const lt = String(e.ltime)
  const op = ops.keyOps.get(lt)
  if (op !== undefined && op.id === e.id) {
    const keyOps = new Map(ops.keyOps)
    if (e.type === 'query-closed') {
      keyOps.delete(lt)
      const done = keyOpClosed(op)
      return { ops: { ...ops, keyOps }, effects: done === null ? [] : [{ type: 'key-operation-done', ...done }], counters: [] }
    }
    const r = e.kind === 'response' ? keyOpAnswer(op, e.from, e.payload) : { op, finished: null }
    keyOps.set(lt, r.op)
    const next = { ops: { ...ops, keyOps }, effects: [] as InternalOpsEffect[], counters: [] }
    if (r.finished === null) return next
    return { ...next, effects: [{ type: 'key-operation-done', ...r.finished }], closeNow: e.ltime }
  }
  const v = ops.vote
  if (v === null || String(v.ltime) !== lt || v.id !== e.id) return null
  if (e.type === 'query-result') {
    const vote = e.kind === 'response' ? addConflictVote(v.vote, e.from, e.payload).state : v.vote
    return { ops: { ...ops, vote: { ...v, vote } }, effects: [], counters: [] }
  }
  // Cut short by the actor's shutdown: no decision.
  if (e.reason === 'aborted') return { ops: { ...ops, vote: null, conflict: null }, effects: [], counters: ['conflictVotesAborted'] }
  return decideVote({ ...ops, vote: null }, v, nodeName, nowMs)
}

/** The vote's query closed at its deadline: Serf's decision with our quorum rule (conflict-vote.ts). */
function decideVote(ops: InternalOpsState, v: VoteInFlight, nodeName: string, nowMs: number): OwnQueryStep {
  const conflict = ops.conflict!
  const d = decideConflictVote(v.vote)
  const fields = { node: nodeName, other: hostPort(conflict.other.addr, conflict.other.port), ...decisionFields(d) }
  if (d.outcome === 'minority') {
    return {
      ops: { ...ops, conflict: null, lost: true },
      effects: [{ type: 'log', level: 'error', msg: d.log, fields }, { type: 'name-conflict-lost', name: nodeName, other: conflict.other, decision: d }],
      counters: ['conflictMinority'],
    }
  }
  if (d.outcome === 'majority') return { ops: { ...ops, conflict: null }, effects: [{ type: 'log', level: 'info', msg: d.log, fields }], counters: ['conflictMajority'] }
  const logged: InternalOpsEffect = { type: 'log', level: 'warn', msg: d.log, fields }
  if (d.retryAfterMs === undefined) return { ops: { ...ops, conflict: null }, effects: [logged], counters: ['conflictInconclusive'] }
  return {
    ops: { ...ops, conflict: { ...conflict, attempt: conflict.attempt + 1 } },
    effects: [logged, { type: 'set-timer', id: CONFLICT_RETRY_TIMER, atMs: nowMs + d.retryAfterMs }],
    counters: ['conflictInconclusive'],
  }
}

/** Which kinds `serf.key-operation` accepts. */
export const KEY_OPERATION_KINDS: ReadonlySet<KeyOperationKind> = new Set(['install', 'use', 'remove', 'list'])

/** The fields of a decision that `serf.name-conflict-lost` and the logs carry. */
export function decisionFields(d: ConflictDecision): Record<string, number | string> {
  return { outcome: d.outcome, responses: d.responses, matching: d.matching, quorum: d.quorum, majority: d.majority, eligibleVoters: d.eligibleVoters, attempt: d.attempt, malformed: d.malformed, fromClaimant: d.fromClaimant }
}

/** `ip:port` / `[ipv6]:port` for logs; bytes of another length in hex. */
export function hostPort(addr: Uint8Array, port: number): string {
  if (addr.length !== 4 && addr.length !== 16) return `<${Array.from(addr, (b) => b.toString(16).padStart(2, '0')).join('')}>:${port}`
  const ip = formatIp(addr)
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`
}
