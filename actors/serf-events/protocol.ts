/**
 * serf-events protocol: what the serf-events actor accepts and emits (Serf's user events, queries,
 * internal queries and their responses, spec §5.8-5.12).
 *
 * Senders:
 * - swim: `serf.message`, each Serf message of the types this actor owns (user event, query, query
 *   response, relay, and the internal queries' messages) as it arrived, so no copy takes a detour
 *   through member-manager.
 * - the node facade: `serf.user-event`, `serf.query`, `serf.query-abort`, `serf.respond`, `serf.stats`,
 *   `serf.key-operation` (what `serf keys` runs).
 * - member-manager: `member.event` (its member events: the member feed), `serf.members` (its table
 *   at start), `serf.merge-remote-events` (a remote push/pull's event slice), the Serf messages
 *   (types 3, 4, 5, 9) it received as `member.user-message`, forwarded as `serf.message`, and
 *   `serf.name-conflict` (another node claims our name: serf-events holds the vote).
 * - itself: `serf.keyring-result` (swim's answer to a key query's `swim.keyring` ask).
 * Emits `serf.name-conflict-lost` when we are the minority claimant of our name: the node facade
 * shuts the node down on it (Serf's agent exits).
 *
 * This is the only file of the actor that other actors may import. The unions are APPEND-ONLY.
 */
import type { ReplyTo } from '../../src/types/actor-env.ts'
import type { UserEventsSlot } from '../../src/wire/serf.ts'

/**
 * Tell (swim): one Serf message received by gossip or as a direct UDP user message: the bytes after
 * memberlist's `0x08` user-message type byte, i.e. `[serfType][msgpack body]`, unchanged, so a
 * rebroadcast relays the exact bytes received.
 */
export interface SerfMessageMsg {
  type: 'serf.message'
  bytes: Uint8Array
  /** "ip:port" of the datagram's or stream's sender (not necessarily the message's originator). */
  from: string
}

/** Serf message type numbers (spec §5.2) this actor owns; swim routes these here. */
export const SERF_EVENTS_MESSAGE_TYPES: ReadonlySet<number> = new Set([
  3, // userEvent
  4, // query
  5, // queryResponse
  9, // relay
])

// ---------------------------------------------------------------------------------------------
// The API (the node facade): user events, queries, responses, stats
// ---------------------------------------------------------------------------------------------

/** A coded refusal as it crosses a thread (src/errors toWireError). */
export interface SerfEventsWireError {
  code: string
  message: string
  details?: Record<string, unknown>
}

/**
 * Ask: send a user event (Serf UserEvent). Refused with ERR_EVENT_TOO_LARGE when
 * len(name)+len(payload) or the encoded message is over `userEventSizeLimit` (512) or the 9,216-byte
 * hard cap, ERR_EVENT_INVALID for a malformed request. Reply: `UserEventReply`.
 */
export interface UserEventMsg {
  type: 'serf.user-event'
  name: string
  payload?: Uint8Array | null
  /** Serf's CC flag: receivers that coalesce keep only the newest event of this name. */
  coalesce: boolean
  replyTo?: ReplyTo<UserEventReply>
}

export interface UserEventReply {
  type: 'serf.user-event-reply'
  ltime: bigint
}

/**
 * Ask: start a query (Serf Query). The reply says which query it is; its acks and responses come
 * as emitted `serf.query-result` events and its end as exactly one `serf.query-closed`. Refused
 * (nothing sent) with ERR_QUERY_INVALID, ERR_QUERY_BAD_FILTER (an expression Go would not compile,
 * naming the tag), ERR_QUERY_RESERVED_NAME, ERR_QUERY_TOO_LARGE (encoded > 1,024 bytes),
 * ERR_QUERY_TOO_MANY_OPEN. Reply: `QueryStartedReply`.
 */
export interface QueryMsg {
  type: 'serf.query'
  name: string
  payload?: Uint8Array | null
  /** Only these node names process the query (empty or missing: all). */
  filterNodes?: string[]
  /** Tag name → Go regular expression (unanchored) the tag's value must match. */
  filterTags?: Record<string, string>
  requestAck?: boolean
  /** Each ack and response is also relayed through this many random alive members (0-255). */
  relayFactor?: number
  /** ms; 0 or missing: Serf's default (gossip interval × mult × ceil(log10(N+1))). */
  timeoutMs?: number
  replyTo?: ReplyTo<QueryStartedReply>
}

export interface QueryStartedReply {
  type: 'serf.query-started'
  /** The query's ID (u32) and LTime: together they name it in every result. */
  id: number
  ltime: bigint
  /** Actor-clock ms after which the query closes. */
  deadline: number
}

/** Tell: stop collecting a query now; `serf.query-closed` (reason 'aborted') follows. Unknown: ignored. */
export interface QueryAbortMsg {
  type: 'serf.query-abort'
  ltime: bigint
  id: number
}

/**
 * Ask: answer a received query (Query.Respond) with `payload`, once, before its deadline. Refused
 * with ERR_QUERY_UNKNOWN (no such key, or its deadline passed and it was forgotten),
 * ERR_QUERY_RESPONSE_TOO_LARGE (encoded > 1,024 bytes), ERR_QUERY_ALREADY_RESPONDED,
 * ERR_QUERY_PAST_DEADLINE. Reply: `RespondReply`.
 */
export interface RespondMsg {
  type: 'serf.respond'
  /** The `key` of the emitted `serf.query`. */
  key: string
  payload?: Uint8Array | null
  replyTo?: ReplyTo<RespondReply>
}

export interface RespondReply {
  type: 'serf.respond-reply'
}

/** Ask: every counter. Reply: `SerfEventsStatsReply`. */
export interface SerfEventsStatsMsg {
  type: 'serf.stats'
  replyTo?: ReplyTo<SerfEventsStatsReply>
}

export interface SerfEventsStatsReply {
  type: 'serf.stats-reply'
  eventTime: bigint
  queryTime: bigint
  /** Members as the member feed knows them, and how many are alive or leaving (Serf NumMembers). */
  members: number
  numMembers: number
  /** Every core's counters (user-event ring, responder, originator, coalescers) and the actor's own. */
  counters: Record<string, Record<string, number> | number>
}

// ---------------------------------------------------------------------------------------------
// From member-manager: the member feed and the push/pull slices
// ---------------------------------------------------------------------------------------------

/** The member fields serf-events uses: filters (own tags), relays, the member count. */
export interface SerfEventsMember {
  name: string
  addr: Uint8Array
  port: number
  tags: Readonly<Record<string, string>>
  status: 'none' | 'alive' | 'leaving' | 'left' | 'failed'
  /** memberlist and Serf (delegate) protocol versions: relays need protocolMax ≥ 5; a conflict response carries all six. */
  protocolMin: number
  protocolMax: number
  protocolCur: number
  delegateMin: number
  delegateMax: number
  delegateCur: number
}

/**
 * Tell (member-manager, as its `events` peer or its `serfEvents` peer): a member event, exactly as
 * member-manager publishes it (the shape of its `member.event`). It keeps serf-events' member feed
 * and goes through the member coalescer.
 */
export interface MemberFeedEventMsg {
  type: 'member.event'
  event: 'member-join' | 'member-leave' | 'member-failed' | 'member-update' | 'member-reap'
  members: SerfEventsMember[]
}

/** One user-event ring slot as push/pull carries it (Serf userEvents). */
export type EventSlot = UserEventsSlot

/**
 * Tell (member-manager): the event part of a remote push/pull (Serf MergeRemoteState): witness
 * the clocks, replay the events (a join that ignores old ones raises the min time first).
 */
export interface MergeRemoteEventsMsg {
  type: 'serf.merge-remote-events'
  eventLTime: bigint
  /** Serf's Events as decoded (null: the peer sent nil). */
  events: Array<EventSlot | null> | null
  queryLTime: bigint
  join: boolean
}

/**
 * Tell (member-manager, on its start): the member table as it is now, so a serf-events that starts
 * (or restarts) after members joined knows them. Replaces the feed's view.
 */
export interface MemberFeedSnapshotMsg {
  type: 'serf.members'
  members: SerfEventsMember[]
  /**
   * member-manager's copy of our last push/pull slice clocks. Ahead of ours only when this
   * serf-events restarted after a crash (its state is not persisted): the clocks then move past
   * them and events at or below them count as already handled, as after a snapshot replay.
   */
  clocks?: { eventLTime: bigint; queryLTime: bigint }
}

/**
 * Ask (the node facade): the cluster-wide key operation that `serf keys` runs (Serf
 * KeyManager): an internal `_serf_<kind>-key(s)` query to every member, ourselves included, whose
 * answers are counted up to the member count at send, until every member answered or the query's
 * deadline. Refused (nothing sent) with ERR_QUERY_INVALID (kind, or no key), ERR_EVENTS_NOT_READY
 * or the originator's ERR_QUERY_* codes. A bad key text (base64, or not 16/24/32 bytes) is not a
 * refusal: the reply carries NumNodes 0 and the error text with its code. Reply: `KeyOperationReply`.
 */
export interface KeyOperationMsg {
  type: 'serf.key-operation'
  kind: 'install' | 'use' | 'remove' | 'list'
  /** Base64 (standard, padded) key; ignored for list. */
  key?: string
  /** Serf KeyRequestOptions.RelayFactor: each answer also relayed through this many members (0-255; default 0). */
  relayFactor?: number
  replyTo?: ReplyTo<KeyOperationReply>
}

/** Serf's KeyResponse (serf-rpc.md 2.4); src/node/api.ts exports it as KeyResponse. */
export interface KeyOperationResponse {
  /** Node -> message: errors, or information when it succeeded with a message. */
  messages: Record<string, string>
  /** list only: base64 key -> how many nodes hold it. */
  keys?: Record<string, number>
  numNodes: number
  numErr: number
  numResp: number
}

export interface KeyOperationReply {
  type: 'serf.key-operation-reply'
  response: KeyOperationResponse
  /** The RPC's error text (`2/3 nodes reported failure`, `3/4 nodes reported success`, Go's base64 text); null: every node succeeded. */
  error: string | null
  /** Set when the key text was refused before any query (ERR_KEY_BASE64, ERR_KEY_SIZE). */
  code?: string
}

/**
 * Tell (member-manager): memberlist told us of an alive naming OUR node at another address
 * (`other`). serf-events holds the `_serf_conflict` vote (one at a time; a report while one runs
 * joins it) and, when we are the minority, emits `serf.name-conflict-lost`.
 */
export interface NameConflictReportMsg {
  type: 'serf.name-conflict'
  other: { addr: Uint8Array; port: number }
}

/** Tell (serf-events to itself): swim's keyring answered the operation of the key query `key`. */
export interface KeyringResultMsg {
  type: 'serf.keyring-result'
  key: string
  kind: 'install' | 'use' | 'remove' | 'list'
  reply: { ok: true; keys?: Uint8Array[]; primary?: Uint8Array } | { ok: false; message: string }
}

/** Everything serf-events accepts. Append-only. */
export type SerfEventsInbound =
  | SerfMessageMsg
  | UserEventMsg
  | QueryMsg
  | QueryAbortMsg
  | RespondMsg
  | SerfEventsStatsMsg
  | MemberFeedEventMsg
  | MergeRemoteEventsMsg
  | MemberFeedSnapshotMsg
  | KeyOperationMsg
  | NameConflictReportMsg
  | KeyringResultMsg

// ---------------------------------------------------------------------------------------------
// Outbound
// ---------------------------------------------------------------------------------------------

/*
 * To member-manager: `member.event-state` (EventStateMsg in member-manager's protocol.ts, its
 * inbound), the event/query slice of our push/pull LocalState, the latest, sent when it changes.
 */

/** To swim: a UDP user message (memberlist SendTo / SendToAddress): `bytes` = `[serfType][msgpack]`. */
export interface SwimSendUserMsg {
  type: 'swim.send-user'
  addr: Uint8Array
  port: number
  bytes: Uint8Array
}

// ---------------------------------------------------------------------------------------------
// Emitted (XState emit): subscribe with `ref.on(type, f)` / `ref.events(type)`
// ---------------------------------------------------------------------------------------------

/** A user event, after coalescing when it is on (Serf UserEvent). */
export interface UserEventEmitted {
  type: 'serf.user-event'
  ltime: bigint
  name: string
  payload: Uint8Array | null
  coalesce: boolean
}

/** A query for the application (never a `_serf_` one). Answer with `serf.respond` and `key`. */
export interface QueryEmitted {
  type: 'serf.query'
  ltime: bigint
  id: number
  name: string
  payload: Uint8Array | null
  sourceNode: string
  /** Actor-clock ms after which a response is refused. */
  deadline: number
  key: string
}

/** An ack or a response to a query this node started (deduped by sender). */
export interface QueryResultEmitted {
  type: 'serf.query-result'
  id: number
  ltime: bigint
  kind: 'ack' | 'response'
  from: string
  payload: Uint8Array | null
}

/** A query this node started is closed (deadline or abort): exactly once per query. */
export interface QueryClosedEmitted {
  type: 'serf.query-closed'
  id: number
  ltime: bigint
  reason: 'deadline' | 'aborted'
  acks: number
  responses: number
}

/** Member events after coalescing (3 s / 1 s with the agent's settings; straight through when off). */
export interface MemberEventEmitted {
  type: 'serf.member-event'
  event: 'member-join' | 'member-leave' | 'member-failed' | 'member-update' | 'member-reap'
  members: SerfEventsMember[]
}

/**
 * We lost the `_serf_conflict` vote about our own name (fewer than a majority of a quorum of
 * answers place the name at our address): Serf's agent shuts down and exits 0; the node facade
 * shuts the node down. `log` is Serf's line (`minority in name conflict resolution, quitting [m / n]`).
 */
export interface NameConflictLostEmitted {
  type: 'serf.name-conflict-lost'
  name: string
  /** The claimant the members believe in. */
  other: { addr: Uint8Array; port: number }
  responses: number
  matching: number
  quorum: number
  majority: number
  eligibleVoters: number
  attempt: number
  log: string
}

/** Append-only. */
export type SerfEventsEmitted = UserEventEmitted | QueryEmitted | QueryResultEmitted | QueryClosedEmitted | MemberEventEmitted | NameConflictLostEmitted
