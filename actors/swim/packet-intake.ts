/**
 * One datagram in (spec §4.11): decoded and opened with the node's keys, probe traffic (ping,
 * indirect ping, ack, nack) answered at once as memberlist's packet path does, gossip (alive,
 * suspect, dead, user) through the handoff queues, drained right after (high first, newest first)
 * since ours runs on the same thread. A full queue drops the message and counts it; a datagram
 * that does not decode or open is counted and changes nothing.
 * Declares the narrow host it needs: no import of the core.
 */
import type { TransportAddress } from '../../src/transport/transport.ts'
import type { SwimCountersView } from './counters.ts'
import type { SwimOutput } from './effects.ts'
import { HandoffQueue } from './handoff-queue.ts'
import type { AliveMsg } from './messages.ts'
import { nameRule } from './acceptance.ts'
import type { NodeTable, Outcome } from './node-table.ts'
import { decodeDatagram } from './packets.ts'
import type { GossipMessage, WireSecurity } from './packets.ts'

/** What the intake hands probe traffic to (probe.ts). */
export interface ProbeTraffic {
  onMessage(from: TransportAddress, m: GossipMessage): void
}

/** The refresh rules the intake triggers (suspicion-refresh.ts). */
export interface RumourAnswers {
  answerStaleRumour(from: TransportAddress, subject: string, incarnation: number): void
  tellAccuser(from: TransportAddress, accuser: string): void
  heardFrom(from: TransportAddress, sender: string): void
}

export interface IntakeHost {
  readonly security: WireSecurity
  readonly table: NodeTable
  /** The counters of the step running now (read when counting). */
  readonly counters: SwimCountersView
  now(): number
  isStopped(): boolean
  nameAt(addr: TransportAddress): string | undefined
  /** A sign of life from a member (the phi detector). */
  heardFrom(name: string): void
  apply(o: Outcome): void
  refuse(reason: string): void
  emit(output: SwimOutput): void
}

export class PacketIntake {
  /** alive (high) and suspect/dead/user (low) messages waiting for the handler (spec §4.11). */
  readonly handoff: HandoffQueue<{ from: TransportAddress; m: GossipMessage }>
  private draining = false

  constructor(
    private readonly host: IntakeHost,
    private readonly probes: ProbeTraffic,
    private readonly rumours: RumourAnswers,
    handoffQueueDepth: number,
  ) {
    this.handoff = new HandoffQueue(handoffQueueDepth)
  }

  /** One datagram from the transport. */
  packet(from: TransportAddress, bytes: Uint8Array): void {
    const { host } = this
    if (host.isStopped()) return
    let decoded
    try {
      decoded = decodeDatagram(bytes, host.security)
    } catch (err) {
      const code = (err as { code?: string }).code
      if (code === 'ERR_WIRE_DECRYPT' || code === 'ERR_WIRE_ENCRYPTION_REQUIRED') host.counters.packetsUndecryptable++
      else host.counters.packetsMalformed++
      return
    }
    const c = host.counters
    c.packetsIn++
    c.partsInvalid += decoded.invalidParts
    c.partsTruncated += decoded.truncatedParts
    const sender = host.nameAt(from)
    if (sender !== undefined) host.heardFrom(sender)
    for (const m of decoded.messages) {
      if (m.type === 'ping' || m.type === 'indirectPing' || m.type === 'ack' || m.type === 'nack') this.onMessage(from, m)
      else if (!this.handoff.push({ from, m }, m.type === 'alive')) host.counters.handoffDropped++
    }
    this.drain()
    // After the packet's own messages: it may have carried the sender's refutation.
    if (sender !== undefined) this.rumours.heardFrom(from, sender)
  }

  /** Forgets queued messages (the node stops). */
  clear(): void {
    this.handoff.clear()
  }

  private drain(): void {
    if (this.draining) return
    this.draining = true
    try {
      for (let next = this.handoff.pop(); next !== undefined && !this.host.isStopped(); next = this.handoff.pop()) this.onMessage(next.from, next.m)
    } finally {
      this.draining = false
    }
  }

  private onMessage(from: TransportAddress, m: GossipMessage): void {
    const { host } = this
    switch (m.type) {
      case 'indirectPing': {
        // We relay Node in a ping of our own: a name we cannot re-send as it came is refused.
        const rule = m.Node === '' ? undefined : nameRule(m.Node)
        if (rule !== undefined) return host.refuse(`indirectPing.Node ${rule}`)
        return this.probes.onMessage(from, m)
      }
      case 'ping':
      case 'ack':
      case 'nack':
        return this.probes.onMessage(from, m)
      case 'alive': {
        const a: AliveMsg = { incarnation: m.Incarnation, node: m.Node, addr: m.Addr, port: m.Port, meta: m.Meta, vsn: m.Vsn }
        return host.apply(host.table.alive(a, host.now()))
      }
      case 'suspect':
      case 'dead': {
        const now = host.now()
        const msg = { incarnation: m.Incarnation, node: m.Node, from: m.From }
        const o = m.type === 'suspect' ? host.table.suspect(msg, now) : host.table.dead(msg, now)
        // A stale rumour about us (below our incarnation) leaves the table as it was, so answering
        // it after the table had its say is what answering it first was; a refused one gets no answer.
        if (o.result === 'refuted') {
          host.apply(o)
          this.rumours.tellAccuser(from, m.From)
          return
        }
        if (o.result !== 'refused') this.rumours.answerStaleRumour(from, m.Node, m.Incarnation)
        return host.apply(o)
      }
      case 'user':
        host.counters.userMessagesIn++
        return host.emit({ type: 'user-message', bytes: m.Payload, from })
    }
  }
}
