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
 * Requests that arrive while swim is still binding its socket are kept (bounded) and handled once
 * it is bound; if it cannot bind, a leave request is answered `member.swim-left` at once and the
 * rest is refused and counted (see machine.ts).
 *
 * This is the only file of the actor that other actors may import. The unions are APPEND-ONLY.
 */
import type { BroadcastFinishedMsg, LeaseMsg } from '../gossip-queue/protocol.ts'
import type { LocalMetaChangedMsg, NodesResyncMsg, ReconnectMsg, SwimLeaveMsg } from '../member-manager/protocol.ts'

/** One datagram from the transport: the bytes exactly as received (CRC, compound, compression). */
export interface PacketMsg {
  type: 'swim.packet'
  /** "ip:port" of the sender. */
  from: string
  bytes: Uint8Array
}

/** A timer of the swim logic came due (scheduled on the actor clock, delivered as a message). */
export interface TimerMsg {
  type: 'swim.timer'
  key: string
}

/**
 * memberlist Join: push/pull (Join=true) with each address ("host:port", "[v6]:port", or without a
 * port for swim.bindPort: see join-address.ts); member-manager hears join-completed.
 */
export interface JoinMsg {
  type: 'swim.join'
  addresses: string[]
}

/** memberlist Leave: dead{self, From: self}, then `member.swim-left` once spread or after timeoutMs. */
export interface LeaveMsg {
  type: 'swim.leave'
  timeoutMs: number
}

/** Everything the swim actor accepts. Append-only. */
export type SwimInbound = PacketMsg | TimerMsg | JoinMsg | LeaveMsg | LocalMetaChangedMsg | ReconnectMsg | SwimLeaveMsg | BroadcastFinishedMsg | NodesResyncMsg | LeaseMsg

/** Actor ids swim talks to; default to the kind names. */
export interface SwimPeers {
  gossipQueue: string
  memberManager: string
}
