/**
 * snapshotter protocol: what the snapshotter actor accepts and emits. The snapshotter keeps the
 * node's snapshot file (Serf's format, spec §6) so a restarted node can rejoin the members it knew.
 *
 * Sender: member-manager (member join/leave/failed, the three Lamport clocks, a graceful leave) and
 * the node at start (`snapshot.restore`). Tells never wait: the actor coalesces pending changes per
 * member when the disk falls behind, so a burst costs memory bounded by the number of members.
 *
 * Watermarks: every record message (member-alive, member-not-alive, the three clocks, and each
 * record of a `snapshot.records` batch) counts as one, in the order received. `snapshot.sync`,
 * `snapshot.leave` and the `snapshot.durable` notice report how many are written to the OS and how
 * many are fsynced, so a sender that counts what it sent learns when its change is durable.
 *
 * This is the only file of the actor that other actors may import. The unions are APPEND-ONLY.
 * Lamport times are u64, so they are `bigint`.
 */
import type { ActorAddress, ReplyTo } from '../../src/types/actor-env.ts'
import type { SnapshotterStats } from './metrics.ts'
import type { DurabilityPolicy } from './config.ts'

export type { SnapshotterStats, HistogramSnapshot } from './metrics.ts'
export type { DurabilityPolicy } from './config.ts'

/** A member joined: `alive: <name> <ip:port>`. `addr` holds raw IP bytes (4 or 16), as in swim. */
export interface MemberAliveMsg {
  type: 'snapshot.member-alive'
  name: string
  addr: Uint8Array
  port: number
}

/** A member left or failed: `not-alive: <name>`. */
export interface MemberNotAliveMsg {
  type: 'snapshot.member-not-alive'
  name: string
}

/** The member clock's last used value (clock.Time() − 1): `clock: <ltime>` when it advanced. */
export interface ClockMsg {
  type: 'snapshot.clock'
  ltime: bigint
}

/** A user event's LTime: `event-clock: <ltime>` when higher than any before. */
export interface EventClockMsg {
  type: 'snapshot.event-clock'
  ltime: bigint
}

/** A query's LTime (internal queries included): `query-clock: <ltime>` when higher. */
export interface QueryClockMsg {
  type: 'snapshot.query-clock'
  ltime: bigint
}

/** One record of a batch: the record messages above without their `snapshot.` prefix. */
export type SnapshotRecord =
  | { kind: 'member-alive'; name: string; addr: Uint8Array; port: number }
  | { kind: 'member-not-alive'; name: string }
  | { kind: 'clock'; ltime: bigint }
  | { kind: 'event-clock'; ltime: bigint }
  | { kind: 'query-clock'; ltime: bigint }

/** Several records in one message (cheaper across threads for a burst); applied in order. */
export interface RecordsMsg {
  type: 'snapshot.records'
  records: SnapshotRecord[]
  /**
   * How many messages this one stands for (set by the runtime when it coalesces consecutive record
   * messages into one batch, see definition.ts); counts of refused messages use it. Default 1.
   */
  coalesced?: number
}

/** Watermarks of record messages: received, written to the OS, fsynced. */
export interface SnapshotProgress {
  received: number
  writtenThrough: number
  durableThrough: number
}

/**
 * Ask: record a graceful leave. Answered once the `leave` line (and every record before it) is
 * fsynced. Unless rejoin-after-leave is configured, later member and event records are ignored
 * (counted), as Serf does. While the file cannot be written it fails with the disk error (see
 * SyncMsg); the leave is still recorded and written once the disk recovers.
 */
export interface LeaveMsg {
  type: 'snapshot.leave'
  replyTo?: ReplyTo<SnapshotProgress>
}

/**
 * Ask: answered once every record received before it is fsynced (any durability policy). While a
 * write or fsync of the file is failing it fails at once with `ERR_SNAPSHOT_DISK_FULL` (ENOSPC,
 * EDQUOT) or `ERR_SNAPSHOT_DISK` (`details.op`, `details.errno`); the records wait in memory, the
 * write is retried every second (`errorRecoveryIntervalMs`), and a later sync succeeds once it works.
 */
export interface SyncMsg {
  type: 'snapshot.sync'
  replyTo?: ReplyTo<SnapshotProgress>
}

/** Ask: counters, queue depth and latency histograms. */
export interface StatsMsg {
  type: 'snapshot.stats'
  replyTo?: ReplyTo<SnapshotterStats>
}

/** A member offered for rejoin (Serf's PreviousNode). */
export interface PreviousNode {
  name: string
  addr: string
}

/** What replay at start recovered, as the member layer needs it (spec §5.3, §6). */
export interface SnapshotRestore {
  /** Previously alive members in random order, our own name skipped: try to join one of them. */
  previousNodes: PreviousNode[]
  /** The member clock witnesses this. */
  lastClock: bigint
  lastEventClock: bigint
  lastQueryClock: bigint
  /** Events and queries below these LTimes are not delivered again. */
  eventMinTime: bigint
  queryMinTime: bigint
  /** The file ended with a graceful leave (and rejoin-after-leave is off): do not rejoin. */
  left: boolean
  /** Replay accounting: skipped corrupt lines, torn bytes, unknown lines. */
  corruptLines: number
  tornBytes: number
  unknownLines: number
}

/** Ask: the replayed state; answered as soon as the file has been replayed. */
export interface RestoreMsg {
  type: 'snapshot.restore'
  replyTo?: ReplyTo<SnapshotRestore>
}

/**
 * The member layer's complete alive set, for resynchronising after the snapshotter restarted (a
 * crashed thread loses the changes it had not written yet; the file is replayed at restart). The
 * snapshotter records the difference: `alive` for members new or moved, `not-alive` for members
 * it had as alive that are not in the set. Counts as one record message.
 */
export interface MembersMsg {
  type: 'snapshot.members'
  members: Array<{ name: string; addr: Uint8Array; port: number }>
}

/** Everything the snapshotter accepts. Append-only. */
export type SnapshotterIn =
  | MemberAliveMsg
  | MemberNotAliveMsg
  | ClockMsg
  | EventClockMsg
  | QueryClockMsg
  | RecordsMsg
  | LeaveMsg
  | SyncMsg
  | StatsMsg
  | RestoreMsg
  | MembersMsg

/** Told to `input.notify` whenever the durable watermark advances (group commit news). */
export interface DurableMsg {
  type: 'snapshot.durable'
  received: number
  writtenThrough: number
  durableThrough: number
}

/** Everything the snapshotter emits besides replies. Append-only. */
export type SnapshotterOut = DurableMsg

/** The actor's input: the config (see config.ts for defaults) and who hears `snapshot.durable`. */
export interface SnapshotterInput {
  path: string
  nodeName?: string
  durability?: DurabilityPolicy
  fsyncIntervalMs?: number
  rejoinAfterLeave?: boolean
  minCompactionBytes?: number
  checksums?: boolean
  compactionChunkLines?: number
  shutdownTimeoutMs?: number
  maxFileBytes?: number
  /** Actor told `snapshot.durable` (e.g. the member-manager); none if absent. */
  notify?: ActorAddress<DurableMsg>
}
