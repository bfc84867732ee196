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
 *
 * This file routes each input to what it changes; the role changes themselves (campaign, win,
 * renew, step down, give up) are lease-roles.ts, the step's working copy is lease-draft.ts.
 */
import { timerFiring } from '../../src/types/armed-timers.ts'
import type { ElectionConfig } from './config.ts'
import type { ElectionMsg } from './messages.ts'
import { NO_TERM, maxTerm } from './term.ts'
import { decideGrant, releaseHold, restoreVoter, type PersistedPromise } from './voter.ts'
import type { LeaseInput, LeaseState, LeaseStep, LeaseTimerKey } from './lease-types.ts'
import { Draft, emptyStats } from './lease-draft.ts'
import { addGrant, armCampaign, campaign, extend, giveUp, quorumOf, renew, retryVotes, setVoter, stepDown, win } from './lease-roles.ts'

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


function setMembership(d: Draft, peers: readonly string[], expected: number): void {
  const unique = [...new Set(peers.filter((p) => typeof p === 'string' && p.length > 0 && p !== d.s.self))].sort()
  if (unique.length > d.s.config.maxPeers) d.stats.peersDropped += unique.length - d.s.config.maxPeers
  d.s.peers = unique.slice(0, d.s.config.maxPeers)
  d.s.expected = Number.isSafeInteger(expected) && expected >= 1 ? expected : 1
}
