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
