/**
 * The role changes of the `membership` lease (lease-core.ts): a follower's campaign and its vote
 * retries, a candidate's win or give-up, a leader's renewal rounds, lease extensions and step-down,
 * and the two rules every one of them keeps: a changed promise is persisted before anything is
 * sent, and the campaign timer carries a jitter that backs off after failed campaigns. Each works
 * on the step's Draft (lease-draft.ts). Separate from lease-core.ts, which decides *when* (it
 * routes messages, timer firings, membership and standing to these); this file says *what* each
 * change does to the state, the timers and the messages sent.
 */
import { leaderLeaseMs, renewIntervalMs } from './config.ts'
import { maxTerm, nextTerm, type Term } from './term.ts'
import { decideGrant, persistedOf, releaseHold, type VoterState } from './voter.ts'
import type { LeaseState, Round, StepDownReason } from './lease-types.ts'
import type { Draft } from './lease-draft.ts'

/** Open renewal rounds kept per leader: a grant for an older one no longer matters. */
const MAX_OPEN_ROUNDS = 3
/** The campaign jitter doubles per failed campaign in a row, at most 3 times (8 × campaignJitterMs). */
const MAX_BACKOFF_DOUBLINGS = 3

/** Grants that make a majority: of the expected cluster size, or of the peers known, whichever is larger. */
export function quorumOf(state: Pick<LeaseState, 'peers' | 'expected'>): number {
  return Math.floor(Math.max(state.expected, state.peers.length + 1) / 2) + 1
}

export function campaign(d: Draft): void {
  if (d.s.role !== 'follower' || !d.s.standing) return
  const v = d.s.voter
  if (d.s.partition === 'minority') {
    d.stats.skippedMinority++
    armCampaign(d, renewIntervalMs(d.s.config))
    return
  }
  if ((d.now < v.holdUntil && v.votedFor !== d.s.self) || d.now < v.restartHoldUntil) {
    armCampaign(d, Math.max(v.holdUntil, v.restartHoldUntil) - d.now)
    return
  }
  const term = nextTerm(maxTerm(v.term, d.s.highestSeen))
  const self = decideGrant(v, { term, from: d.s.self }, d.now, d.s.config.leaseMs)
  if (!self.granted) {
    armCampaign(d, renewIntervalMs(d.s.config))
    return
  }
  setVoter(d, self.voter)
  d.stats.campaigns++
  const round: Round = { round: d.s.nextRound++, sentAt: d.now, grants: [d.s.self], refusals: [] }
  d.s.role = 'candidate'
  d.s.campaign = { term, round }
  d.s.highestSeen = maxTerm(d.s.highestSeen, term)
  if (round.grants.length >= quorumOf(d.s)) {
    win(d)
    return
  }
  for (const to of d.s.peers) d.effects.push({ type: 'send', to, msg: { type: 'vote', term, from: d.s.self, round: round.round } })
  d.arm('campaign-timeout', d.s.config.campaignTimeoutMs)
  d.arm('campaign-retry', Math.floor(d.s.config.campaignTimeoutMs / 2))
}

/**
 * Asks again the peers that have not answered: a bare majority needs every one of its members, and
 * one lost request or reply would otherwise waste the round. A voter grants the same candidate and
 * term again, so a repeat is harmless; the round (and its send time, which bounds the lease) is kept.
 */
export function retryVotes(d: Draft): void {
  const c = d.s.campaign
  if (d.s.role !== 'candidate' || c === undefined) return
  for (const to of d.s.peers) {
    if (c.round.grants.includes(to) || c.round.refusals.includes(to)) continue
    d.stats.voteRetries++
    d.effects.push({ type: 'send', to, msg: { type: 'vote', term: c.term, from: d.s.self, round: c.round.round } })
  }
}

export function win(d: Draft): void {
  const c = d.s.campaign!
  const leaseEnd = c.round.sentAt + leaderLeaseMs(d.s.config)
  d.s.campaign = undefined
  d.cancel('campaign-timeout')
  d.cancel('campaign-retry')
  if (leaseEnd <= d.now) {
    // The grants came so late that the lease they give has already ended: not a leader.
    giveUpTerm(d, c.term)
    return
  }
  d.s.role = 'leader'
  d.s.failedInARow = 0
  d.s.lead = { term: c.term, leaseEnd, rounds: [] }
  d.stats.won++
  d.arm('lease-end', leaseEnd - d.now)
  d.arm('renew', Math.max(0, c.round.sentAt + renewIntervalMs(d.s.config) - d.now))
  d.effects.push({ type: 'emit', event: { type: 'election.won', term: c.term, leaseEnd, grants: c.round.grants.length, quorum: quorumOf(d.s), at: d.now } })
}

export function renew(d: Draft): void {
  const lead = d.s.lead
  if (d.s.role !== 'leader' || lead === undefined) return
  const self = decideGrant(d.s.voter, { term: lead.term, from: d.s.self }, d.now, d.s.config.leaseMs)
  if (!self.granted) return // cannot happen while leading (its own promise is to itself); the lease simply runs out
  setVoter(d, self.voter)
  const round: Round = { round: d.s.nextRound++, sentAt: d.now, grants: [d.s.self], refusals: [] }
  d.s.lead = { ...lead, rounds: [...lead.rounds, round].slice(-MAX_OPEN_ROUNDS) }
  if (round.grants.length >= quorumOf(d.s)) extend(d, round.sentAt)
  for (const to of d.s.peers) d.effects.push({ type: 'send', to, msg: { type: 'renew', term: lead.term, from: d.s.self, round: round.round } })
  d.arm('renew', renewIntervalMs(d.s.config))
}

export function extend(d: Draft, sentAt: number): void {
  const lead = d.s.lead!
  const leaseEnd = sentAt + leaderLeaseMs(d.s.config)
  d.stats.renewals++
  if (leaseEnd <= lead.leaseEnd) return
  d.s.lead = { ...lead, leaseEnd }
  d.arm('lease-end', leaseEnd - d.now)
}

export function stepDown(d: Draft, reason: StepDownReason): void {
  const lead = d.s.lead!
  d.s.role = 'follower'
  d.s.lead = undefined
  d.stats.lost[reason]++
  d.cancel('renew')
  d.cancel('lease-end')
  d.effects.push({ type: 'emit', event: { type: 'election.lost', term: lead.term, reason, at: d.now } })
  // Stopped believing first (above), then release our own promise and tell the voters.
  setVoter(d, releaseHold(d.s.voter, d.s.self, lead.term, d.now))
  for (const to of d.s.peers) d.effects.push({ type: 'send', to, msg: { type: 'resign', term: lead.term, from: d.s.self } })
  if (reason !== 'stopped' && reason !== 'resigned') armCampaign(d, 0)
}

/** A campaign round without a majority (timeout, or minority): back to follower, own promise released. */
export function giveUp(d: Draft): void {
  const c = d.s.campaign
  d.s.campaign = undefined
  d.cancel('campaign-timeout')
  d.cancel('campaign-retry')
  if (c !== undefined) giveUpTerm(d, c.term)
}

function giveUpTerm(d: Draft, term: Term): void {
  d.stats.campaignsFailed++
  d.s.failedInARow++
  d.s.role = 'follower'
  setVoter(d, releaseHold(d.s.voter, d.s.self, term, d.now))
  // This node will never lead `term` (late grants for it are ignored), so the voters that granted
  // it may move on now instead of holding a promise for a full lease: without this, every split
  // vote would lock its voters for a lease and a large cluster could go many leases leaderless.
  for (const to of d.s.peers) d.effects.push({ type: 'send', to, msg: { type: 'resign', term, from: d.s.self } })
  if (d.s.standing) armCampaign(d, 0)
}

/**
 * (Re)arms the campaign timer `ms` from now plus a random jitter in 0..campaignJitterMs × 2^k, k the
 * campaigns in a row that failed (capped at 3): after a split vote everyone's promises are released
 * at once, and a fixed jitter would start the same crowd of candidates again.
 */
export function armCampaign(d: Draft, ms: number): void {
  const spread = d.s.config.campaignJitterMs * 2 ** Math.min(d.s.failedInARow, MAX_BACKOFF_DOUBLINGS)
  d.arm('campaign', Math.max(0, ms) + Math.floor(d.random() * (spread + 1)))
}

export function setVoter(d: Draft, voter: VoterState): void {
  if (voter === d.s.voter) return
  const changedPromise = voter.term !== d.s.voter.term || voter.votedFor !== d.s.voter.votedFor || voter.holdUntil !== d.s.voter.holdUntil
  d.s.voter = voter
  // Persist before anything is sent: effects run in order, and sends are pushed after this.
  if (changedPromise) d.effects.push({ type: 'persist', promise: persistedOf(voter) })
}

export function addGrant(r: Round, from: string): Round {
  return r.grants.includes(from) ? r : { ...r, grants: [...r.grants, from] }
}
