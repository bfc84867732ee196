/**
 * actors/partition-detector: the partition detector's core (issue 14), pure. The actor that hosts
 * it (machine.ts, worker.ts, protocol.ts) comes after the "cores that return effects" refactor
 * (issue 11): it will feed member-manager's events and timer firings in, and perform the effects
 * that come out (arm/cancel timers on the actor clock, persist the expected size, publish events).
 *
 * Status (spec/coordination-anchors.md §10): `healthy` when every expected member is visible,
 * `degraded` when some are missing but a majority (more than minorityFraction × expected) is
 * visible, `minority` otherwise. The *raw* status follows every event; the *published* status
 * follows it only after the view has been still for the grace (Akka stable-after), so a flapping
 * member does not flap the status. If the view keeps changing for grace + unstableAfter since the
 * first change, the detector escalates (Akka down-all-when-unstable): it publishes `minority`
 * (cause `unstable`), so a leader steps down and nobody acts on a view nobody can trust, until the
 * view has been still for a grace again. Every published change is an event with the counts that
 * caused it; every input that changed nothing is counted.
 */
import { timerFiring } from '../../src/types/armed-timers.ts'
import { graceFor, unstableAfterFor, type PartitionDetectorConfig } from './config.ts'
import {
  createView,
  expectedOf,
  memberAliveAgain,
  memberCount,
  memberFailed,
  memberJoined,
  memberLeft,
  memberReaped,
  type MembershipView,
  type ViewChange,
} from './expected-size.ts'

export type PartitionStatus = 'healthy' | 'degraded' | 'minority'

/** `stable`: the view has been still for the grace. `unstable`: the down-all escalation. */
export type DetectorTimerKey = 'stable' | 'unstable'

export type DetectorInput =
  | { type: 'member-joined'; name: string; now: number }
  /** A graceful leave (Serf member-leave). */
  | { type: 'member-left'; name: string; now: number }
  | { type: 'member-failed'; name: string; now: number }
  | { type: 'member-reaped'; name: string; now: number }
  /** A failed member that is alive again. */
  | { type: 'member-alive-again'; name: string; now: number }
  | { type: 'timer-fired'; key: DetectorTimerKey; now: number }
  /**
   * The mark an earlier run saved, read back after the start (the host reads it asynchronously,
   * so events may come first): it only ever raises the mark. A status it makes worse is published
   * at once, without the grace: a node that restarts alone must not call itself healthy for a
   * grace period because its file came late.
   */
  | { type: 'mark-loaded'; highWater: number; now: number }

/** The counts behind a status: what the detector saw when it decided. */
export interface StatusCounts {
  visible: number
  expected: number
  /** Visible members needed not to be a minority: floor(minorityFraction × expected) + 1. */
  quorum: number
  failed: number
}

export type DetectorEvent =
  | { type: 'partition.status'; status: PartitionStatus; previous: PartitionStatus; cause: 'stable' | 'unstable' | 'restored'; counts: StatusCounts; at: number }
  | { type: 'partition.expected-size'; expected: number; previous: number; cause: 'grew' | 'left' | 'reaped' | 'restored'; at: number }
  | { type: 'partition.escalated'; unstableForMs: number; changes: number; counts: StatusCounts; at: number }

export type DetectorEffect =
  | { type: 'set-timer'; key: DetectorTimerKey; ms: number }
  | { type: 'cancel-timer'; key: DetectorTimerKey }
  | { type: 'emit'; event: DetectorEvent }
  /** Save the learned expected size; give it back as `persistedHighWater` on restart. */
  | { type: 'persist'; highWater: number }

export interface DetectorStats {
  events: number
  /** Events that changed nothing (a repeat, or about a member in another state). */
  noops: number
  /** Events about a member the detector did not know in the state the event implies. */
  unknownMember: number
  /** Events naming this node itself (member-manager reports it; the detector always counts itself). */
  aboutSelf: number
  /** Events refused because maxMembers members are tracked already. */
  overCapacity: number
  statusChanges: number
  escalations: number
  /** Timer firings for a key not armed (raced a cancel). */
  staleTimers: number
  /** Timer firings before their due time (re-armed for the rest). */
  earlyTimers: number
}

export interface DetectorState {
  readonly config: PartitionDetectorConfig
  readonly self: string
  readonly view: MembershipView
  readonly status: PartitionStatus
  /** Whether the published status is the escalation's (cleared by the next stable period). */
  readonly escalated: boolean
  /** Start of the current unsettled period (first view change since the last settle), if any. */
  readonly unstableSince: number | undefined
  /** View changes in the current unsettled period. */
  readonly changes: number
  readonly timers: readonly { key: DetectorTimerKey; dueAt: number }[]
  readonly stats: DetectorStats
}

export interface DetectorStep {
  state: DetectorState
  effects: DetectorEffect[]
}

export interface DetectorStart {
  config: PartitionDetectorConfig
  /** This node's name (events about it are counted and ignored). */
  self: string
  now: number
  /** The high-water mark saved by an earlier run (a `persist` effect). */
  persistedHighWater?: number
}

export function countsOf(state: Pick<DetectorState, 'config' | 'view'>): StatusCounts {
  const expected = expectedOf(state.view, state.config.expectedSize)
  let failed = 0
  for (const s of Object.values(state.view.members)) if (s === 'failed') failed++
  return { visible: state.view.alive, expected, quorum: Math.floor(state.config.minorityFraction * expected) + 1, failed }
}

export function rawStatus(counts: StatusCounts): PartitionStatus {
  if (counts.visible < counts.quorum) return 'minority'
  return counts.visible >= counts.expected ? 'healthy' : 'degraded'
}

/** A detector that starts from the view it has (itself alone, or the persisted mark): published at once, no grace. */
export function startDetector(start: DetectorStart): DetectorStep {
  const state: DetectorState = {
    config: start.config,
    self: start.self,
    view: createView(start.persistedHighWater),
    status: 'healthy',
    escalated: false,
    unstableSince: undefined,
    changes: 0,
    timers: [],
    stats: { events: 0, noops: 0, unknownMember: 0, aboutSelf: 0, overCapacity: 0, statusChanges: 0, escalations: 0, staleTimers: 0, earlyTimers: 0 },
  }
  const counts = countsOf(state)
  const status = rawStatus(counts)
  const effects: DetectorEffect[] = [{ type: 'emit', event: { type: 'partition.status', status, previous: 'healthy', cause: 'stable', counts, at: start.now } }]
  return { state: { ...state, status }, effects }
}

/** Applies one input. Never throws. */
export function stepDetector(state: DetectorState, input: DetectorInput): DetectorStep {
  const stats = { ...state.stats }
  const s = { ...state, stats }
  const effects: DetectorEffect[] = []
  const now = input.now
  if (input.type === 'timer-fired') {
    const firing = timerFiring(s.timers, input.key, now)
    if (firing.kind === 'stale') {
      stats.staleTimers++
      return { state: s, effects }
    }
    if (firing.kind === 'early') {
      // Lost, it would leave the status unpublished until the next membership change: wait out the rest.
      stats.earlyTimers++
      arm(s, effects, input.key, firing.remainingMs, now)
      return { state: s, effects }
    }
    s.timers = firing.timers
    if (input.key === 'stable') settle(s, effects, now)
    else escalate(s, effects, now)
    return { state: s, effects }
  }
  if (input.type === 'mark-loaded') {
    restoreMark(s, effects, input.highWater, now)
    return { state: s, effects }
  }
  stats.events++
  if (input.name === s.self) {
    stats.aboutSelf++
    return { state: s, effects }
  }
  const isNew = s.view.members[input.name] === undefined
  if (isNew && input.type !== 'member-reaped' && memberCount(s.view) >= s.config.maxMembers) {
    stats.overCapacity++
    return { state: s, effects }
  }
  const change = applyEvent(s.view, input)
  if (change.unknown) stats.unknownMember++
  if (!change.changed) {
    stats.noops++
    return { state: s, effects }
  }
  const beforeExpected = expectedOf(s.view, s.config.expectedSize)
  const beforeMark = s.view.highWater
  s.view = change.view
  if (s.view.highWater !== beforeMark) effects.push({ type: 'persist', highWater: s.view.highWater })
  const expected = expectedOf(s.view, s.config.expectedSize)
  if (expected !== beforeExpected) {
    const cause = expected > beforeExpected ? 'grew' : input.type === 'member-reaped' ? 'reaped' : 'left'
    effects.push({ type: 'emit', event: { type: 'partition.expected-size', expected, previous: beforeExpected, cause, at: now } })
  }
  // Any change restarts the stability grace (Akka: stable-after counts from the last change).
  const grace = graceFor(s.config, expected)
  arm(s, effects, 'stable', grace, now)
  if (s.unstableSince === undefined) {
    s.unstableSince = now
    s.changes = 0
    // Armed once per unsettled period, never pushed back by later changes: that is the point.
    if (s.config.downAllWhenUnstable) arm(s, effects, 'unstable', grace + unstableAfterFor(s.config, grace), now)
  }
  s.changes++
  return { state: s, effects }
}

/** Raises the mark to a saved one (never lowers it); publishes a status the higher mark makes worse at once. */
function restoreMark(s: Mutable<DetectorState> & { stats: DetectorStats }, effects: DetectorEffect[], mark: number, now: number): void {
  if (!Number.isSafeInteger(mark) || mark <= s.view.highWater) {
    s.stats.noops++
    return
  }
  const beforeExpected = expectedOf(s.view, s.config.expectedSize)
  s.view = { ...s.view, highWater: Math.min(mark, s.config.maxMembers) }
  const expected = expectedOf(s.view, s.config.expectedSize)
  if (expected !== beforeExpected) effects.push({ type: 'emit', event: { type: 'partition.expected-size', expected, previous: beforeExpected, cause: 'restored', at: now } })
  const counts = countsOf(s)
  const status = rawStatus(counts)
  if (RANK[status] > RANK[s.status]) publish(s, effects, status, 'restored', counts, now)
}

/** Worse is higher: a restored mark may only make the published status worse at once. */
const RANK: Record<PartitionStatus, number> = { healthy: 0, degraded: 1, minority: 2 }

function applyEvent(view: MembershipView, input: Exclude<DetectorInput, { type: 'timer-fired' | 'mark-loaded' }>): ViewChange {
  switch (input.type) {
    case 'member-joined':
      return memberJoined(view, input.name)
    case 'member-alive-again':
      return memberAliveAgain(view, input.name)
    case 'member-failed':
      return memberFailed(view, input.name)
    case 'member-left':
      return memberLeft(view, input.name)
    case 'member-reaped':
      return memberReaped(view, input.name)
    default:
      return { view, changed: false, unknown: true }
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** The view was still for a whole grace: publish the raw status, end the unsettled period. */
function settle(s: Mutable<DetectorState> & { stats: DetectorStats }, effects: DetectorEffect[], now: number): void {
  const counts = countsOf(s)
  const status = rawStatus(counts)
  s.unstableSince = undefined
  s.changes = 0
  cancel(s, effects, 'unstable')
  const wasEscalated = s.escalated
  s.escalated = false
  if (status !== s.status || wasEscalated) publish(s, effects, status, 'stable', counts, now)
}

function escalate(s: Mutable<DetectorState> & { stats: DetectorStats }, effects: DetectorEffect[], now: number): void {
  if (s.unstableSince === undefined) return
  const counts = countsOf(s)
  s.stats.escalations++
  effects.push({ type: 'emit', event: { type: 'partition.escalated', unstableForMs: now - s.unstableSince, changes: s.changes, counts, at: now } })
  s.escalated = true
  if (s.status !== 'minority') publish(s, effects, 'minority', 'unstable', counts, now)
}

function publish(s: Mutable<DetectorState> & { stats: DetectorStats }, effects: DetectorEffect[], status: PartitionStatus, cause: 'stable' | 'unstable' | 'restored', counts: StatusCounts, now: number): void {
  const previous = s.status
  s.status = status
  s.stats.statusChanges++
  effects.push({ type: 'emit', event: { type: 'partition.status', status, previous, cause, counts, at: now } })
}

function arm(s: Mutable<DetectorState>, effects: DetectorEffect[], key: DetectorTimerKey, ms: number, now: number): void {
  s.timers = [...s.timers.filter((t) => t.key !== key), { key, dueAt: now + ms }]
  effects.push({ type: 'set-timer', key, ms })
}

function cancel(s: Mutable<DetectorState>, effects: DetectorEffect[], key: DetectorTimerKey): void {
  if (!s.timers.some((t) => t.key === key)) return
  s.timers = s.timers.filter((t) => t.key !== key)
  effects.push({ type: 'cancel-timer', key })
}
