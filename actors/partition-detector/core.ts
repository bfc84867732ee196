/**
 * The partition-detector actor's core: detector.ts (the pure detector) behind the actor's messages.
 * Pure: `step(state, input)` returns the next state and the effects for the machine to run (arm or
 * cancel a timer on the actor clock, save the expected-size mark, emit `partition.changed`, reply).
 *
 * member-manager's `member.event` names one kind of change for one or more members; each member is
 * one detector input. A `member-join` of a member the detector has as failed is that member alive
 * again; `member-update` (tags, address) changes no count and is only counted.
 *
 * The state is the machine's context and what the runtime persists, so a supervised restart keeps
 * the view, the mark and the armed timers (re-armed from their due times on `restored`). A node
 * restart keeps the mark through the mark store (the `persist` effect; io/mark-file.ts).
 */
import type { MemberEventMsg } from '../member-manager/protocol.ts'
import type { ReplyTo } from '../../src/types/actor-env.ts'
import type { PartitionDetectorConfig } from './config.ts'
import { countsOf, startDetector, stepDetector, type DetectorEffect, type DetectorInput, type DetectorState, type DetectorStep, type DetectorTimerKey } from './detector.ts'
import type { PartitionActorStats, PartitionChangedMsg, PartitionPersistedMsg, PartitionStatusReply } from './protocol.ts'

export interface PartitionActorState {
  readonly detector: DetectorState
  readonly stats: PartitionActorStats
  /** The last failed load or save of the mark (null once a later save succeeded, or none failed). */
  readonly lastPersistError: { code: string; message: string } | null
  /** Where the mark store keeps the mark (null: nowhere; then only a supervised restart keeps it). */
  readonly statePath: string | null
  /** The actor told `partition.changed` besides the emit (null: none). */
  readonly eventsPeer: string | null
}

export type PartitionCoreInput =
  | (MemberEventMsg & { now: number })
  | { type: 'partition.status'; replyTo?: ReplyTo<PartitionStatusReply> | undefined }
  | { type: 'partition.timer'; key: DetectorTimerKey; now: number }
  | (PartitionPersistedMsg & { now: number })
  /** A supervised restart restored this state: the host's timers are gone and are armed again. */
  | { type: 'restored'; now: number }

export type PartitionEffect =
  | { type: 'set-timer'; key: DetectorTimerKey; ms: number }
  | { type: 'cancel-timer'; key: DetectorTimerKey }
  | { type: 'persist'; highWater: number }
  | { type: 'emit'; msg: PartitionChangedMsg }
  | { type: 'reply'; to: ReplyTo<PartitionStatusReply> | undefined; msg: PartitionStatusReply }
  | { type: 'warn'; obj: Record<string, unknown>; msg: string }

export interface PartitionStep {
  state: PartitionActorState
  effects: PartitionEffect[]
}

const NO_STATS: PartitionActorStats = { memberEvents: 0, updatesIgnored: 0, undelivered: 0, persistFailures: 0, persisted: 0, notCounted: 0 }

export interface PartitionStart {
  config: PartitionDetectorConfig
  self: string
  now: number
  statePath: string | null
  eventsPeer: string | null
  /** A mark the caller already knows (e.g. from its own store); the mark store's is applied when it is read. */
  persistedHighWater?: number | undefined
}

export function startPartitionActor(start: PartitionStart): PartitionStep {
  const { config, self, now, persistedHighWater } = start
  const first = startDetector({ config, self, now, ...(persistedHighWater === undefined ? {} : { persistedHighWater }) })
  const state: PartitionActorState = { detector: first.state, stats: NO_STATS, lastPersistError: null, statePath: start.statePath, eventsPeer: start.eventsPeer }
  return { state, effects: mapEffects(first, []) }
}

export function step(state: PartitionActorState, input: PartitionCoreInput): PartitionStep {
  switch (input.type) {
    case 'partition.status':
      return { state, effects: [{ type: 'reply', to: input.replyTo, msg: statusReply(state) }] }
    case 'partition.timer':
      return detectorStep(state, { type: 'timer-fired', key: input.key, now: input.now }, state.stats)
    case 'partition.persisted':
      if (input.error === undefined) {
        if (input.op === 'load') return detectorStep(state, { type: 'mark-loaded', highWater: input.highWater, now: input.now }, state.stats)
        return { state: { ...state, stats: { ...state.stats, persisted: state.stats.persisted + 1 }, lastPersistError: null }, effects: [] }
      }
      return {
        state: { ...state, stats: { ...state.stats, persistFailures: state.stats.persistFailures + 1 }, lastPersistError: input.error },
        effects: [{ type: 'warn', obj: { err: input.error, op: input.op, highWater: input.highWater }, msg: `partition-detector: the expected-size mark could not be ${input.op === 'load' ? 'read' : 'saved'}; the expected size may be under-counted` }],
      }
    case 'restored': {
      const effects: PartitionEffect[] = state.detector.timers.map((t) => ({ type: 'set-timer', key: t.key, ms: Math.max(0, t.dueAt - input.now) }))
      return { state, effects }
    }
    case 'member.event':
      return memberEvent(state, input)
  }
}

function memberEvent(state: PartitionActorState, msg: MemberEventMsg & { now: number }): PartitionStep {
  const stats = { ...state.stats, memberEvents: state.stats.memberEvents + 1 }
  if (msg.event === 'member-update') {
    stats.updatesIgnored += msg.members.length
    return { state: { ...state, stats }, effects: [] }
  }
  let detector = state.detector
  const effects: PartitionEffect[] = []
  const tag = state.detector.config.countOnlyTag ?? '' // ?? : a snapshot persisted before the field
  for (const m of msg.members) {
    if (tag !== '' && m.tags?.[tag] === undefined) {
      stats.notCounted = (stats.notCounted ?? 0) + 1 // ?? 0: a snapshot persisted before the field
      continue
    }
    const input = inputFor(detector, msg.event, m.name, msg.now)
    const next = stepDetector(detector, input)
    detector = next.state
    mapEffects(next, effects)
  }
  return { state: { ...state, detector, stats }, effects }
}

function inputFor(detector: DetectorState, event: Exclude<MemberEventMsg['event'], 'member-update'>, name: string, now: number): Exclude<DetectorInput, { type: 'timer-fired' | 'mark-loaded' }> {
  switch (event) {
    case 'member-join':
      return { type: detector.view.members[name] === 'failed' ? 'member-alive-again' : 'member-joined', name, now }
    case 'member-leave':
      return { type: 'member-left', name, now }
    case 'member-failed':
      return { type: 'member-failed', name, now }
    case 'member-reap':
      return { type: 'member-reaped', name, now }
  }
}

function detectorStep(state: PartitionActorState, input: DetectorInput, stats: PartitionActorStats): PartitionStep {
  const next = stepDetector(state.detector, input)
  return { state: { ...state, detector: next.state, stats }, effects: mapEffects(next, []) }
}

/** The detector's effects as the actor's; an emitted detector event carries the published status and the counts after the step. */
function mapEffects(next: DetectorStep, into: PartitionEffect[]): PartitionEffect[] {
  for (const e of next.effects as DetectorEffect[]) {
    if (e.type !== 'emit') {
      into.push(e)
      continue
    }
    const counts = e.event.type === 'partition.expected-size' ? countsOf(next.state) : e.event.counts
    into.push({ type: 'emit', msg: { type: 'partition.changed', change: e.event, status: next.state.status, counts } })
  }
  return into
}

export function statusReply(state: PartitionActorState): PartitionStatusReply {
  const d = state.detector
  return { type: 'partition.status-reply', status: d.status, escalated: d.escalated, counts: countsOf(d), highWater: d.view.highWater, detector: { ...d.stats }, actor: { ...state.stats } }
}
