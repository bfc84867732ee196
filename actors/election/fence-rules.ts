/**
 * fence(group, term) in the membership backend: what this node can say from its own knowledge,
 * and what a waiting fence does next. The current term is this node's own lease's, or the observed
 * leader's (learned from its renewals); a term above every term heard of is from the future, one
 * below the current is stale (terms only grow, so that answer is final). A term that is current
 * only by observation is confirmed with the leader (a `check`) before it is answered; a fence that
 * is neither waits (bounded) for a new leader's first renewal. Pure.
 */
import type { ReplyTo } from '../../src/types/actor-env.ts'
import type { WireError } from '../../src/errors/index.ts'
import type { ElectionResultReply } from './protocol.ts'
import { NO_TERM, maxTerm, type Term } from './term.ts'

/** A fence ask not answered yet; `round`: the id of the check sent to the leader, once sent. */
export interface PendingFence {
  readonly term: number
  readonly replyTo: ReplyTo<ElectionResultReply> | undefined
  /** Own clock: answered by then whatever is known. */
  readonly until: number
  readonly round?: number
}

/** This node's answer for `term`: undefined when it is the current term. */
export function fenceError(term: number, current: Term | undefined, heard: Term): WireError | undefined {
  const highest = maxTerm(heard, current ?? NO_TERM)
  if (term > highest) return { code: 'ERR_ELECTION_FUTURE_TERM', message: `term ${term} is newer than any this node has heard of (${highest})` }
  if (current === undefined) return { code: 'ERR_ELECTION_NO_LEADER', message: 'no leader holds the lease that this node knows of' }
  if (term < current) return { code: 'ERR_ELECTION_STALE_TERM', message: `term ${term} is older than the current term ${current}` }
  if (term > current) return { code: 'ERR_ELECTION_NO_LEADER', message: `no leader holds term ${term} (the current one is ${current})` }
  return undefined
}

export type FenceNext = { kind: 'answer'; error?: WireError } | { kind: 'check' } | { kind: 'wait' }

/**
 * What a waiting fence does now: `error` is fenceError's answer, `leaderHere` whether this node
 * holds the lease itself, `checked` the leader's answer to this fence's check when one just came.
 */
export function nextForFence(f: PendingFence, error: WireError | undefined, leaderHere: boolean, checked: { round: number; current: boolean } | undefined, now: number): FenceNext {
  if (error?.code === 'ERR_ELECTION_STALE_TERM' || error?.code === 'ERR_ELECTION_FUTURE_TERM') return { kind: 'answer', error }
  if (error === undefined && leaderHere) return { kind: 'answer' }
  if (checked !== undefined && f.round === checked.round) return error === undefined && checked.current ? { kind: 'answer' } : { kind: 'answer', error: unconfirmed(f.term) }
  if (now >= f.until) return { kind: 'answer', error: error ?? unconfirmed(f.term) }
  if (error === undefined && f.round === undefined) return { kind: 'check' }
  return { kind: 'wait' }
}

function unconfirmed(term: number): WireError {
  return { code: 'ERR_ELECTION_NO_LEADER', message: `the leader did not confirm term ${term} as current` }
}
