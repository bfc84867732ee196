/**
 * One step of the membership core in the making (membership-core.ts): the Draft of the state and
 * its effects, and the per-group moves every input shares: a group created on first use (or
 * rebuilt from its promise), a lease-core step with its effects carried out as the host's (sends
 * framed with the group, timers keyed by group, persist once a step), the view reported when it
 * changed, and the waiting fences moved on.
 */
import type { WireError } from '../../src/errors/index.ts'
import type { LeaderChangeReason, LeaderView } from './backend.ts'
import { encodeElectionEnvelope } from './group-frame.ts'
import { isLeader, startLease, stepLease } from './lease-core.ts'
import type { LeaseInput, LeaseStep, StepDownReason } from './lease-types.ts'
import { NO_TERM, maxTerm, type Term } from './term.ts'
import { fenceError, nextForFence, type PendingFence } from './fence-rules.ts'
import { votersOf } from './gossamer-members.ts'
import type { PersistedPromise } from './voter.ts'
import { MAX_GROUPS, type MembershipEffect, type MembershipGroup, type MembershipState, type MembershipStep } from './membership-state.ts'

type M<T> = { -readonly [K in keyof T]: T[K] }

export class Draft {
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


/**
 * Moves the waiting fences on (fence-rules.ts): answered, checked with the observed leader, or
 * left waiting; the `fence` timer is due at the next deadline.
 */
export function settleFences(d: Draft, group: string, checked?: { round: number; current: boolean }): void {
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
export function fenceOf(g: MembershipGroup, term: number, now: number): WireError | undefined {
  const current = isLeader(g.lease, now) ? g.lease.lead!.term : g.observed !== undefined && now < g.observed.until ? g.observed.term : undefined
  return fenceError(term, current, maxTerm(g.lease.voter.term, g.lease.highestSeen))
}

export function voters(s: Pick<MembershipState, 'members' | 'detectorExpected'>): { peers: string[]; expected: number } {
  return votersOf(s.members, s.detectorExpected)
}

/** The group's state, created (as a voter, not standing) on first use; undefined past MAX_GROUPS. */
export function groupOf(d: Draft, group: string): MembershipGroup | undefined {
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

export function newGroup(d: Draft, group: string, promise: PersistedPromise | undefined, standing: boolean): MembershipGroup {
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
/** One lease-core step for `group`, its effects carried into this step's. */
export function lease(d: Draft, group: string, input: LeaseInput): void {
  const g = d.groups[group]!
  apply(d, group, stepLease(g.lease, input))
}

const REASONS: Record<StepDownReason, LeaderChangeReason> = { 'lease-expired': 'lease-expired', minority: 'minority', stopped: 'closed', resigned: 'resigned' }

export function apply(d: Draft, group: string, step: LeaseStep): void {
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
export function report(d: Draft, group: string, lost?: LeaderChangeReason): void {
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
