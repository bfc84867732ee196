/**
 * The member-manager machine's context and input: the core's state as it is (`core`), plus the
 * machine's own bookkeeping (leave askers, timeouts, pending prunes, swim's feed, undelivered
 * sends, force-leaves). Types only; machine.ts says how each part is kept.
 */
import type { UserStatePushState } from './user-state-push.ts'
import type { ReplyTo } from '../../src/types/actor-env.ts'
import type { AckReply, LamportTime, NodeFeedStats } from './protocol.ts'
import type { SerfInit } from './config.ts'
import type { MemberCoreInput, MemberCoreState } from './member-effects.ts'

/** Actor ids of the peers; swim and gossip-queue default to their kind names. */
export interface MemberManagerPeers {
  swim: string
  gossipQueue: string
  /** Receives snapshot.* records; none → no snapshot. */
  snapshotter?: string
  /**
   * Receives `member.event` and `member.conflict` (the public event stream) as tells; none → only
   * emitted (XState `emit`: subscribe on the actor instead).
   */
  events?: string
  /**
   * serf-events: gets the Serf messages of its types (`serf.message`), remote push/pull event
   * slices (`serf.merge-remote-events`) and every member event (`member.event`, its member feed);
   * tells back `member.event-state`. None → those are dropped (counted in `undelivered` only when
   * a named peer does not take them).
   */
  serfEvents?: string
}

export interface MemberManagerInput {
  config: SerfInit
  peers?: Partial<MemberManagerPeers>
  /** The member clock replayed from the snapshot; witnessed at start (spec §5.3). The event and query clocks go to serf-events. */
  restored?: { clock?: LamportTime }
}

/** Internal: a scheduled prune (leave with Prune for a leaving member) came due. */
export type PruneDue = { type: 'member.prune-due'; name: string }

/** Internal: the push interval passed, swim gets the user state as it is now (user-state-push.ts). */
export type UserStateDue = { type: 'member.user-state-due' }

/** Internal: a force-leave's broadcast was not reported gone within BroadcastTimeout. */
export type ForceLeaveTimeout = { type: 'member.force-leave-timeout'; id: string }

/** Force-leaves: how many, how many timed out, and the asks waiting for their broadcast (each ends by report or timeout). */
export interface ForceLeaveState {
  requested: number
  timedOut: number
  pending: Array<{ id: string; replyTo?: ReplyTo<AckReply> }>
}

/** A prune waiting for its delayed `member.prune-due`, kept so a restore can raise it again. */
export interface PendingPrune {
  name: string
  /** Actor-clock time (ms) at which it is due. */
  dueAt: number
}

export interface MemberManagerContext {
  /**
   * The core's state (core.ts): config, member table, clocks, intents, tags, counters, the leave
   * in progress. Plain, persistent data, replaced (never written) by each turn that changes it.
   */
  core: MemberCoreState
  peers: MemberManagerPeers
  restored: NonNullable<MemberManagerInput['restored']>
  /** Who asked `member.leave` and waits for `left`. */
  leaveAskers: Array<ReplyTo<AckReply>>
  /** Leaves that went on without the intent confirmed spread within BroadcastTimeout. */
  leaveBroadcastTimeouts: number
  /** swim did not confirm its memberlist leave in time; we went on. */
  swimLeaveTimeouts: number
  /** Prunes scheduled and not yet due, oldest first (re-armed on `runtime.restored`). */
  prunes: PendingPrune[]
  /** swim's node-change feed as followed so far (node-feed.ts); persisted, so a restore knows its place. */
  feed: NodeFeedStats
  /** Tells that found no receiver (unknown, stopped or refusing peer); counted, never retried. */
  undelivered: number
  forceLeaves: ForceLeaveState
  /** The user state told to swim ahead of its push/pulls (user-state-push.ts); absent in a snapshot from before it. */
  userStatePush?: UserStatePushState
  /** `member.view-changed` events emitted so far (their last `seq`); absent in a snapshot from before them. */
  viewSeq?: number
}

/** Params of the `turn` action: one core input, and who waits for an ack of it (set-tags). */
export interface TurnParams {
  input: MemberCoreInput
  replyTo?: ReplyTo<AckReply> | undefined
  /** The input came on swim's numbered feed: follow it in the same turn (node-feed.ts). */
  feed?: FeedPosition
}

/** Where a feed message sits in swim's numbering. */
export interface FeedPosition {
  seq: number | undefined
  changes: number
  resync: boolean
}

/** A snapshot persisted before force-leave existed has no `forceLeaves`. */
export const forceLeavesOf = (context: MemberManagerContext): ForceLeaveState => context.forceLeaves ?? { requested: 0, timedOut: 0, pending: [] }

