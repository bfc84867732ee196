/**
 * Gossamer's own messages (src/wire/gossamer-message.ts) through swim: `swim.send-gossamer` sends
 * the envelope to one member by name as a memberlist user message, and every user message that
 * arrives with the Gossamer type byte (a datagram, a part of a gossip compound, a TCP stream) goes
 * to the receiver of its channel (`peers.gossamer[channel]`) as `gossamer.message`, never to
 * member-manager or serf-events. Sending is by name only, to the member the caller chose: swim
 * never broadcasts these, so a real `serf agent` (which logs an unknown type as a warning) gets one
 * only if the caller names it, and the callers send only to members with GOSSAMER_TAG.
 *
 * - UDP (`reliable: false`): memberlist's SendBestEffort, the core's `send-user` (one datagram,
 *   sealed and labelled like every packet; its outcome is counted in userMessages* as well).
 * - TCP (`reliable: true`): memberlist's SendReliable (rawSendMsgStream): dial the member, write one
 *   stream message holding the user message (label, compression, encryption as every stream), then
 *   half-close; the receiver reads one message per connection (push-pull.ts) and closes.
 *
 * Every outcome is counted (GossamerCounts, flat in swim's context beside the runner's counts).
 */
import type { TransportAddress } from '../../src/transport/transport.ts'
import { GOSSAMER_MESSAGE_TYPE, decodeGossamerMessage, type GossamerChannel } from '../../src/wire/gossamer-message.ts'
import { encodeStream } from '../../src/wire/stream.ts'
import { encodeStreamMessage } from './packets.ts'
import type { GossamerMessageIn, SendGossamerMsg, SwimPeers } from './protocol.ts'
import type { SwimCore } from './swim-core.ts'

/** Bound on one envelope sent reliably (a published assignment), in bytes; UDP is bounded by the packet. */
export const MAX_GOSSAMER_RELIABLE_BYTES = 4 * 1024 * 1024

export interface GossamerCounts {
  /** `swim.send-gossamer` handed to the core (UDP) or written to a dialed stream (TCP). */
  gossamerSent: number
  /** `swim.send-gossamer` to a name that is not a live member (unknown, dead or left): not sent. */
  gossamerUnknownMember: number
  /** Reliable sends whose dial failed or whose stream refused the write. */
  gossamerFailed: number
  /** Gossamer messages received and told to their channel's receiver. */
  gossamerReceived: number
  /** Gossamer messages received for a channel without a receiver (peers.gossamer): dropped. */
  gossamerNoReceiver: number
  /** Gossamer messages with an unknown channel byte or no channel byte: dropped. */
  gossamerBadChannel: number
}

export const NO_GOSSAMER_COUNTS: Readonly<GossamerCounts> = Object.freeze({ gossamerSent: 0, gossamerUnknownMember: 0, gossamerFailed: 0, gossamerReceived: 0, gossamerNoReceiver: 0, gossamerBadChannel: 0 })

/** Whether a received user message's payload is one of ours (the rest is Serf's). */
export function isGossamerPayload(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes[0] === GOSSAMER_MESSAGE_TYPE
}

/**
 * Where a received Gossamer payload goes: the message for its receiver, or why it is dropped.
 * `senderName` is the member at the packet's source address (UDP comes from the member's bound port;
 * a TCP stream's source port is ephemeral, so there it is usually unknown and the address is used).
 */
export function routeGossamer(
  bytes: Uint8Array,
  from: TransportAddress,
  senderName: string | undefined,
  receivers: SwimPeers['gossamer'],
): { to: string; msg: GossamerMessageIn } | { drop: 'gossamerBadChannel' | 'gossamerNoReceiver' } {
  let channel: GossamerChannel
  let body: Uint8Array
  try {
    ;({ channel, body } = decodeGossamerMessage(bytes))
  } catch {
    return { drop: 'gossamerBadChannel' }
  }
  const to = receivers?.[channel]
  if (to === undefined) return { drop: 'gossamerNoReceiver' }
  return { to, msg: { type: 'gossamer.message', from: senderName ?? from, channel, body } }
}

/**
 * Sends one envelope from the running core `node` (see the header). UDP goes through the core's
 * step (its effects are returned for the runner to carry out); TCP dials through the core (a dial
 * effect, run at once by the core's env) and writes when the stream opens.
 */
export function sendGossamer(node: SwimCore, msg: SendGossamerMsg, counts: GossamerCounts, tcpTimeoutMs: number, compress: boolean): ReturnType<SwimCore['advance']> {
  const rec = node.table.get(msg.to)
  if (rec === undefined || rec.state === 'dead' || rec.state === 'left' || msg.to === node.table.selfName) {
    counts.gossamerUnknownMember++
    return []
  }
  const to = node.addressOf(rec)
  counts.gossamerSent++
  if (!msg.reliable) return node.advance({ type: 'send-user', to, bytes: msg.bytes })
  node.enter(() =>
    node.dial(to, tcpTimeoutMs, (err, stream) => {
      if (err !== undefined || stream === undefined) {
        counts.gossamerFailed++
        return
      }
      if (!stream.write(encodeStreamMessage(reliableUser(msg.bytes), compress, node.security))) {
        counts.gossamerFailed++
        stream.close()
        return
      }
      // As Go's conn.Close after the write: the peer reads to the end, then both sides are done.
      stream.setDeadline(tcpTimeoutMs)
      stream.onEnd(() => stream.close())
      stream.end()
    }),
  )
  return []
}

/** memberlist's stream form of a user message: `[8]{UserMsgLen}` then the raw bytes (not the datagram's `[8][bin]`). */
function reliableUser(bytes: Uint8Array): Uint8Array {
  return encodeStream({ type: 'user', UserMsgLen: bytes.length, Payload: bytes })
}
