/**
 * What swim sends, as effects, and how each send is counted: packets (their results come back as
 * `packet-sent` and are counted per outcome and cause), user datagrams (memberlist SendBestEffort),
 * and broadcasts (encoded here; gossip-queue queues them). Also the one place refusals are counted.
 * Declares the narrow host it needs: no import of the core.
 */
import type { TransportAddress } from '../../src/transport/transport.ts'
import type { SwimConfig } from './config.ts'
import type { SwimCountersView } from './counters.ts'
import type { GossipRound, PacketRequest, PacketSent, SendPacketEffect, SwimEffect } from './effects.ts'
import { INCARNATION_EXHAUSTED } from './node-table.ts'
import type { Broadcast, NodeTable } from './node-table.ts'
import { encodeAlive, encodeDead, encodeSuspect, encodeUser, encryptionOverhead } from './packets.ts'
import type { WireSecurity } from './packets.ts'

/** Bytes of memberlist's CRC wrapper (type byte + CRC32). */
const CRC_WRAPPER_BYTES = 5

export interface SendHost {
  readonly config: SwimConfig
  readonly security: WireSecurity
  readonly table: NodeTable
  /** The counters of the step running now (read when counting). */
  readonly counters: SwimCountersView
  /** One effect of the running step. */
  effect(e: SwimEffect): void
  nameAt(addr: TransportAddress): string | undefined
  isStopped(): boolean
}

export class SendAccounting {
  constructor(private readonly host: SendHost) {}

  /** Every packet swim sends goes through here; its result comes back as `packet-sent`. */
  packet(req: PacketRequest, gossip?: GossipRound): void {
    const e: SendPacketEffect = { type: 'send-packet', to: req.to, messages: req.messages, piggyback: req.piggyback, crc: req.crc }
    if (gossip !== undefined) e.gossip = gossip
    this.host.effect(e)
  }

  /**
   * memberlist SendBestEffort / SendToAddress: one user message in one datagram, no piggyback (a
   * query's ack must not wait for room), CRC when the address is a member that speaks protocol 5
   * (rawSendMsgPacket looks the node up). Nothing is queued: too large is refused and counted.
   */
  user(to: TransportAddress, bytes: Uint8Array): void {
    const { host } = this
    if (host.isStopped()) return
    const msg = encodeUser(bytes)
    const name = host.nameAt(to)
    const rec = name === undefined ? undefined : host.table.get(name)
    const crc = rec !== undefined && (rec.vsn[1] ?? 0) >= 5
    // The datagram: the message, a CRC wrapper (5 bytes) and the sealing's overhead (29 bytes).
    if (msg.length + (crc ? CRC_WRAPPER_BYTES : 0) + encryptionOverhead(host.security) > host.config.udpBufferSize) {
      host.counters.userMessagesTooLarge++
      return
    }
    host.effect({ type: 'send-packet', to, messages: [msg], piggyback: false, crc, cause: 'user' })
  }

  /**
   * A send's result, counted. Returns the gossip round to go on with (its packet was not empty),
   * or undefined: not a gossip packet, or an empty fill that ends the round.
   */
  sent(e: SendPacketEffect, sent: PacketSent): GossipRound | undefined {
    const c = this.host.counters
    this.count(sent.result, sent.errorCode)
    if (e.cause === 'user') {
      if (sent.result === 'sent' || sent.result === 'unconfirmed') c.userMessagesSent++
      else if (sent.result === 'too-large') c.userMessagesTooLarge++
      else c.userMessagesFailed++
    }
    if (e.gossip === undefined) return undefined
    if (sent.result === 'empty') {
      c.gossipEmpty++
      return undefined
    }
    return e.gossip
  }

  /**
   * Encodes and queues a broadcast. The node table only broadcasts what passed acceptance.ts, so
   * the encoder cannot refuse it; should a bug ever make it, the broadcast is counted and dropped
   * (broadcastsUnencodable, lastBroadcastError) instead of taking the node down.
   */
  broadcast(b: Broadcast, notifyId?: string): void {
    let bytes: Uint8Array
    try {
      bytes = b.type === 'alive' ? encodeAlive(b.msg) : b.type === 'suspect' ? encodeSuspect(b.msg) : encodeDead(b.msg)
    } catch (err) {
      const c = this.host.counters
      c.broadcastsUnencodable++
      c.lastBroadcastError = `${b.type} ${JSON.stringify(b.msg.node)}: ${err instanceof Error ? err.message : String(err)}`
      return
    }
    this.host.effect(notifyId === undefined ? { type: 'enqueue-broadcast', name: b.msg.node, message: bytes } : { type: 'enqueue-broadcast', name: b.msg.node, message: bytes, notifyId })
  }

  /** A message refused by what swim accepts (acceptance.ts), or a rumour about us we cannot refute. */
  refusal(reason: string): void {
    const c = this.host.counters
    if (reason === INCARNATION_EXHAUSTED) {
      c.refutationsImpossible++
      return
    }
    c.messagesRefused++
    c.lastRefusal = reason
  }

  private count(result: PacketSent['result'], code: string | undefined): void {
    const c = this.host.counters
    switch (result) {
      case 'sent':
        c.packetsSent++
        return
      case 'empty':
        return
      case 'too-large':
        c.sendTooLarge++
        return
      case 'closed':
        c.sendClosed++
        return
      case 'failed':
        c.sendFailed++
        c.lastSendErrorCode = code ?? 'ERR_UNKNOWN'
        return
      case 'unconfirmed':
        c.sendUnconfirmed++
        return
    }
  }
}
