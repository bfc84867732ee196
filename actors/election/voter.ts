/**
 * The voter side of the membership backend: which vote and renew requests a member grants. The
 * promise is (term, votedFor, holdUntil): the newest term granted, the candidate it went to, and
 * until when (own clock) no *other* candidate may be granted anything. Rules, in order:
 * - during the restart hold (a full lease after every start) only the candidate already promised
 *   is granted: a grant made before a crash may still be running, and the crash's length is unknown;
 * - a term older than the promised one is refused (followers never go back: fencing);
 * - while a promise to another candidate is unexpired, nothing is granted to anyone else;
 * - within the promised term, only the candidate promised is granted (one candidate per term);
 * - otherwise grant: promise (term, candidate, now + leaseMs). The host must make the new promise
 *   durable (the `persist` effect comes first) before the grant leaves the node.
 * Pure data in, data out.
 */
import type { RefusalReason } from './messages.ts'
import { NO_TERM, isTerm, type Term } from './term.ts'

export interface VoterState {
  /** Newest term granted (the promise). Never decreases, across restarts too. */
  readonly term: Term
  /** The candidate granted in `term`. */
  readonly votedFor: string | undefined
  /** Own clock: no other candidate is granted before this. */
  readonly holdUntil: number
  /** Own clock: the end of the restart hold (no new candidate before it). */
  readonly restartHoldUntil: number
}

/** What the host saves (and gives back on restart): the promised term, its candidate and the lease expiry. */
export interface PersistedPromise {
  term: number
  votedFor: string | undefined
  /** Own clock at the time of the grant: kept for inspection; a restart holds a full lease instead (see restoreVoter). */
  leaseUntil: number
}

/**
 * A voter after a (re)start. The saved term and candidate are kept; the saved expiry is not trusted,
 * because the clock reading before a crash is not comparable with the one after a restart (a
 * monotonic clock restarts with the process), so the voter holds a full lease from now: any lease it
 * granted before the crash began before the crash, so it has ended when this hold does.
 */
export function restoreVoter(persisted: PersistedPromise | undefined, now: number, leaseMs: number): VoterState {
  const term = persisted !== undefined && isTerm(persisted.term) ? persisted.term : NO_TERM
  const votedFor = persisted !== undefined && typeof persisted.votedFor === 'string' ? persisted.votedFor : undefined
  return { term, votedFor, holdUntil: now + leaseMs, restartHoldUntil: now + leaseMs }
}

export type GrantDecision = { granted: true; voter: VoterState } | { granted: false; reason: RefusalReason }

export function decideGrant(voter: VoterState, req: { term: Term; from: string }, now: number, leaseMs: number): GrantDecision {
  const sameCandidate = voter.votedFor === req.from
  if (now < voter.restartHoldUntil && !sameCandidate) return { granted: false, reason: 'restarting' }
  if (req.term < voter.term) return { granted: false, reason: 'stale-term' }
  if (now < voter.holdUntil && !sameCandidate) return { granted: false, reason: 'held' }
  if (req.term === voter.term && voter.votedFor !== undefined && !sameCandidate) return { granted: false, reason: 'voted' }
  return { granted: true, voter: { ...voter, term: req.term, votedFor: req.from, holdUntil: Math.max(voter.holdUntil, now + leaseMs) } }
}

/** Ends the hold early for `from`'s promise in `term` (it resigned, or it is this node giving up its own campaign). */
export function releaseHold(voter: VoterState, from: string, term: Term, now: number): VoterState {
  if (voter.votedFor !== from || voter.term !== term || voter.holdUntil <= now) return voter
  return { ...voter, holdUntil: now }
}

export function persistedOf(voter: VoterState): PersistedPromise {
  return { term: voter.term, votedFor: voter.votedFor, leaseUntil: voter.holdUntil }
}
