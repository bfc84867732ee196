/**
 * partition-detector protocol: what the partition-detector actor accepts and emits.
 *
 * The actor takes member-manager's public `member.event` (as member-manager's `events` peer gets
 * it, or forwarded from a subscription) and keeps the expected and visible cluster sizes and the
 * published status (`healthy | degraded | minority`, detector.ts). Every change is emitted as
 * `partition.changed` (XState `emit`, and a tell to the `events` peer when one is named) with the
 * counts that caused it. `partition.status` is an ask for the current status and counters.
 *
 * This is the only file of the actor that other actors may import. The unions are APPEND-ONLY:
 * a published `type` and its fields never change meaning. Asks carry the runtime's `replyTo`.
 */
import type { ReplyTo } from '../../src/types/actor-env.ts'
import type { MemberEventMsg } from '../member-manager/protocol.ts'
import type { DetectorEvent, DetectorStats, DetectorTimerKey, PartitionStatus, StatusCounts } from './detector.ts'

export type { PartitionStatus, StatusCounts } from './detector.ts'

/** Ask: the published status now. Reply: `PartitionStatusReply`. */
export interface PartitionStatusMsg {
  type: 'partition.status'
  replyTo?: ReplyTo<PartitionStatusReply>
}

/** Internal tell (the actor's own timers): a detector timer is due. Harmless from anyone else: a timer not armed or not yet due is counted and ignored. */
export interface PartitionTimerMsg {
  type: 'partition.timer'
  key: DetectorTimerKey
}

/** Internal tell (the actor's mark store): how a load or a save of the expected-size mark ended. */
export interface PartitionPersistedMsg {
  type: 'partition.persisted'
  op: 'load' | 'save'
  /** The mark that was saved or loaded (0: a load that found none, or failed). */
  highWater: number
  /** Undefined when the mark is on disk; the error's code and message otherwise. */
  error?: { code: string; message: string }
}

/** Everything the partition-detector accepts. Append-only. */
export type PartitionDetectorInbound = MemberEventMsg | PartitionStatusMsg | PartitionTimerMsg | PartitionPersistedMsg

/** What the actor counts besides the detector's own counters. */
export interface PartitionActorStats {
  /** `member.event`s received (each may name several members). */
  memberEvents: number
  /** Members in `member-update` events: tags or address changed, no effect on the counts. */
  updatesIgnored: number
  /** `partition.changed` tells to the `events` peer that were not delivered (unknown or stopped peer, full mailbox). */
  undelivered: number
  /** Loads and saves of the mark that failed (the last error is in `lastPersistError`). */
  persistFailures: number
  /** Saves of the mark that reached the disk. */
  persisted: number
  /** Members left out of the counts because they lack config.countOnlyTag (e.g. serf agents in a mixed cluster). */
  notCounted: number
}

export interface PartitionStatusReply {
  type: 'partition.status-reply'
  status: PartitionStatus
  /** Whether the published status is the down-all escalation's. */
  escalated: boolean
  counts: StatusCounts
  /** The high-water mark of alive members (persisted; the expected size in learned mode). */
  highWater: number
  detector: DetectorStats
  actor: PartitionActorStats
}

/**
 * Emitted on every published change: a new status, a new expected size, or the down-all
 * escalation (`change`, detector.ts's DetectorEvent), with the published status after it and the
 * counts it was decided on.
 */
export interface PartitionChangedMsg {
  type: 'partition.changed'
  change: DetectorEvent
  status: PartitionStatus
  counts: StatusCounts
}

/** Everything the partition-detector emits (replies and events). Append-only. */
export type PartitionDetectorOutbound = PartitionStatusReply | PartitionChangedMsg
