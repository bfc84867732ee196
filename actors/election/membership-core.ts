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
 */
import type { ReplyTo } from '../../src/types/actor-env.ts'
import type { WireError } from '../../src/errors/index.ts'
import type { LeaderChange, LeaderChangeReason, LeaderView } from './backend.ts'
import { leaderLeaseMs, renewIntervalMs, type ElectionConfig } from './config.ts'
import { decodeGroupMessage, encodeElectionEnvelope } from './group-frame.ts'
import { isLeader, startLease, stepLease } from './lease-core.ts'
import type { LeaseInput, LeaseState, LeaseStep, LeaseTimerKey, PartitionView, StepDownReason } from './lease-types.ts'
import type { ElectionResultReply } from './protocol.ts'
import { NO_TERM, maxTerm, type Term } from './term.ts'
import { fenceError, nextForFence, type PendingFence } from './fence-rules.ts'
import { applyMemberEvent, votersOf, type GossamerMembers, type MemberSeen } from './gossamer-members.ts'

export type { MemberSeen } from './gossamer-members.ts'
export type { PendingFence } from './fence-rules.ts'
import type { PersistedPromise } from './voter.ts'

/** Groups one node keeps (each a lease core); a request or message for one more is refused and counted. */
export const MAX_GROUPS = 1024
/** Campaign asks waiting for a win, per group; more are answered ERR_ELECTION_BUSY. */
export const MAX_WAITERS = 256

/** The lease core's timers, the follower's view expiry, and the deadline of the fences that wait. */
export type MembershipTimerKey = LeaseTimerKey | 'observed' | 'fence'

export interface MembershipGroup {
  readonly lease: LeaseState
  readonly waiters: readonly ReplyTo<ElectionResultReply>[]
  /** The leader learned from its renewals (follower side), until when it is believed (own clock). */
  readonly observed: { readonly leader: string; readonly term: Term; readonly until: number } | undefined
  /** The view last reported (a change is reported when it differs). */
  readonly view: LeaderView
  /** The voter promise to persist (the newest the lease core asked to persist). */
  readonly promise: PersistedPromise | undefined
  /** fence asks not answered yet: waiting (until `until`, own clock) for news of a leader. */
  readonly fences: readonly PendingFence[]
}

export interface MembershipStats {
  messagesIn: number
  messagesSent: number
  /** Received bodies that did not decode (bad frame, bad message): dropped. */
  corrupt: number
  lastDecodeError: string
  /** Requests or messages for a group beyond MAX_GROUPS: refused. */
  groupsRefused: number
  /** Gossamer members beyond config.maxPeers: not asked. */
  membersDropped: number
  /** Campaign asks refused (more than MAX_WAITERS waiting). */
  waitersRefused: number
  /** Timer firings for a group not kept (raced a restart): ignored. */
  staleTimers: number
  restarts: number
}

export interface MembershipState {
  readonly self: string
  readonly config: ElectionConfig
  /** Gossamer members other than this node: alive, or failed (still expected). */
  readonly members: GossamerMembers
  readonly partition: PartitionView
  /** The partition detector's expected cluster size (configured or its persisted high-water mark); 0 before it spoke. */
  readonly detectorExpected: number
  readonly groups: Readonly<Record<string, MembershipGroup>>
  /** Own clock: until this, a new group's voter holds as after a restart (this run's first lease). */
  readonly holdAllUntil: number
  /** Seed of the next group's jitter stream. */
  readonly seed: number
  /** Id of the next fence check sent to a leader. */
  readonly nextCheck: number
  readonly stopped: boolean
  readonly stats: MembershipStats
}

export type MembershipInput =
  | { type: 'op'; op: 'campaign' | 'resign' | 'fence'; group: string; term?: number; replyTo?: ReplyTo<ElectionResultReply> | undefined; now: number }
  /** Keep (and report changes of) a group this node does not stand for. */
  | { type: 'follow'; group: string; now: number }
  /** A body received on the election channel (group frame + election message). */
  | { type: 'message'; from: string; body: Uint8Array; now: number }
  | { type: 'timer'; group: string; key: MembershipTimerKey; now: number }
  | { type: 'members'; event: string; members: readonly MemberSeen[]; now: number }
  | { type: 'partition'; status: PartitionView; expected?: number; now: number }
  /** The actor restarted: every group is rebuilt from its persisted promise (timers are gone). */
  | { type: 'restart'; now: number }
  | { type: 'stop'; now: number }

export type MembershipEffect =
  | { type: 'send'; to: string; bytes: Uint8Array }
  /** A voter promise changed in this step: this step's sends leave only once it is persisted. */
  | { type: 'persist' }
  | { type: 'set-timer'; group: string; key: MembershipTimerKey; ms: number }
  | { type: 'cancel-timer'; group: string; key: MembershipTimerKey }
  | { type: 'change'; change: LeaderChange }
  | { type: 'done'; op: 'campaign' | 'resign' | 'fence'; group: string; replyTo?: ReplyTo<ElectionResultReply> | undefined; term?: number; error?: WireError }

export interface MembershipStep {
  state: MembershipState
  effects: MembershipEffect[]
}

export function initialMembership(config: ElectionConfig, self: string, now: number, seed: number): MembershipState {
  return {
    self,
    config,
    members: {},
    partition: 'healthy',
    detectorExpected: 0,
    groups: {},
    holdAllUntil: now + config.leaseMs,
    seed: seed >>> 0,
    nextCheck: 1,
    stopped: false,
    stats: { messagesIn: 0, messagesSent: 0, corrupt: 0, lastDecodeError: '', groupsRefused: 0, membersDropped: 0, waitersRefused: 0, staleTimers: 0, restarts: 0 },
  }
}

/** The view a node has of `group` now (no group kept: vacant). */
export function membershipView(state: MembershipState, group: string): LeaderView {
  return state.groups[group]?.view ?? { group, leader: null, term: NO_TERM, isSelf: false }
}

type M<T> = { -readonly [K in keyof T]: T[K] }

class Draft {
  readonly s: M<MembershipState>
  readonly fx: MembershipEffect[] = []
  readonly groups: Record<string, MembershipGroup>
  persisted = false
  constructor(
    state: MembershipState,
    readonly now: number,
  ) {
    this.groups = { ...state.groups }
    this.s = { ...state, stats: { ...state.stats }, groups: this.groups }
  }
  done(): MembershipStep {
    return { state: this.s, effects: this.fx }
  }
}

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

/**
 * Moves the waiting fences on (fence-rules.ts): answered, checked with the observed leader, or
 * left waiting; the `fence` timer is due at the next deadline.
 */
function settleFences(d: Draft, group: string, checked?: { round: number; current: boolean }): void {
  const g = d.groups[group]!
  if (g.fences.length === 0) return
  const left: PendingFence[] = []
  for (const f of g.fences) {
    const next = nextForFence(f, fenceOf(g, f.term, d.now), isLeader(g.lease, d.now), checked, d.now)
    if (next.kind === 'answer') d.fx.push({ type: 'done', op: 'fence', group, replyTo: f.replyTo, term: f.term, ...(next.error === undefined ? {} : { error: next.error }) })
    else if (next.kind === 'check') {
      const round = d.s.nextCheck++
      d.s.stats.messagesSent++
      d.fx.push({ type: 'send', to: g.observed!.leader, bytes: encodeElectionEnvelope(group, { type: 'check', term: f.term as Term, from: d.s.self, round }) })
      left.push({ ...f, round, until: Math.min(f.until, d.now + d.s.config.campaignTimeoutMs) })
    } else left.push(f)
  }
  d.groups[group] = { ...d.groups[group]!, fences: left }
  if (left.length > 0) d.fx.push({ type: 'set-timer', group, key: 'fence', ms: Math.max(0, Math.min(...left.map((f) => f.until)) - d.now) })
  else d.fx.push({ type: 'cancel-timer', group, key: 'fence' })
}

/** fenceError with this group's current term (own lease, or the observed leader's) and the newest heard of. */
function fenceOf(g: MembershipGroup, term: number, now: number): WireError | undefined {
  const current = isLeader(g.lease, now) ? g.lease.lead!.term : g.observed !== undefined && now < g.observed.until ? g.observed.term : undefined
  return fenceError(term, current, maxTerm(g.lease.voter.term, g.lease.highestSeen))
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
  // unless the promise is only to ourselves, from a campaign we lost: then it is the live leader's.
  const lostOwnCampaign = after.lease.role === 'follower' && after.lease.voter.votedFor === d.s.self
  if (msg.type === 'renew' && (msg.term >= after.lease.voter.term || lostOwnCampaign) && (after.observed === undefined || msg.term >= after.observed.term)) {
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

function voters(s: Pick<MembershipState, 'members' | 'detectorExpected'>): { peers: string[]; expected: number } {
  return votersOf(s.members, s.detectorExpected)
}

/** The group's state, created (as a voter, not standing) on first use; undefined past MAX_GROUPS. */
function groupOf(d: Draft, group: string): MembershipGroup | undefined {
  const g = d.groups[group]
  if (g !== undefined) return g
  if (Object.keys(d.groups).length >= MAX_GROUPS) {
    d.s.stats.groupsRefused++
    return undefined
  }
  const created = newGroup(d, group, undefined, false)
  d.groups[group] = created
  return created
}

function newGroup(d: Draft, group: string, promise: PersistedPromise | undefined, standing: boolean): MembershipGroup {
  d.s.seed = (Math.imul(d.s.seed, 1_664_525) + 1_013_904_223) >>> 0
  const { peers, expected } = voters(d.s)
  let step = startLease({ config: d.s.config, self: d.s.self, now: d.now, seed: d.s.seed, peers, expected, standing, ...(promise === undefined ? {} : { persisted: promise }) })
  if (promise === undefined && d.now >= d.s.holdAllUntil) {
    // Never granted in this group (no promise kept) and past this run's first lease: no restart hold.
    const voter = { ...step.state.voter, holdUntil: d.now, restartHoldUntil: d.now }
    step = { state: { ...step.state, voter }, effects: step.effects }
  }
  const g: MembershipGroup = { lease: step.state, waiters: [], observed: undefined, view: { group, leader: null, term: NO_TERM, isSelf: false }, promise, fences: [] }
  d.groups[group] = g
  apply(d, group, step)
  if (d.s.partition !== 'healthy') lease(d, group, { type: 'partition-status', status: d.s.partition, now: d.now })
  return d.groups[group]!
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

/** One lease-core step for `group`, its effects carried into this step's. */
function lease(d: Draft, group: string, input: LeaseInput): void {
  const g = d.groups[group]!
  apply(d, group, stepLease(g.lease, input))
}

const REASONS: Record<StepDownReason, LeaderChangeReason> = { 'lease-expired': 'lease-expired', minority: 'minority', stopped: 'closed', resigned: 'resigned' }

function apply(d: Draft, group: string, step: LeaseStep): void {
  let g: MembershipGroup = { ...d.groups[group]!, lease: step.state }
  let lost: LeaderChangeReason | undefined
  for (const e of step.effects) {
    switch (e.type) {
      case 'persist':
        g = { ...g, promise: e.promise }
        if (!d.persisted) {
          d.persisted = true
          d.fx.push({ type: 'persist' })
        }
        break
      case 'send':
        d.s.stats.messagesSent++
        d.fx.push({ type: 'send', to: e.to, bytes: encodeElectionEnvelope(group, e.msg) })
        break
      case 'set-timer':
        d.fx.push({ type: 'set-timer', group, key: e.key, ms: e.ms })
        break
      case 'cancel-timer':
        d.fx.push({ type: 'cancel-timer', group, key: e.key })
        break
      case 'emit':
        if (e.event.type === 'election.won') {
          for (const to of g.waiters) d.fx.push({ type: 'done', op: 'campaign', group, replyTo: to, term: e.event.term })
          g = { ...g, waiters: [], observed: undefined }
        } else lost = REASONS[e.event.reason]
        break
    }
  }
  d.groups[group] = g
  report(d, group, lost)
}

/** Reports the group's view when it differs from the one last reported. */
function report(d: Draft, group: string, lost?: LeaderChangeReason): void {
  const g = d.groups[group]!
  const l = g.lease
  const view: LeaderView = isLeader(l, d.now)
    ? { group, leader: d.s.self, term: l.lead!.term, isSelf: true }
    : g.observed !== undefined && d.now < g.observed.until
      ? { group, leader: g.observed.leader, term: g.observed.term, isSelf: false }
      : { group, leader: null, term: NO_TERM, isSelf: false }
  const was = g.view
  if (was.leader === view.leader && was.term === view.term && was.isSelf === view.isSelf) return
  d.groups[group] = { ...g, view }
  const reason: LeaderChangeReason = view.isSelf ? 'elected' : was.isSelf && lost !== undefined ? lost : view.leader !== null ? 'observed' : 'vacant'
  d.fx.push({ type: 'change', change: { ...view, reason, at: d.now } })
  settleFences(d, group)
}
