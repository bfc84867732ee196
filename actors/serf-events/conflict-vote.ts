/**
 * Name-conflict resolution, the originator's vote (spec §5.11; Serf resolveNodeConflict), with
 * issue 12's quorum rule.
 *
 * Another address claims our name. We sent `_serf_conflict <our name>` to every member and collect
 * the answers until the query's deadline: each `[6]Member` says where that member believes our name
 * lives. Serf's rule: `matching` = answers placing the name at OUR addr:port, `majority` =
 * `responses/2 + 1`; `matching >= majority` → we stay, otherwise we are the minority claimant and
 * shut down.
 *
 * Serf is fragile when answers are missing: a real 0.9.4 agent that got one spoofed alive carrying
 * its own name while datagrams flooded it counted no answer at all, logged `minority in name
 * conflict resolution, quitting [0 / 0]` and shut down. Our rule: a vote whose answers are fewer
 * than a quorum of the members that could answer is `inconclusive`: we stay, the caller counts and
 * logs it, and votes again after `retryAfterMs`.
 * - eligible voters: the alive members we know, OURSELVES EXCLUDED (a node never answers about its
 *   own name, so neither we nor the other claimant can vote); the caller counts them at vote start;
 * - quorum = floor(eligible / 2) + 1, a strict majority of them (so 0 answers is never enough, even
 *   when we know nobody: with eligible 0 the quorum is 1);
 * - responses ≥ quorum → Serf's rule decides (majority / minority).
 *
 * Retry backoff after an inconclusive vote (DEFAULT_CONFLICT_RETRY): 5 s, then doubling, at most
 * 60 s (5, 10, 20, 40, 60 s), for at most 6 votes in a row about one conflict; after the 6th
 * inconclusive vote no retry is proposed (`retryAfterMs` absent) and the conflict stays reported as
 * unresolved. Why: a flood is transient and a vote costs a cluster-wide query, so back off rather
 * than add load; a persistent conflict with nobody able to vote (eligible 0) must not query forever.
 *
 * Answers are deduped by sender; a malformed one (not `[6]…`, or undecodable) is counted and skipped
 * (Serf skips it too). An answer sent under our own name is not a vote (`fromClaimant`): no honest
 * node sends one (neither claimant answers about its own name, conflict-response.ts), so it is forged.
 * Pure: plain data in, plain data out.
 */
import { decodeConflictResponse, memberAt } from './conflict-response.ts'

export interface ConflictRetryPolicy {
  /** Delay before the 2nd vote, ms; doubles per further inconclusive vote. */
  baseMs: number
  /** Cap on the delay, ms. */
  maxMs: number
  /** Votes in a row about one conflict; after this many inconclusive ones, no retry. */
  maxAttempts: number
}

export const DEFAULT_CONFLICT_RETRY: Readonly<ConflictRetryPolicy> = Object.freeze({ baseMs: 5_000, maxMs: 60_000, maxAttempts: 6 })

export interface ConflictVoteStart {
  /** Our name (the contested one), address (raw IP, 4 or 16 bytes) and port. */
  localName: string
  localAddr: Uint8Array
  localPort: number
  /** Alive members we know, ourselves excluded: the nodes able to answer. */
  eligibleVoters: number
  /** 1 for the first vote about this conflict, then 2, 3… after inconclusive ones. */
  attempt: number
  /** Most answers counted (Serf sizes its response channel to NumMembers); default eligibleVoters + 1. */
  capacity?: number
}

export interface ConflictVoteState {
  start: ConflictVoteStart
  /** Senders already counted (at most `capacity`). */
  voters: ReadonlySet<string>
  responses: number
  matching: number
  malformed: number
  duplicates: number
  fromClaimant: number
  overCapacity: number
}

export type VoteOutcome = 'counted' | 'malformed' | 'duplicate' | 'claimant' | 'over-capacity'

export interface ConflictDecision {
  outcome: 'majority' | 'minority' | 'inconclusive'
  responses: number
  matching: number
  /** Answers needed for a conclusive vote: floor(eligibleVoters / 2) + 1. */
  quorum: number
  /** Serf's threshold on `matching`: floor(responses / 2) + 1. */
  majority: number
  eligibleVoters: number
  malformed: number
  duplicates: number
  fromClaimant: number
  overCapacity: number
  attempt: number
  /** Inconclusive only: vote again after this long (ms); absent once maxAttempts votes were held. */
  retryAfterMs?: number
  /** One line for the log; Serf's text for majority and minority. */
  log: string
}

export function startConflictVote(start: ConflictVoteStart): ConflictVoteState {
  return { start, voters: new Set(), responses: 0, matching: 0, malformed: 0, duplicates: 0, fromClaimant: 0, overCapacity: 0 }
}

/** One answer to our `_serf_conflict` query, from node `from`. */
export function addConflictVote(state: ConflictVoteState, from: string, payload: Uint8Array | null): { state: ConflictVoteState; outcome: VoteOutcome } {
  const s = state.start
  if (from === s.localName) return { state: { ...state, fromClaimant: state.fromClaimant + 1 }, outcome: 'claimant' }
  if (state.voters.has(from)) return { state: { ...state, duplicates: state.duplicates + 1 }, outcome: 'duplicate' }
  const capacity = s.capacity ?? s.eligibleVoters + 1
  if (state.voters.size >= capacity) return { state: { ...state, overCapacity: state.overCapacity + 1 }, outcome: 'over-capacity' }
  const decoded = decodeConflictResponse(payload)
  if (!decoded.ok) return { state: { ...state, malformed: state.malformed + 1 }, outcome: 'malformed' }
  const voters = new Set(state.voters)
  voters.add(from)
  const match = memberAt(decoded.member, s.localAddr, s.localPort) ? 1 : 0
  return { state: { ...state, voters, responses: state.responses + 1, matching: state.matching + match }, outcome: 'counted' }
}

/** The vote is over (the query's deadline): what to do. */
export function decideConflictVote(state: ConflictVoteState, policy: ConflictRetryPolicy = DEFAULT_CONFLICT_RETRY): ConflictDecision {
  const { eligibleVoters, attempt } = state.start
  const { responses, matching } = state
  const quorum = Math.floor(Math.max(0, eligibleVoters) / 2) + 1
  const majority = Math.floor(responses / 2) + 1
  const base = {
    responses,
    matching,
    quorum,
    majority,
    eligibleVoters,
    malformed: state.malformed,
    duplicates: state.duplicates,
    fromClaimant: state.fromClaimant,
    overCapacity: state.overCapacity,
    attempt,
  }
  if (responses < quorum) {
    const retryAfterMs = conflictRetryDelayMs(attempt, policy)
    const tail = retryAfterMs === undefined ? `giving up after ${attempt} votes` : `voting again in ${retryAfterMs} ms`
    const log = `inconclusive name conflict resolution, staying [${matching} / ${responses}, quorum ${quorum} of ${eligibleVoters} voters]: ${tail}`
    return retryAfterMs === undefined ? { outcome: 'inconclusive', ...base, log } : { outcome: 'inconclusive', ...base, retryAfterMs, log }
  }
  if (matching >= majority) return { outcome: 'majority', ...base, log: `majority in name conflict resolution [${matching} / ${responses}]` }
  return { outcome: 'minority', ...base, log: `minority in name conflict resolution, quitting [${matching} / ${responses}]` }
}

/** The wait before vote `attempt + 1`, ms, or undefined when `attempt` was the last allowed. */
export function conflictRetryDelayMs(attempt: number, policy: ConflictRetryPolicy = DEFAULT_CONFLICT_RETRY): number | undefined {
  if (attempt >= policy.maxAttempts) return undefined
  const exp = Math.min(Math.max(0, attempt - 1), 30) // 2^30 × base is past any cap
  return Math.min(policy.maxMs, policy.baseMs * 2 ** exp)
}

/** The whole vote at once over collected answers (tests, or a caller that buffers them). */
export function tallyConflictVote(start: ConflictVoteStart, answers: readonly { from: string; payload: Uint8Array | null }[], policy?: ConflictRetryPolicy): ConflictDecision {
  let state = startConflictVote(start)
  for (const a of answers) state = addConflictVote(state, a.from, a.payload).state
  return decideConflictVote(state, policy)
}
