/**
 * actors/election: the `membership` backend's lease core (issue 14), pure. Leadership is a lease
 * granted by a strict majority of the *expected* cluster size, over the cluster's own messages, with
 * no external service. The election actor runs one per group (membership-core.ts, in its context):
 * it feeds messages, timer firings, the member list and the partition detector's status in, and
 * performs the effects that come out.
 *
 * - Voter side (voter.ts): one candidate per term, none while another's promise is unexpired, never
 *   an older term; the promise is persisted before a grant is sent.
 * - Candidate: when it stands for the group (campaign), its own promise to others has expired (plus
 *   a random jitter), and the detector does not say minority, a follower asks every peer for term max(promised, highest seen) + 1 and
 *   grants itself. Grants from floor(max(expected, peers + 1) / 2) + 1 members make it leader.
 * - Leader: believes its lease until sentAt + leaderLeaseMs on its own clock, sentAt being when the
 *   winning round was *sent* (config.ts derives leaderLeaseMs from the drift margin), renews every
 *   renewIntervalMs with a new round, and steps down on its own lease-end timer, on `minority`, or
 *   at stop, sending a resign so voters release early. isLeader() checks the clock, not the role
 *   alone: a host must ask it (with the current time) before acting as leader, in case a timer
 *   fires late.
 * - The term is the fencing token: stamp it on everything the leader publishes.
 * Leadership is a value, not a thread (lessons/003): followers campaign by themselves when a lease
 * lapses, and nothing outside the step function starts or stops it.
 */
import { timerFiring } from '../../src/types/armed-timers.ts'
import { leaderLeaseMs, renewIntervalMs, type ElectionConfig } from './config.ts'
import type { ElectionMsg } from './messages.ts'
import { NO_TERM, maxTerm, nextTerm, type Term } from './term.ts'
import { decideGrant, persistedOf, releaseHold, restoreVoter, type PersistedPromise, type VoterState } from './voter.ts'
import type { LeaseInput, LeaseState, LeaseStep, LeaseTimerKey, Round, StepDownReason } from './lease-types.ts'
import { Draft, emptyStats } from './lease-draft.ts'

export interface LeaseStart {
  config: ElectionConfig
  self: string
  now: number
  /** The promise saved by an earlier run (a `persist` effect); undefined on a first start. */
  persisted?: PersistedPromise
  /** Seed of the campaign jitter (the runtime's seeded randomness). */
  seed: number
  peers?: readonly string[]
  expected?: number
  /** Whether the node stands for leader from the start (default true: the model checker's nodes all do). */
  standing?: boolean
}

/** Open renewal rounds kept per leader: a grant for an older one no longer matters. */
const MAX_OPEN_ROUNDS = 3
/** The campaign jitter doubles per failed campaign in a row, at most 3 times (8 × campaignJitterMs). */
const MAX_BACKOFF_DOUBLINGS = 3

export function startLease(start: LeaseStart): LeaseStep {
  const state: LeaseState = {
    config: start.config,
    self: start.self,
    role: 'follower',
    stopped: false,
    standing: start.standing ?? true,
    voter: restoreVoter(start.persisted, start.now, start.config.leaseMs),
    peers: [],
    expected: 1,
    partition: 'healthy',
    highestSeen: NO_TERM,
    campaign: undefined,
    lead: undefined,
    nextRound: 1,
    failedInARow: 0,
    rng: start.seed >>> 0,
    timers: [],
    stats: emptyStats(),
  }
  const d = new Draft(state, start.now)
  setMembership(d, start.peers ?? [], start.expected ?? 1)
  d.s.highestSeen = d.s.voter.term
  if (d.s.standing) armCampaign(d, d.s.voter.holdUntil - d.now)
  return d.done()
}

/** Whether this node may act as leader at `now` (own clock): leader role and an unexpired lease. */
export function isLeader(state: LeaseState, now: number): boolean {
  return state.role === 'leader' && state.lead !== undefined && now < state.lead.leaseEnd
}

export function quorumOf(state: Pick<LeaseState, 'peers' | 'expected'>): number {
  return Math.floor(Math.max(state.expected, state.peers.length + 1) / 2) + 1
}

export function stepLease(state: LeaseState, input: LeaseInput): LeaseStep {
  const d = new Draft(state, input.now)
  if (state.stopped) {
    d.stats.ignoredAfterStop++
    return d.done()
  }
  switch (input.type) {
    case 'message':
      onMessage(d, input.msg)
      break
    case 'timer-fired':
      onTimer(d, input.key)
      break
    case 'membership':
      setMembership(d, input.peers, input.expected)
      break
    case 'partition-status':
      d.s.partition = input.status
      if (input.status === 'minority' && d.s.role === 'leader') stepDown(d, 'minority')
      else if (input.status === 'minority' && d.s.role === 'candidate') giveUp(d)
      break
    case 'stand':
      stand(d, input.standing)
      break
    case 'stop':
      if (d.s.role === 'leader') stepDown(d, 'stopped')
      for (const t of d.s.timers) d.effects.push({ type: 'cancel-timer', key: t.key })
      d.s.timers = []
      d.s.campaign = undefined
      d.s.role = 'follower'
      d.s.stopped = true
      break
  }
  return d.done()
}

function stand(d: Draft, standing: boolean): void {
  if (d.s.standing === standing) return
  d.s.standing = standing
  if (standing) {
    // From when this node may campaign: its promise to another (and its restart hold) must lapse first.
    if (d.s.role === 'follower') armCampaign(d, Math.max(d.s.voter.holdUntil, d.s.voter.restartHoldUntil) - d.now)
    return
  }
  if (d.s.role === 'leader') stepDown(d, 'resigned')
  else if (d.s.role === 'candidate') giveUp(d)
  d.cancel('campaign')
}

function onMessage(d: Draft, msg: ElectionMsg): void {
  // A fence's check and its answer are the host's (membership-core.ts), not the lease's.
  if (msg.type === 'check' || msg.type === 'checked') return
  if (msg.from === d.s.self) {
    d.stats.fromSelf++
    return
  }
  if (msg.type === 'vote' || msg.type === 'renew') {
    // A candidate asked for a newer term gives its own up and may vote for it (Raft's rule): fewer
    // split votes, since the newest campaign collects the others'.
    if (msg.type === 'vote' && d.s.role === 'candidate' && d.s.campaign !== undefined && msg.term > d.s.campaign.term) giveUp(d)
    const decision = decideGrant(d.s.voter, msg, d.now, d.s.config.leaseMs)
    if (decision.granted) {
      setVoter(d, decision.voter)
      d.stats.granted++
      if (msg.type === 'renew') d.s.failedInARow = 0 // a leader exists: the backoff starts over
      if (d.s.role === 'follower' && d.s.standing) armCampaign(d, d.s.voter.holdUntil - d.now)
    } else {
      d.stats.refused[decision.reason]++
      if (decision.reason === 'stale-term' && msg.type === 'renew' && d.s.role === 'follower' && d.s.standing && d.s.voter.votedFor === d.s.self) {
        // A live leader renews a term older than our own failed campaign's (a promise only to
        // ourselves). Raft's follower timer: no campaign until a lease after its last renewal, so a
        // candidate that lost the race does not campaign against the leader every lease.
        d.stats.campaignsDeferred = (d.stats.campaignsDeferred ?? 0) + 1 // ?? 0: a state saved before the counter
        armCampaign(d, d.s.config.leaseMs)
      }
    }
    const reply: ElectionMsg = decision.granted
      ? { type: 'grant', term: msg.term, from: d.s.self, round: msg.round, granted: true, promised: d.s.voter.term }
      : { type: 'grant', term: msg.term, from: d.s.self, round: msg.round, granted: false, promised: d.s.voter.term, reason: decision.reason }
    d.effects.push({ type: 'send', to: msg.from, msg: reply })
  } else if (msg.type === 'grant') {
    d.s.highestSeen = maxTerm(d.s.highestSeen, msg.promised)
    if (!msg.granted) {
      // A campaign that can no longer reach a majority ends now, releasing the voters it holds.
      const c = d.s.campaign
      if (d.s.role === 'candidate' && c !== undefined && msg.term === c.term && msg.round === c.round.round) {
        const refusals = c.round.refusals.includes(msg.from) ? c.round.refusals : [...c.round.refusals, msg.from]
        d.s.campaign = { ...c, round: { ...c.round, refusals } }
        if (d.s.peers.length + 1 - refusals.length < quorumOf(d.s)) giveUp(d)
      }
      return
    }
    if (d.s.role === 'candidate' && d.s.campaign !== undefined && msg.term === d.s.campaign.term && msg.round === d.s.campaign.round.round) {
      d.s.campaign = { ...d.s.campaign, round: addGrant(d.s.campaign.round, msg.from) }
      if (d.s.campaign.round.grants.length >= quorumOf(d.s)) win(d)
    } else if (d.s.role === 'leader' && d.s.lead !== undefined && msg.term === d.s.lead.term && d.s.lead.rounds.some((r) => r.round === msg.round)) {
      const rounds = d.s.lead.rounds.map((r) => (r.round === msg.round ? addGrant(r, msg.from) : r))
      d.s.lead = { ...d.s.lead, rounds }
      const r = rounds.find((x) => x.round === msg.round)!
      if (r.grants.length === quorumOf(d.s)) extend(d, r.sentAt)
    } else d.stats.lateGrants++
  } else {
    // resign: the leader stopped believing before it sent this, so its voters may move on.
    setVoter(d, releaseHold(d.s.voter, msg.from, msg.term, d.now))
    if (d.s.role === 'follower' && d.s.standing) armCampaign(d, Math.max(0, d.s.voter.holdUntil - d.now))
  }
}

function onTimer(d: Draft, key: LeaseTimerKey): void {
  const firing = timerFiring(d.s.timers, key, d.now)
  if (firing.kind === 'stale') {
    d.stats.staleTimers++
    return
  }
  if (firing.kind === 'early') {
    // A leader whose lease-end is lost never steps down: wait out the rest.
    d.stats.earlyTimers++
    d.arm(key, firing.remainingMs)
    return
  }
  d.s.timers = firing.timers
  if (key === 'campaign') campaign(d)
  else if (key === 'campaign-retry') retryVotes(d)
  else if (key === 'campaign-timeout') {
    if (d.s.role === 'candidate') giveUp(d)
  } else if (key === 'renew') renew(d)
  else if (d.s.role === 'leader' && d.s.lead !== undefined) {
    if (d.now >= d.s.lead.leaseEnd) stepDown(d, 'lease-expired')
    else d.arm('lease-end', d.s.lead.leaseEnd - d.now)
  }
}

function campaign(d: Draft): void {
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
function retryVotes(d: Draft): void {
  const c = d.s.campaign
  if (d.s.role !== 'candidate' || c === undefined) return
  for (const to of d.s.peers) {
    if (c.round.grants.includes(to) || c.round.refusals.includes(to)) continue
    d.stats.voteRetries++
    d.effects.push({ type: 'send', to, msg: { type: 'vote', term: c.term, from: d.s.self, round: c.round.round } })
  }
}

function win(d: Draft): void {
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

function renew(d: Draft): void {
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

function extend(d: Draft, sentAt: number): void {
  const lead = d.s.lead!
  const leaseEnd = sentAt + leaderLeaseMs(d.s.config)
  d.stats.renewals++
  if (leaseEnd <= lead.leaseEnd) return
  d.s.lead = { ...lead, leaseEnd }
  d.arm('lease-end', leaseEnd - d.now)
}

function stepDown(d: Draft, reason: StepDownReason): void {
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
function giveUp(d: Draft): void {
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

function setMembership(d: Draft, peers: readonly string[], expected: number): void {
  const unique = [...new Set(peers.filter((p) => typeof p === 'string' && p.length > 0 && p !== d.s.self))].sort()
  if (unique.length > d.s.config.maxPeers) d.stats.peersDropped += unique.length - d.s.config.maxPeers
  d.s.peers = unique.slice(0, d.s.config.maxPeers)
  d.s.expected = Number.isSafeInteger(expected) && expected >= 1 ? expected : 1
}

/**
 * (Re)arms the campaign timer `ms` from now plus a random jitter in 0..campaignJitterMs × 2^k, k the
 * campaigns in a row that failed (capped at 3): after a split vote everyone's promises are released
 * at once, and a fixed jitter would start the same crowd of candidates again.
 */
function armCampaign(d: Draft, ms: number): void {
  const spread = d.s.config.campaignJitterMs * 2 ** Math.min(d.s.failedInARow, MAX_BACKOFF_DOUBLINGS)
  d.arm('campaign', Math.max(0, ms) + Math.floor(d.random() * (spread + 1)))
}

function setVoter(d: Draft, voter: VoterState): void {
  if (voter === d.s.voter) return
  const changedPromise = voter.term !== d.s.voter.term || voter.votedFor !== d.s.voter.votedFor || voter.holdUntil !== d.s.voter.holdUntil
  d.s.voter = voter
  // Persist before anything is sent: effects run in order, and sends are pushed after this.
  if (changedPromise) d.effects.push({ type: 'persist', promise: persistedOf(voter) })
}

function addGrant(r: Round, from: string): Round {
  return r.grants.includes(from) ? r : { ...r, grants: [...r.grants, from] }
}
