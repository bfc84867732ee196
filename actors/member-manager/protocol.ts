/**
 * member-manager protocol: what the member-manager actor accepts and emits.
 *
 * The actor is the single owner of the user-visible member table (Serf's member layer, spec
 * §5.3-5.7): alive / leaving / left / failed members with their tags and status Lamport times, the
 * member clock, join/leave intents, the reaper and reconnect. Every write to membership goes through
 * the messages below; nobody else keeps a copy that could drift (lesson 000).
 *
 * Senders:
 * - swim: `member.node-*` (memberlist's NotifyJoin/Update/Leave; a turn's many as one
 *   `member.nodes-changed`, numbered, so a gap is seen and repaired by `member.nodes-resync`),
 *   `member.user-message` (NotifyMsg), push/pull user state (`member.local-state` ask,
 *   `member.merge-remote-state`), `member.name-conflict` (NotifyConflict).
 * - the node facade / API: `member.members`, `member.set-tags`, `member.leave`, `member.join-completed`.
 * - gossip-queue: `gossip.broadcast-finished` (imported from its protocol) for the leave wait.
 * - serf-events: `member.event-state` (its push/pull slice, the latest); it also asks
 *   `member.members` once at its start. To serf-events (the `serfEvents` peer) go the Serf
 *   messages of its types, remote push/pull event slices and every member event.
 *
 * This is the only file of the actor that other actors may import. The unions are APPEND-ONLY.
 * Lamport times are u64 on the wire, so they are `bigint` here.
 */
import type { BroadcastFinishedMsg } from '../gossip-queue/protocol.ts'
import type { MergeRemoteEventsMsg, NameConflictReportMsg, SerfMessageMsg } from '../serf-events/protocol.ts'
import type { ReplyTo } from '../../src/types/actor-env.ts'
import type { UserEventsSlot } from '../../src/wire/serf.ts'

/** A member's Lamport time (u64). */
export type LamportTime = bigint

/** Serf member status (spec §5.5). Wire numbers: none 0, alive 1, leaving 2, left 3, failed 4. */
export type MemberStatus = 'none' | 'alive' | 'leaving' | 'left' | 'failed'

/** memberlist node state as swim knows it (pushNodeState numbers: alive 0, suspect 1, dead 2, left 3). */
export type NodeState = 'alive' | 'suspect' | 'dead' | 'left'

/** A memberlist node as swim reports it. */
export interface NodeInfo {
  name: string
  /** Raw IP bytes: 4 for IPv4, 16 for IPv6 or IPv4-mapped (spec §1.8). */
  addr: Uint8Array
  port: number
  /** Node Meta (Serf tags, spec §5.7); at most 512 bytes. */
  meta: Uint8Array
  /** `[PMin, PMax, PCur, DMin, DMax, DCur]` (spec §1.9): 6 bytes, as swim keeps it or as numbers. */
  vsn: Uint8Array | readonly [number, number, number, number, number, number]
  incarnation: number
  state: NodeState
}

/** A member as users see it. */
export interface Member {
  name: string
  addr: Uint8Array
  port: number
  tags: Readonly<Record<string, string>>
  status: MemberStatus
  protocolMin: number
  protocolMax: number
  protocolCur: number
  delegateMin: number
  delegateMax: number
  delegateCur: number
}

// ---------------------------------------------------------------------------------------------
// Inbound from swim
// ---------------------------------------------------------------------------------------------

/** memberlist NotifyJoin: a node became alive (new, or back from dead/left). */
export interface NodeJoinedMsg {
  type: 'member.node-joined'
  node: NodeInfo
  /** swim's feed sequence number (see NodesChangedMsg); absent from senders without a feed. */
  seq?: number
}

/** memberlist NotifyUpdate: an alive node's Meta (tags), address or versions changed. */
export interface NodeUpdatedMsg {
  type: 'member.node-updated'
  node: NodeInfo
  /** swim's feed sequence number (see NodesChangedMsg). */
  seq?: number
}

/**
 * memberlist NotifyLeave: a node went dead or left. Serf decides failed vs left from its own status
 * (leaving → left, alive → failed), not from `node.state` (spec §5.5).
 */
export interface NodeLeftMsg {
  type: 'member.node-left'
  node: NodeInfo
  /** swim's feed sequence number (see NodesChangedMsg). */
  seq?: number
}

/**
 * Most changes in one `member.nodes-changed` (and what member-manager accepts in one): a push/pull
 * of 100,000 nodes is ~200 messages, far below a mailbox's bound, and each stays ~50 KB to clone.
 */
export const MAX_NODE_CHANGES = 512

/**
 * One node change in a batch. `joined`, `updated`, `left` are memberlist's NotifyJoin / NotifyUpdate /
 * NotifyLeave, applied as the single messages are. `state` is a resync: the node as swim holds it
 * now, which member-manager reconciles with its member (alive or suspect in swim → the member is
 * alive, joined or updated as needed; dead or left → it fails or leaves), emitting only the events
 * of what actually differed.
 */
export interface NodeChange {
  kind: 'joined' | 'updated' | 'left' | 'state'
  node: NodeInfo
}

/**
 * Tell (swim): the node changes of one turn, in order, at most MAX_NODE_CHANGES a message (a big
 * push/pull is split into consecutive messages). A lone change goes as its single message
 * (`member.node-joined` ...), with the same numbering.
 *
 * Delivery is checked end to end: swim numbers the messages of its feed 1, 2, 3, ... (`seq`; a swim
 * that starts afresh starts at 1 again), waits for room in this mailbox before each one and retries
 * a refused one, so none is lost to a full mailbox it could see. What it cannot see (a drop-oldest
 * mailbox, a restart of member-manager from a snapshot older than its last messages) shows here as
 * a gap in `seq`; member-manager then asks swim for its whole table (`member.nodes-resync`), which
 * comes back as `state` changes, the first message flagged `resync`.
 */
export interface NodesChangedMsg {
  type: 'member.nodes-changed'
  /** The feed's sequence number: 1 for a fresh feed, then one more per message (single ones included). */
  seq: number
  changes: NodeChange[]
  /** The first message of a resync: it and the ones after it cover every change before it. */
  resync?: boolean
}

/**
 * memberlist NotifyMsg: a delegate (Serf) message, the bytes after the memberlist `0x08` type byte
 * (`[serfType][msgpack body]`). Join/leave intents are handled here; every other Serf type (user
 * event, query, query response, relay) goes unchanged to the `serfEvents` peer as `serf.message`.
 */
export interface UserMessageMsg {
  type: 'member.user-message'
  bytes: Uint8Array
}

/** Ask (push/pull, spec §2.5): Serf's LocalState. Reply: `LocalStateReply`. */
export interface LocalStateMsg {
  type: 'member.local-state'
  join: boolean
  replyTo?: ReplyTo<LocalStateReply>
}

export interface LocalStateReply {
  type: 'member.local-state-reply'
  /** `[2][msgpack messagePushPull]`, appended raw after the push/pull node states. */
  bytes: Uint8Array
}

/** Tell (push/pull, spec §2.5): the remote side's user state, for MergeRemoteState. */
export interface MergeRemoteStateMsg {
  type: 'member.merge-remote-state'
  bytes: Uint8Array
  join: boolean
}

/**
 * memberlist NotifyConflict (spec §4.6, §5.11): an alive message named a node we know (`existing`,
 * as swim keeps it) but came from a different address (`other`). swim ignored that alive, so
 * membership does not change; Serf reports it, and when the name is ours, resolves it by query.
 */
export interface NameConflictMsg {
  type: 'member.name-conflict'
  existing: NodeInfo
  /** The other claimant of the name: raw IP bytes (4 or 16) and port. */
  other: { addr: Uint8Array; port: number }
}

// ---------------------------------------------------------------------------------------------
// Inbound from the API (node facade)
// ---------------------------------------------------------------------------------------------

/** Ask: the member table. Reply: `MembersReply`. */
export interface MembersMsg {
  type: 'member.members'
  /** Only members in these statuses; default all. */
  statuses?: readonly MemberStatus[]
  replyTo?: ReplyTo<MembersReply>
}

export interface MembersReply {
  type: 'member.members-reply'
  members: Member[]
  /** Counts by status over the same table, so callers never count from a second source. */
  counts: MemberCounts
  /**
   * The event and query clocks of the last `member.event-state` serf-events told (absent before the
   * first): a serf-events that restarts after a crash starts from them, not from older clocks.
   */
  eventClocks?: { eventLTime: LamportTime; queryLTime: LamportTime }
  /**
   * The `seq` of the last `member.view-changed` this actor emitted before the reply (0 before the
   * first): a view kept from those events is this reply's list once it has applied that one.
   */
  viewSeq?: number
}

export interface MemberCounts {
  alive: number
  leaving: number
  left: number
  failed: number
  total: number
}

/**
 * Ask: replace the local node's tags. Validated (encoded Meta ≤ 512 bytes), then the new Meta goes to
 * swim as `member.local-meta-changed` (memberlist UpdateNode). Reply: `AckReply`.
 */
export interface SetTagsMsg {
  type: 'member.set-tags'
  tags: Record<string, string>
  replyTo?: ReplyTo<AckReply>
}

/**
 * Ask: graceful leave (spec §5.4, Serf.Leave). Reply `AckReply` once the node is left.
 *
 * Steps: our leave intent is broadcast and we wait (only if another member is alive) until the
 * gossip-queue reports it transmitted, at most BroadcastTimeout; then swim runs memberlist Leave
 * (`member.swim-leave` with `timeoutMs` = BroadcastTimeout, as Serf passes it to memberlist.Leave);
 * then LeavePropagateDelay; then left.
 *
 * When the intent is not confirmed within BroadcastTimeout, Serf's Leave returns the error "timeout
 * while waiting for graceful leave" and stops there: the node stays Serf-"leaving" and memberlist
 * never announces the leave. We go on to the memberlist leave instead (counted in
 * `MemberStatsReply.leaveTimeouts.broadcast` and logged as a warning with code
 * ERR_MEMBER_LEAVE_BROADCAST_TIMEOUT; the ask still gets its ack): the timeout only means the intent
 * has not used up its retransmits yet, it stays queued and keeps spreading, and the dead-with-From=self
 * that follows is what turns a peer's "leaving" into "left". Stopping would leave the node looking
 * alive until it shuts down, after which every peer sees it fail; carrying on makes every peer that
 * got the intent see it left. Likewise a memberlist leave that swim does not confirm in time
 * (`leaveTimeouts.swim`, after 2 × BroadcastTimeout) does not block the leave.
 */
export interface LeaveMsg {
  type: 'member.leave'
  replyTo?: ReplyTo<AckReply>
}

/**
 * Tell: a cluster join (memberlist push/pull with Join=true, run by swim) finished with `numJoined`
 * successful contacts. If > 0, a join intent is broadcast (spec §5.3 "join intent after a successful
 * join"), as Serf.Join does, but only for a user's join while this node is alive:
 * - `reconnect: true` marks the join swim ran for a `member.reconnect`. Serf's reconnect calls only
 *   memberlist.Join and broadcasts no join intent, so none is broadcast here.
 * - While the node is leaving or left, no join intent is broadcast (Serf.Join refuses after Leave):
 *   one would carry a newer LTime than our leave intent, turn us back to alive at the peers, and
 *   make the memberlist leave that follows look like a failure.
 */
export interface JoinCompletedMsg {
  type: 'member.join-completed'
  numJoined: number
  /** True when the join was a reconnect member-manager asked for (`member.reconnect`). */
  reconnect?: boolean
  /** Why each address that failed failed (swim's join-errors.ts); absent or empty when all were reached. */
  errors?: JoinAddressError[]
  /**
   * A `swim.join` asked with replyAfterMembers: member-manager answers it (swim's JoinReply shape)
   * once this message's turn ran, i.e. after every node change of the join.
   */
  replyTo?: ReplyTo<{ type: 'swim.join-reply'; numJoined: number; errors: JoinAddressError[] }>
}

/** Codes of a join's failure at one address. */
export type JoinErrorCode = 'ERR_JOIN_UNREACHABLE' | 'ERR_JOIN_TIMEOUT' | 'ERR_JOIN_DECRYPT' | 'ERR_JOIN_REMOTE' | 'ERR_JOIN_CLOSED' | 'ERR_JOIN_PROTOCOL' | 'ERR_JOIN_STOPPED' | 'ERR_JOIN_NO_ADDRESSES'

/**
 * One address a join could not reach, with memberlist's text, e.g.
 * `Failed to join 127.0.0.1: dial tcp 127.0.0.1:1: connect: connection refused`.
 */
export interface JoinAddressError {
  /** "ip:port" dialled. */
  address: string
  code: JoinErrorCode
  message: string
}

/**
 * To swim: member-manager may have missed node changes (`gap`: a `seq` skipped; `restored`: it was
 * restarted from a persisted snapshot, which is up to a second old). swim answers with its whole
 * table as `state` changes on its feed (NodesChangedMsg). Only a node swim knows is reconciled: a
 * fresh swim (restarted, rejoining) knows few, and the members it does not know stay as they are.
 */
export interface NodesResyncMsg {
  type: 'member.nodes-resync'
  reason: 'gap' | 'restored'
}

/** Tell: swim has finished memberlist Leave (its dead-with-From=self was spread or timed out). */
export interface SwimLeftMsg {
  type: 'member.swim-left'
}

/** Ask: counters. Reply: `StatsReply`. */
export interface MemberStatsMsg {
  type: 'member.stats'
  replyTo?: ReplyTo<MemberStatsReply>
}

export interface MemberStatsReply {
  type: 'member.stats-reply'
  counts: MemberCounts
  memberTime: LamportTime
  intentsBuffered: number
  /** Intents ignored because their LTime was not newer than the member's statusLTime. */
  intentsStale: number
  /** Serf messages that failed to decode (counted, never thrown). */
  malformedMessages: number
  /** Serf messages (user events, queries, responses, relays) and push/pull event slices sent on to serf-events. */
  passedThrough: number
  reconnectAttempts: number
  reaped: number
  /** Buffered intents dropped because the buffer was full (oldest first) or past RecentIntentTimeout. */
  intentsEvicted: number
  intentsExpired: number
  /** Received intents re-queued on the intent queue. */
  intentsRebroadcast: number
  /** Leave intents about ourselves refuted with a join intent. */
  leaveRefutations: number
  /** Failed members that came back within FlapTimeout. */
  flaps: number
  /** Peers' Meta that did not decode as tags (kept as far as it decoded). */
  malformedMeta: number
  /** swim notices that changed nothing (update/leave about an unknown member, leave in another status). */
  ignoredNotices: number
  /** Outbound messages that found no receiver (unknown or stopped peer); counted, not retried. */
  undelivered?: number
  /** Name conflicts reported by swim: about another node, and about ourselves (spec §5.11). */
  nameConflicts: { remote: number; local: number }
  /**
   * Join completions that broadcast no join intent: reconnect joins (as Serf), and joins that
   * completed while this node was leaving or left.
   */
  joinsWithoutIntent?: { reconnect: number; notAlive: number }
  /**
   * Leave steps that went on at their timeout (see `LeaveMsg`): our leave intent not confirmed
   * spread within BroadcastTimeout, swim's memberlist leave not confirmed in time.
   */
  leaveTimeouts?: { broadcast: number; swim: number }
  /** Force-leaves asked, those whose broadcast was not confirmed within BroadcastTimeout, and those still waiting. */
  forceLeaves?: { requested: number; timedOut: number; waiting: number }
  /** swim's node-change feed as received (see NodesChangedMsg). */
  feed?: NodeFeedStats
}

/** How member-manager received swim's node-change feed. */
export interface NodeFeedStats {
  /** The last feed `seq` received (0: none yet). */
  lastSeq: number
  /** Feed messages (batches and numbered single changes) and the changes they carried. */
  messages: number
  changes: number
  /** Skips in `seq`: feed messages that never arrived (each gap asks for a resync unless one is due). */
  gaps: number
  /** `member.nodes-resync` requests made (one swim's mailbox did not take is also in `undelivered`). */
  resyncRequests: number
  /** A resync was asked for and its first message has not arrived yet. */
  awaitingResync: boolean
}

/** Generic reply to an ask that carries no data; `error` is set (wire form) when it failed. */
export interface AckReply {
  type: 'member.ack'
  error?: { code: string; message: string }
}

/**
 * Ask (swim, each time it starts): the local node's Meta (its tags, encoded) as held now. swim waits
 * for it before its first alive, so peers see the tags from the start whichever actor started or
 * restarted first; `member.local-meta-changed` carries the later changes. Reply: `LocalMetaReply`.
 */
export interface LocalMetaMsg {
  type: 'member.local-meta'
  replyTo?: ReplyTo<LocalMetaReply>
}

export interface LocalMetaReply {
  type: 'member.local-meta-reply'
  meta: Uint8Array
}

/**
 * Tell (serf-events, whenever it changes): the event layer's part of our push/pull LocalState,
 * Serf's EventLTime, Events (the user-event ring, one entry per slot, null where empty) and
 * QueryLTime. Kept as the latest, so a push/pull is answered without asking serf-events. The
 * event and query clocks live in serf-events; member-manager keeps the member clock only.
 */
export interface EventStateMsg {
  type: 'member.event-state'
  eventLTime: LamportTime
  events: Array<UserEventsSlot | null>
  queryLTime: LamportTime
}

/**
 * Ask: Serf's force-leave (RemoveFailedNode; `-prune`: RemoveFailedNodePrune). A leave intent for
 * `node` at our member clock is applied here (a failed member becomes left, or is erased with
 * `prune`; an alive one leaving, as Serf's handleNodeLeaveIntent does) and broadcast with Prune.
 * An unknown or non-failed node is not an error (Serf). Reply `AckReply` once gossip-queue reports
 * the broadcast gone from its queue, at once when no other member is alive (nothing to tell); fails
 * with ERR_MEMBER_FORCE_LEAVE_TIMEOUT and Serf's text `timed out broadcasting node removal` when
 * that takes longer than BroadcastTimeout (the intent stays queued and keeps spreading).
 */
export interface ForceLeaveMsg {
  type: 'member.force-leave'
  node: string
  prune?: boolean
  replyTo?: ReplyTo<AckReply>
}

/** Everything the member-manager accepts. Append-only. */
export type MemberManagerInbound =
  | NodeJoinedMsg
  | NodeUpdatedMsg
  | NodeLeftMsg
  | UserMessageMsg
  | LocalStateMsg
  | MergeRemoteStateMsg
  | MembersMsg
  | SetTagsMsg
  | LeaveMsg
  | JoinCompletedMsg
  | SwimLeftMsg
  | MemberStatsMsg
  | BroadcastFinishedMsg
  | NameConflictMsg
  | LocalMetaMsg
  | NodesChangedMsg
  | EventStateMsg
  | ForceLeaveMsg

// ---------------------------------------------------------------------------------------------
// Outbound
// ---------------------------------------------------------------------------------------------

/** Serf member event types (spec §5.5, numbers member-join 0 … member-reap 4). */
export type MemberEventType = 'member-join' | 'member-leave' | 'member-failed' | 'member-update' | 'member-reap'

/** The public event stream: one member event (Serf batches members; we send one per change). */
export interface MemberEventMsg {
  type: 'member.event'
  event: MemberEventType
  members: Member[]
}

/**
 * The member list's changes, for a copy kept elsewhere (the node's: src/node/member-view.ts), so a
 * `members()` read need not cross to this actor's thread. One per turn that changed a member as
 * `members()` shows it: the members new or changed (copies, in the table's order: a new one goes
 * last, a changed one keeps its place) and the names removed (reaped, or removed and added again,
 * then also in `set`). `seq` counts these events, from 1 after this actor's state began; a
 * restored instance goes on from its snapshot's count, so a keeper starts over (from a
 * `member.members` reply, whose `viewSeq` says where it stands) after a restart or a gap.
 */
export interface MemberViewChangedMsg {
  type: 'member.view-changed'
  seq: number
  set: Member[]
  removed: string[]
}

/** To swim: the local node's Meta changed; swim runs memberlist UpdateNode (new incarnation, alive). */
export interface LocalMetaChangedMsg {
  type: 'member.local-meta-changed'
  meta: Uint8Array
}

/**
 * To swim: Serf's push/pull user state (its LocalState: clocks, status LTimes, left members, the
 * event buffer) as it is now, told ahead of the push/pulls that carry it, so none waits on an ask
 * (user-state-push.ts: after a change, at most once per its interval). swim keeps the latest.
 */
export interface UserStateMsg {
  type: 'member.user-state'
  bytes: Uint8Array
}

/** To swim: try to reconnect to a failed member (memberlist Join "name/ip:port", spec §5.6). */
export interface ReconnectMsg {
  type: 'member.reconnect'
  name: string
  addr: Uint8Array
  port: number
}

/** To swim: run memberlist Leave (dead with From=self); swim answers `member.swim-left`. */
export interface SwimLeaveMsg {
  type: 'member.swim-leave'
  /**
   * How long swim waits for its dead broadcast to spread before it answers anyway: Serf's
   * BroadcastTimeout (Serf passes it to memberlist.Leave). member-manager always sets it; absent
   * (an older sender), swim uses its own default.
   */
  timeoutMs?: number
}

/**
 * No longer sent (kept: the unions are append-only): Serf messages of serf-events' types now go to
 * the `serfEvents` peer as `serf.message`, and push/pull event slices as `serf.merge-remote-events`.
 */
export interface SerfMessagePassThroughMsg {
  type: 'member.serf-message'
  serfType: number
  bytes: Uint8Array
  /** For push/pull user state (serfType 2): whether it came from a join. */
  join?: boolean
}

/**
 * Codes of name-conflict warnings (stable, for matching):
 * - ERR_MEMBER_NAME_CONFLICT: two other nodes claim one name (Serf logs a warning, nothing else).
 * - ERR_MEMBER_NAME_CONFLICT_VOTE: another node claims OUR name; serf-events runs the
 *   `_serf_conflict` vote (`serf.name-conflict`) and the node shuts down if it is in the minority.
 * - ERR_MEMBER_NAME_CONFLICT_RESOLUTION_DISABLED: another node claims our name and
 *   `enableNameConflictResolution` is off (as in Serf: only logged).
 */
export type NameConflictCode = 'ERR_MEMBER_NAME_CONFLICT' | 'ERR_MEMBER_NAME_CONFLICT_VOTE' | 'ERR_MEMBER_NAME_CONFLICT_RESOLUTION_DISABLED'

/** The public event stream: two addresses claim one node name (from `member.name-conflict`). */
export interface NameConflictEventMsg {
  type: 'member.conflict'
  name: string
  /** Where the table knows the name (for a local conflict: our own address) and its incarnation. */
  existing: { addr: Uint8Array; port: number; incarnation: number }
  /** The other claimant. */
  other: { addr: Uint8Array; port: number }
  /** The name is this node's own. */
  local: boolean
  warning: { code: NameConflictCode; message: string }
}

/** Everything the member-manager emits besides replies and gossip enqueues. Append-only. */
export type MemberManagerOutbound =
  | MemberEventMsg
  | LocalMetaChangedMsg
  | ReconnectMsg
  | SwimLeaveMsg
  | SerfMessagePassThroughMsg
  | NameConflictEventMsg
  | NodesResyncMsg
  /** To serf-events: Serf messages of its types, and a remote push/pull's event slice. */
  | SerfMessageMsg
  | MergeRemoteEventsMsg
  /** To serf-events: another node claims our name; it holds the `_serf_conflict` vote. */
  | NameConflictReportMsg

/** Replies to asks. Append-only. */
export type MemberManagerReply = MembersReply | LocalStateReply | AckReply | MemberStatsReply | LocalMetaReply

/**
 * What the member-manager actor emits (XState `emit`), for subscribers: `actor.on('member.event', f)`
 * on the machine, or the runtime's subscription on the actor's ref, without spawning a sink actor.
 * The same messages also still go to the `events` peer when one is named (MemberManagerPeers).
 * - `member.event`: a member joined, left, failed, was updated or reaped (`event`), with the members
 *   it concerns. One per change from a single notice or intent; for a batch of swim's changes, one
 *   per run of changes of the same kind, in order.
 * - `member.conflict`: two addresses claim one node name (spec §5.11).
 * - `member.view-changed`: the member list's changes, numbered (MemberViewChangedMsg).
 * Member records in an emitted event are copies: they share nothing with the actor's state.
 * Append-only.
 */
export type MemberManagerEmitted = MemberEventMsg | NameConflictEventMsg | MemberViewChangedMsg
