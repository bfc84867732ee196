/**
 * The `membership` backend as the election actor runs it, pure: one lease core (lease-core.ts) per
 * group, the Gossamer members to ask, the partition status, and what the actor answers from (the
 * view of each group, the campaign asks waiting for a win). Inputs in, effects out; the actor's
 * machine keeps this state in its context (persisted) and carries the effects out: sends as
 * `swim.send-gossamer` (channel election, UDP), timers on the actor clock, changes and replies
 * through the actor core (actor-core.ts).
 *
 * - Members: Gossamer members (those advertising GOSSAMER_TAG) from member-manager's `member.event`;
 *   the peers asked are the alive ones, and the expected size is 1 + every one known alive or
 *   failed (a high-water mark lowered by graceful leaves and reaps, never by failures, as the
 *   partition detector keeps it), or the detector's own expected size when larger: a majority of it
 *   is needed, so a partition's smaller side never leads. `partition.changed` to `minority` makes a
 *   leader step down at once.
 * - Views: a leader sees itself while its lease holds (lease-core's isLeader); a follower learns the
 *   leader from its renewals (only a leader renews, and a term has one leader) and believes it for
 *   one leader lease after each, or until the leader's resign.
 * - Persistence: each group's voter promise is kept here (the `persist` effect says a promise
 *   changed in this step: the machine sends that step's messages only after the context holding it
 *   was persisted). A restart rebuilds every group from its promise (restoreVoter holds a full lease).
 *   A group first seen after the actor's first lease needs no hold: this node never granted in it.
 * - fence(group, term) is this node's knowledge: the current term is its own lease's or the
 *   observed leader's; a term above every term it has heard of is from the future. A fence that is
 *   not current (nor stale) waits up to a renew interval and a campaign round for a new leader's
 *   first renewal before it is answered.
 *
 * Files: membership-state.ts (the state, inputs and effects), membership-draft.ts (a step's draft
 * and the per-group moves every input shares), and this one (each input's handling).
 */
import type { ReplyTo } from '../../src/types/actor-env.ts'
import { leaderLeaseMs, renewIntervalMs } from './config.ts'
import { decodeGroupMessage, encodeElectionEnvelope } from './group-frame.ts'
import { isLeader } from './lease-core.ts'
import type { ElectionResultReply } from './protocol.ts'
import { applyMemberEvent, type MemberSeen } from './gossamer-members.ts'
import { Draft, fenceOf, groupOf, lease, newGroup, report, settleFences, voters } from './membership-draft.ts'
import { MAX_GROUPS, MAX_WAITERS, type MembershipGroup, type MembershipInput, type MembershipState, type MembershipStep } from './membership-state.ts'

// The state's types and constants live in membership-state.ts; importers of this module keep them.
export * from './membership-state.ts'
export type { MemberSeen } from './gossamer-members.ts'
export type { PendingFence } from './fence-rules.ts'

export function stepMembership(state: MembershipState, input: MembershipInput): MembershipStep {
  const d = new Draft(state, input.now)
  if (state.stopped) {
    if (input.type === 'op') d.fx.push({ type: 'done', op: input.op, group: input.group, replyTo: input.replyTo, error: { code: 'ERR_ELECTION_CLOSED', message: 'election: the membership backend is stopped' } })
    return d.done()
  }
  switch (input.type) {
    case 'op':
      op(d, input.op, input.group, input.term, input.replyTo)
      break
    case 'follow':
      groupOf(d, input.group)
      break
    case 'message':
      message(d, input.from, input.body)
      break
    case 'timer': {
      const g = d.groups[input.group]
      if (g === undefined) {
        d.s.stats.staleTimers++
        break
      }
      if (input.key === 'observed') observedEnd(d, input.group, g)
      else if (input.key === 'fence') settleFences(d, input.group)
      else lease(d, input.group, { type: 'timer-fired', key: input.key, now: d.now })
      break
    }
    case 'members':
      members(d, input.event, input.members)
      break
    case 'partition': {
      d.s.partition = input.status
      const expected = input.expected
      if (expected !== undefined && Number.isSafeInteger(expected) && expected >= 1 && expected !== d.s.detectorExpected) {
        d.s.detectorExpected = expected
        const v = voters(d.s)
        for (const group of Object.keys(d.groups)) lease(d, group, { type: 'membership', peers: v.peers, expected: v.expected, now: d.now })
      }
      for (const group of Object.keys(d.groups)) lease(d, group, { type: 'partition-status', status: input.status, now: d.now })
      break
    }
    case 'restart':
      restart(d)
      break
    case 'stop':
      for (const group of Object.keys(d.groups)) {
        lease(d, group, { type: 'stop', now: d.now })
        const g = d.groups[group]!
        for (const to of g.waiters) d.fx.push({ type: 'done', op: 'campaign', group, replyTo: to, error: { code: 'ERR_ELECTION_CLOSED', message: 'election: the backend stopped before this node won' } })
        for (const f of g.fences) d.fx.push({ type: 'done', op: 'fence', group, replyTo: f.replyTo, term: f.term, error: { code: 'ERR_ELECTION_CLOSED', message: 'election: the backend stopped' } })
        d.groups[group] = { ...g, waiters: [], fences: [] }
      }
      d.s.stopped = true
      break
  }
  return d.done()
}

function op(d: Draft, kind: 'campaign' | 'resign' | 'fence', group: string, term: number | undefined, replyTo: ReplyTo<ElectionResultReply> | undefined): void {
  const g = groupOf(d, group)
  if (g === undefined) {
    d.fx.push({ type: 'done', op: kind, group, replyTo, error: { code: 'ERR_ELECTION_BUSY', message: `election: more than ${MAX_GROUPS} groups` } })
    return
  }
  if (kind === 'campaign') {
    if (isLeader(g.lease, d.now)) {
      d.fx.push({ type: 'done', op: 'campaign', group, replyTo, term: g.lease.lead!.term })
      return
    }
    if (g.waiters.length >= MAX_WAITERS) {
      d.s.stats.waitersRefused++
      d.fx.push({ type: 'done', op: 'campaign', group, replyTo, error: { code: 'ERR_ELECTION_BUSY', message: `election: more than ${MAX_WAITERS} campaigns wait in ${group}` } })
      return
    }
    d.groups[group] = { ...g, waiters: replyTo === undefined ? g.waiters : [...g.waiters, replyTo] }
    lease(d, group, { type: 'stand', standing: true, now: d.now })
  } else if (kind === 'resign') {
    lease(d, group, { type: 'stand', standing: false, now: d.now })
    const after = d.groups[group]!
    for (const to of after.waiters) d.fx.push({ type: 'done', op: 'campaign', group, replyTo: to, error: { code: 'ERR_ELECTION_ABORTED', message: 'election: resigned before this node won' } })
    d.groups[group] = { ...after, waiters: [] }
    d.fx.push({ type: 'done', op: 'resign', group, replyTo })
  } else {
    const t = term ?? -1
    const error = fenceOf(g, t, d.now)
    if ((error !== undefined && error.code !== 'ERR_ELECTION_NO_LEADER') || (error === undefined && isLeader(g.lease, d.now)) || g.fences.length >= MAX_WAITERS) {
      d.fx.push({ type: 'done', op: 'fence', group, replyTo, term: t, ...(error === undefined ? {} : { error }) })
      return
    }
    // Current by this node's view (then the leader confirms it), or no leader known yet (a new
    // leader is known from its first renewal: wait up to a renew interval and a campaign round).
    const until = d.now + renewIntervalMs(d.s.config) + d.s.config.campaignTimeoutMs
    d.groups[group] = { ...g, fences: [...g.fences, { term: t, replyTo, until }] }
    settleFences(d, group)
  }
}
function message(d: Draft, from: string, body: Uint8Array): void {
  d.s.stats.messagesIn++
  let decoded
  try {
    decoded = decodeGroupMessage(body)
  } catch (err) {
    d.s.stats.corrupt++
    d.s.stats.lastDecodeError = (err as { code?: string }).code ?? 'ERR_ELECTION_MESSAGE_CORRUPT'
    return
  }
  const { group, msg } = decoded
  const g = groupOf(d, group)
  if (g === undefined) return
  if (msg.type === 'check') {
    // Asked by a node fencing: whether `term` is ours, now, by our own lease.
    const current = isLeader(g.lease, d.now) && g.lease.lead!.term === msg.term
    d.s.stats.messagesSent++
    d.fx.push({ type: 'send', to: msg.from, bytes: encodeElectionEnvelope(group, { type: 'checked', term: msg.term, from: d.s.self, round: msg.round, current }) })
    return
  }
  if (msg.type === 'checked') {
    settleFences(d, group, { round: msg.round, current: msg.current })
    return
  }
  lease(d, group, { type: 'message', msg, now: d.now })
  // The follower's view: a renewal comes only from the leader of its term.
  const after = d.groups[group]!
  if (msg.from === d.s.self) return
  // A renewal below this voter's promise is a deposed leader's (the voter refused it): not news;
  // unless the promise is only to ourselves, from a campaign we lost, or the promise has lapsed: a
  // candidate that won would have renewed with us within the hold (and been observed at its newer
  // term), so a lapsed promise is a campaign that failed, and the renewal is the live leader's.
  // Without the lapse rule a voter of a failed campaign never learned the leader of the older term
  // (seen in the demo: node-1 refused 15 renewals of the term-1 leader and showed no leader).
  const lostOwnCampaign = after.lease.role === 'follower' && after.lease.voter.votedFor === d.s.self
  const promiseLapsed = d.now >= after.lease.voter.holdUntil
  if (msg.type === 'renew' && (msg.term >= after.lease.voter.term || lostOwnCampaign || promiseLapsed) && (after.observed === undefined || msg.term >= after.observed.term)) {
    const until = d.now + leaderLeaseMs(d.s.config)
    d.groups[group] = { ...after, observed: { leader: msg.from, term: msg.term, until } }
    d.fx.push({ type: 'set-timer', group, key: 'observed', ms: until - d.now })
    report(d, group)
  } else if (msg.type === 'resign' && after.observed !== undefined && after.observed.leader === msg.from && after.observed.term === msg.term) {
    d.groups[group] = { ...after, observed: undefined }
    d.fx.push({ type: 'cancel-timer', group, key: 'observed' })
    report(d, group)
  }
}

function observedEnd(d: Draft, group: string, g: MembershipGroup): void {
  if (g.observed === undefined) return
  if (d.now < g.observed.until) {
    d.fx.push({ type: 'set-timer', group, key: 'observed', ms: g.observed.until - d.now })
    return
  }
  d.groups[group] = { ...g, observed: undefined }
  report(d, group)
}

function members(d: Draft, event: string, seen: readonly MemberSeen[]): void {
  const r = applyMemberEvent(d.s.members, event, seen, d.s.self, d.s.config.maxPeers)
  d.s.members = r.table
  d.s.stats.membersDropped += r.dropped
  const { peers, expected } = voters(d.s)
  for (const group of Object.keys(d.groups)) lease(d, group, { type: 'membership', peers, expected, now: d.now })
}

function restart(d: Draft): void {
  d.s.stats.restarts++
  d.s.holdAllUntil = d.now + d.s.config.leaseMs
  for (const [group, g] of Object.entries(d.groups)) {
    newGroup(d, group, g.promise, g.lease.standing)
    d.groups[group] = { ...d.groups[group]!, waiters: g.waiters, view: g.view, fences: g.fences }
    report(d, group)
    // The fences' timer was lost with the thread: every waiting one is answered now.
    const now = d.now
    d.groups[group] = { ...d.groups[group]!, fences: g.fences.map((f) => ({ ...f, until: Math.min(f.until, now) })) }
    settleFences(d, group)
  }
}

