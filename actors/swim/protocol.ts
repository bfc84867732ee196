/**
 * swim protocol: what the swim actor accepts. It sends gossip-queue's messages (`gossip.enqueue`,
 * `gossip.cluster-size`) and member-manager's (`member.node-joined/-updated/-left`,
 * `member.user-message`, `member.join-completed`, `member.swim-left`, `member.merge-remote-state`),
 * as those actors' protocols define them (node changes in batches, `member.nodes-changed`), tells
 * gossip-queue `gossip.lease-subscribe` at every start and `gossip.sent` (what it piggybacked,
 * batched), and asks member-manager (env.ask, short timeouts) for Serf's push/pull state
 * (`member.local-state`) and its Meta at start (`member.local-meta`). It accepts member-manager's
 * requests addressed to swim (`member.local-meta-changed`, `member.reconnect`, `member.swim-leave`,
 * `member.nodes-resync`) and gossip-queue's `gossip.broadcast-finished` and `gossip.lease`.
 *
 * For Serf's event layer and the node: Serf messages of SERF_EVENTS_MESSAGE_TYPES (user event,
 * query, response, relay) received by gossip or UDP go to the optional `serfEvents` peer as
 * `serf.message` (to member-manager as `member.user-message` without one); `swim.send-user` sends a
 * user message by UDP (query acks, responses, relays); `swim.keyring` changes or lists the live
 * keyring (emitting `swim.keyring-changed`); `swim.coordinate` answers a Vivaldi coordinate.
 * A join's `member.join-completed` carries each unreached address's coded error.
 *
 * Requests that arrive while swim is still binding its socket are kept (bounded) and handled once
 * it is bound; if it cannot bind, a leave request is answered `member.swim-left` at once and the
 * rest is refused and counted (see machine.ts).
 *
 * This is the only file of the actor that other actors may import. The unions are APPEND-ONLY.
 */
import type { GossamerChannel } from '../../src/wire/gossamer-message.ts'
import type { BroadcastFinishedMsg, LeaseMsg } from '../gossip-queue/protocol.ts'
import type { JoinAddressError, LocalMetaChangedMsg, NodesResyncMsg, ReconnectMsg, SwimLeaveMsg, UserStateMsg } from '../member-manager/protocol.ts'
import type { ReplyTo } from '../../src/types/actor-env.ts'
import type { Coordinate } from '../../src/coordinate/coordinate.ts'

/** One datagram from the transport: the bytes exactly as received (CRC, compound, compression). */
export interface PacketMsg {
  type: 'swim.packet'
  /** "ip:port" of the sender. */
  from: string
  bytes: Uint8Array
}

/**
 * What happened on one of swim's TCP streams (stream-gate.ts), delivered by swim to itself so the
 * core meets a stream's news in a turn of the machine, as it meets packets and timers. `id` numbers
 * the streams of this swim; another actor has no stream to name, and an unknown id is counted and
 * ignored.
 */
export interface StreamEventMsg {
  type: 'swim.stream'
  id: number
  /**
   * `accepted`: a peer opened it; `dialed`: our dial `id` ended (a stream, or `error`); `data`: bytes
   * arrived; `end`: the peer ended it, or it closed or failed (`error`).
   */
  what: 'accepted' | 'dialed' | 'data' | 'end'
  bytes?: Uint8Array
  error?: { code: string; message: string }
}

/** A timer of the swim logic came due (scheduled on the actor clock, delivered as a message). */
export interface TimerMsg {
  type: 'swim.timer'
  key: string
}

/**
 * memberlist Join: push/pull (Join=true) with each address ("host:port", "[v6]:port", or without a
 * port for swim.bindPort: see join-address.ts); member-manager hears join-completed. Asked (with
 * `replyTo`), the join's own outcome is the reply once every push/pull ended (each within 2 ×
 * tcpTimeoutMs); a join swim refuses (failed, stopping, hold full) fails the ask with ERR_SWIM_JOIN_REFUSED.
 */
export interface JoinMsg {
  type: 'swim.join'
  addresses: string[]
  replyTo?: ReplyTo<JoinReply>
  /**
   * The reply comes from member-manager instead, once it applied the join's node changes (swim's
   * feed keeps their order): an asker that reads `member.members` next finds the joined members,
   * as Serf's Join returns with them in its member list, without polling member-manager for them.
   */
  replyAfterMembers?: boolean
}

/** A join's outcome: push/pulls that completed, and each address that failed with its coded error. */
export interface JoinReply {
  type: 'swim.join-reply'
  numJoined: number
  errors: JoinAddressError[]
}

/** memberlist Leave: dead{self, From: self}, then `member.swim-left` once spread or after timeoutMs. */
export interface LeaveMsg {
  type: 'swim.leave'
  timeoutMs: number
}

/**
 * Tell: memberlist's SendBestEffort / SendToAddress as Serf uses it for query acks, responses and
 * relays: `bytes` (`[serfType][msgpack body]`) go as one user message (0x08) in one datagram to
 * addr:port, with the node's encryption, CRC (when the address is a member speaking protocol 5)
 * and compression settings. Best effort: nothing is queued or retried; what became of it is counted
 * (counters.userMessagesSent, userMessagesTooLarge, userMessagesFailed). Refused (counted in
 * `refused`) before the node runs.
 */
export interface SendUserMsg {
  type: 'swim.send-user'
  /** Raw IP, 4 or 16 bytes. */
  addr: Uint8Array
  /** 1..65535. */
  port: number
  bytes: Uint8Array
}

/** The live keyring's operations (memberlist's Keyring AddKey / UseKey / RemoveKey, and a listing). */
export type KeyringOp = 'install' | 'use' | 'remove' | 'list'

/**
 * Ask: change or list the live keyring (keyring-ops.ts has memberlist's rules and messages). A
 * change applies to the next packet and stream in or out, is kept in swim's persisted state (a
 * restart keeps it) and is emitted as `swim.keyring-changed`. Answered in every state.
 */
export interface KeyringMsg {
  type: 'swim.keyring'
  op: KeyringOp
  /** The key (16, 24 or 32 bytes) for install, use and remove. */
  key?: Uint8Array
  replyTo?: ReplyTo<KeyringReply>
}

export type KeyringReply =
  /** The ring after the operation (primary first), and its primary. */
  | { type: 'swim.keyring-reply'; ok: true; keys: Uint8Array[]; primary: Uint8Array }
  /** memberlist's or Serf's message (e.g. `Removing the primary key is not allowed`) and our code. */
  | { type: 'swim.keyring-reply'; ok: false; message: string; code: string }

/** Ask: a node's Vivaldi coordinate as swim holds it (ours without `node`). */
export interface CoordinateMsg {
  type: 'swim.coordinate'
  node?: string
  replyTo?: ReplyTo<CoordinateReply>
}

export interface CoordinateReply {
  type: 'swim.coordinate-reply'
  /** Absent when swim holds none for that node (or the node does not run yet). */
  coordinate?: Coordinate
}

/** Everything the swim actor accepts. Append-only. */
export type SwimInbound =
  | PacketMsg
  | TimerMsg
  | JoinMsg
  | LeaveMsg
  | LocalMetaChangedMsg
  | ReconnectMsg
  | SwimLeaveMsg
  | BroadcastFinishedMsg
  | NodesResyncMsg
  | LeaseMsg
  | SendUserMsg
  | KeyringMsg
  | CoordinateMsg
  | SendGossamerMsg
  | UserStateMsg
  | StreamEventMsg

/** Emitted (XState emit) after the live keyring changed: the keys, primary first (to rewrite a keyring file). */
export interface KeyringChangedEvent {
  type: 'swim.keyring-changed'
  keys: Uint8Array[]
}

/** What the swim actor emits to subscribers. Append-only. */
export type SwimEmitted = KeyringChangedEvent

/** Actor ids swim talks to; default to the kind names. */
export interface SwimPeers {
  gossipQueue: string
  memberManager: string
  /**
   * serf-events (actors/serf-events): when set, every Serf message of SERF_EVENTS_MESSAGE_TYPES
   * received by gossip or UDP goes there as `serf.message`; when not, to member-manager as
   * `member.user-message`, as before.
   */
  serfEvents?: string
  /**
   * Receivers of Gossamer's own messages (src/wire/gossamer-message.ts) by channel: each one
   * received (by UDP or TCP) goes there as `gossamer.message`; without a receiver it is counted and dropped.
   */
  gossamer?: Partial<Record<GossamerChannel, string>>
}

/**
 * Tell: send one of Gossamer's own messages (the whole envelope, encodeGossamerMessage) to the
 * member named `to`. `reliable`: memberlist's user message over a TCP stream (assignments);
 * otherwise one UDP packet (election rounds, which tolerate loss). An unknown member or a failed
 * send is counted. The caller sends only to members that advertise GOSSAMER_TAG.
 */
export interface SendGossamerMsg {
  type: 'swim.send-gossamer'
  to: string
  bytes: Uint8Array
  reliable: boolean
}

/** What swim tells a `peers.gossamer` receiver: one Gossamer message as received (body after the channel byte). */
export interface GossamerMessageIn {
  type: 'gossamer.message'
  /** The sender's node name when swim knows its address, else its "ip:port". */
  from: string
  channel: GossamerChannel
  body: Uint8Array
}
