/**
 * The member-manager core's vocabulary (core.ts): its state, the inputs of `step`, and the effects
 * it returns. All plain data. The machine (machine.ts) turns messages and timers into inputs and
 * runs the effects in order; MemberLayer (member-layer.ts) does the same over ports for the
 * simulator and tests.
 */
import type { RandomSource } from '../../src/types/random.ts'
import type { Broadcast } from '../gossip-queue/protocol.ts'
import type { SnapshotterIn } from '../snapshotter/protocol.ts'
import type {
  LamportTime,
  LocalMetaChangedMsg,
  MemberEventMsg,
  NameConflictEventMsg,
  NodeChange,
  NodeInfo,
  NodesResyncMsg,
  ReconnectMsg,
  SwimLeaveMsg,
} from './protocol.ts'
import type { MergeRemoteEventsMsg, NameConflictReportMsg, SerfMessageMsg } from '../serf-events/protocol.ts'
import type { UserEventsSlot } from '../../src/wire/serf.ts'
import type { SerfConfig } from './config.ts'
import type { IntentsState } from './intents.ts'
import type { TableState } from './member-record.ts'
import type { NameConflictClaimant } from './name-conflict.ts'

export interface MemberLayerCounters {
  malformedMessages: number
  passedThrough: number
  reconnectAttempts: number
  intentsRebroadcast: number
  leaveRefutations: number
  /** Name conflicts about another node's name. */
  nameConflictsRemote: number
  /** Name conflicts about our own name (each handed to serf-events, which holds the vote). */
  nameConflictsLocal: number
  /** Completed reconnect joins (no join intent, as in Serf). */
  reconnectJoins: number
  /** Joins that completed while this node was leaving, left or shut down (no join intent). */
  joinsNotAlive: number
}

/**
 * Everything the member layer knows. Never changed in place: `step` returns a new object for a
 * turn that changed anything, sharing every part it did not change (the member table's records
 * and the intent buffer are persistent maps, see cow-map.ts).
 */
export interface MemberCoreState {
  config: SerfConfig
  /** The member Lamport clock's current value (the event and query clocks are serf-events'). */
  clock: LamportTime
  /**
   * The event layer's push/pull slice as serf-events last told it (`member.event-state`); until
   * then, a node that has seen no event or query: both clocks 1, every slot empty.
   */
  eventState: EventSlice | undefined
  intents: IntentsState
  table: TableState
  counters: MemberLayerCounters
  meta: {
    tags: Readonly<Record<string, string>>
    /** The last `snapshot.clock` told (the clock's last used value). */
    lastSnapshotClock: LamportTime
    /** The last member count told to gossip-queue (-1: none yet). */
    lastClusterSize: number
    leaveSeq: number
    started: boolean
  }
  /** Set by `begin-leave`: the id gossip-queue reports our leave intent under, and whether to wait for it. */
  leave: { notifyId: string; waitForBroadcast: boolean } | undefined
}

/** The push/pull slice of the event layer (Serf EventLTime, Events, QueryLTime). */
export interface EventSlice {
  eventLTime: LamportTime
  events: Array<UserEventsSlot | null>
  queryLTime: LamportTime
}

type Restored = { clock?: LamportTime }

/** What a step takes. `now` is the actor clock (ms) where time matters. Append-only. */
export type MemberCoreInput =
  /** Serf create: clocks to 1, restored clocks witnessed, our Meta told to swim (once). */
  | { type: 'start'; restored: Restored }
  | { type: 'node-joined'; node: NodeInfo; now: number }
  | { type: 'node-updated'; node: NodeInfo; now: number }
  | { type: 'node-left'; node: NodeInfo; now: number }
  | { type: 'nodes-changed'; changes: readonly NodeChange[]; now: number }
  | { type: 'name-conflict'; existing: NodeInfo; other: NameConflictClaimant }
  | { type: 'user-message'; bytes: Uint8Array; now: number }
  | { type: 'merge-remote-state'; bytes: Uint8Array; join: boolean; now: number }
  /** Rejected (effect `rejected`) when the encoded Meta is too large. */
  | { type: 'set-tags'; tags: Record<string, string> }
  | { type: 'join-completed'; numJoined: number; reconnect: boolean; now: number }
  /** `notifyTo`: the actor gossip-queue tells when our leave intent is spread. */
  | { type: 'begin-leave'; notifyTo: string; now: number }
  | { type: 'finish-leave' }
  | { type: 'shutdown' }
  | { type: 'reap-tick'; now: number }
  /** The actor's seeded source: which failed member to try is drawn from it (reconnect.ts). */
  | { type: 'reconnect-tick'; random: Pick<RandomSource, 'next' | 'int'> }
  | { type: 'prune-due'; name: string; now: number }
  /**
   * Serf RemoveFailedNode(Prune): a leave intent for `node` (Prune set as asked), applied here and
   * broadcast when another member is alive; gossip-queue reports it to `notifyTo` under `notifyId`.
   */
  | { type: 'force-leave'; node: string; prune: boolean; notifyTo: string; notifyId: string; now: number }
  /** serf-events' latest push/pull slice. */
  | ({ type: 'event-state' } & EventSlice)

/** What a step asks for, in order. Append-only. */
export type MemberEffect =
  /** Tell swim. */
  | { type: 'tell-swim'; msg: LocalMetaChangedMsg | ReconnectMsg | SwimLeaveMsg | NodesResyncMsg }
  /** The public event stream: emitted (XState `emit`) and told to the events sink. */
  | { type: 'event'; msg: MemberEventMsg | NameConflictEventMsg }
  /** To serf-events: a Serf message of its types (byte-exact), or a remote push/pull's event slice. */
  | { type: 'serf-events'; msg: SerfMessageMsg | MergeRemoteEventsMsg | NameConflictReportMsg }
  /** Enqueue on gossip-queue. */
  | { type: 'broadcast'; broadcast: Broadcast }
  /** Serf's member count (all statuses) changed: the latest goes to gossip-queue. */
  | { type: 'cluster-size'; numMembers: number }
  /** To the snapshotter (spec §6). */
  | { type: 'snapshot'; msg: SnapshotterIn }
  /** A timer: input `prune-due` for `name` after `delayMs` (a leave with Prune for a leaving member). */
  | { type: 'schedule-prune'; name: string; delayMs: number }
  /** The request was refused (set-tags: TagsTooLargeError); nothing else changed. */
  | { type: 'rejected'; error: Error }
  /** The request's answer waits for this broadcast to leave gossip-queue (force-leave, as Serf waits on notifyCh). */
  | { type: 'await-broadcast'; id: string }

export interface MemberStep {
  state: MemberCoreState
  effects: MemberEffect[]
}
