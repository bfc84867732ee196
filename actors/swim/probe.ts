/**
 * The probe cycle (spec §4.2-4.4): one probe at a time over the shuffled round-robin list; a direct
 * ping, after probeTimeout indirect pings through k alive members (with nacks) and a TCP fallback
 * ping, and at the deadline (probeInterval × (health score + 1)) a suspicion. Also the other side:
 * answering pings, relaying indirect pings, forwarding acks and sending nacks.
 *
 * fastCrashDetection: a TCP fallback the target's host refuses (nothing listens at the member's
 * address: its process is gone, the host is up) starts the suspicion at once, about probeTimeout
 * into the probe, instead of at the deadline a whole interval in. memberlist waits for the indirect
 * probes there; a refusal is stronger evidence than their silence, and the suspicion it starts is
 * an ordinary one: the member refutes it if it lives, and the dead declaration still waits for
 * Lifeguard's timer. The probe itself runs on to its deadline, so the health score still hears the
 * helpers' nacks and an indirect ack still counts as contact.
 */
import type { Stream, TransportAddress } from '../../src/transport/transport.ts'
import { formatAddress } from '../../src/transport/transport.ts'
import type { Ack, GossipMessage, IndirectPing, Nack, Ping } from '../../src/wire/memberlist.ts'
import { probeAwarenessDelta } from './awareness.ts'
import type { NodeRecord } from './node-table.ts'
import { encodeAck, encodeIndirectPing, encodeNack, encodePing, encodeStreamMessage, encodeSuspect } from './packets.ts'
import { kRandom } from './probe-list.ts'
import { nextAlignedTickDelayMs, probeStep, tickOffsetMs } from './probe-rotation.ts'
import type { Awareness } from './awareness.ts'
import type { SwimConfig } from './config.ts'
import type { SwimCounters } from './counters.ts'
import type { NodeTable, Outcome } from './node-table.ts'
import type { WireSecurity } from './packets.ts'
import type { DialCallback, PacketRequest, SuspicionCause, SwimEnv } from './effects.ts'
import type { StreamMessage } from '../../src/wire/stream.ts'

/**
 * What the probe cycle needs from its node (SwimNode provides it). Declared here, so this file
 * imports no node and no other concept: the node wires the TCP fallback to push-pull.ts.
 */
export interface ProbeHost {
  readonly config: SwimConfig
  readonly env: SwimEnv
  /** Opens a stream (a dial effect of the node's step). */
  dial(to: TransportAddress, timeoutMs: number, cb: DialCallback): void
  setTimer(key: string, delayMs: number): void
  cancelTimer(key: string): void
  readonly table: NodeTable
  readonly identity: { readonly name: string; readonly addr: Uint8Array; readonly port: number }
  /** The counters of the step running now: read it when counting, never keep it across a callback (each step may copy them). */
  readonly counters: SwimCounters
  readonly awareness: Awareness
  readonly security: WireSecurity
  addressOf(n: NodeRecord): TransportAddress
  sendPacket(req: PacketRequest): void
  isStopped(): boolean
  aliveOthers(except?: string): NodeRecord[]
  reapDead(): unknown
  heardFrom(name: string): void
  apply(o: Outcome, cause?: SuspicionCause): void
  /** Our acks' Payload (Serf's ping delegate AckPayload: our coordinate), null for none. */
  ackPayload(): Uint8Array | null
  /** Serf's ping delegate NotifyPingComplete: a probe of `node` acked directly after `rttMs`, with the ack's Payload. */
  pingComplete(node: string, payload: Uint8Array | null, rttMs: number): void
  /** fastCrashDetection's suspects waiting for an out-of-turn probe (suspect-probes.ts). */
  readonly suspectProbes: { next(): NodeRecord | undefined; started(name: string): void }
  /** One request and its answer on a stream, within `deadlineMs` (push-pull.ts `request`): the TCP fallback ping. */
  streamRequest(stream: Stream, request: Uint8Array, deadlineMs: number, cb: (msg: StreamMessage | undefined) => void): void
}

interface ActiveProbe {
  seq: number
  target: string
  /**
   * The target's incarnation when the probe started: a failed probe suspects this one, as
   * memberlist's probeNode does (a refutation that arrived meanwhile must not be suspected).
   */
  incarnation: number
  startMs: number
  expectedNacks: number
  /** Distinct helpers that nacked: each counts once per probe (spec §4.4). */
  nacks: number
  nackFrom: Set<TransportAddress>
  fallbackContact: boolean
  indirect: boolean
}

interface Relay {
  requester: TransportAddress
  origSeq: number
  nack: boolean
}

const K_TIMEOUT = 'probe-timeout'
const K_DEADLINE = 'probe-deadline'
const relayKey = (seq: number) => `relay:${seq}`

export class Prober {
  private seq = 0
  private probe: ActiveProbe | undefined
  /** A tick came while a probe ran (Go's ticker channel keeps one): probe again as soon as it ends. */
  private pendingTick = false
  /** The staggered order's last probe step, and ticks since dead members were last reaped (see `staggered`). */
  private lastStep = Number.NEGATIVE_INFINITY
  private ticksSinceReap = 0
  private readonly relays = new Map<number, Relay>()
  /** Deadline timers still pending when stopped are cancelled through these keys. */
  private readonly relayKeys = new Set<string>()

  constructor(private readonly host: ProbeHost) {}

  nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0
    return this.seq
  }

  isProbing(): boolean {
    return this.probe !== undefined
  }

  stop(): void {
    const h = this.host
    h.cancelTimer(K_TIMEOUT)
    h.cancelTimer(K_DEADLINE)
    for (const k of this.relayKeys) h.cancelTimer(k)
    this.relayKeys.clear()
    this.relays.clear()
    this.probe = undefined
    this.pendingTick = false
  }

  /**
   * Probe ticker. memberlist probes synchronously on a Go ticker whose channel buffers one tick:
   * ticks during a long probe collapse into one, served the moment the probe ends. A suspect we
   * heard of goes first, out of the round-robin order (suspect-probes.ts), once per suspicion; the
   * round-robin goes on at the next tick.
   */
  tick(): void {
    if (this.probe !== undefined) {
      this.pendingTick = true
      return
    }
    const early = this.host.suspectProbes.next()
    if (early !== undefined) {
      this.host.counters.suspectProbes++
      return this.start(early)
    }
    const { table } = this.host
    const name = this.host.config.probeOrder === 'staggered' ? this.staggered() : table.probeList.next(this.probeable, () => this.host.reapDead())
    if (name === undefined) return
    this.start(table.get(name)!)
  }

  /** Members a tick may pick (and the staggered order's rotation holds besides self): known, not self, not dead or left. */
  private readonly probeable = (name: string): boolean => {
    const { table } = this.host
    const r = table.get(name)
    return r !== undefined && name !== table.selfName && r.state !== 'dead' && r.state !== 'left'
  }

  /** The staggered order's tick offset (ms into each step): this member's own (aligned ticks, probe-rotation.ts). */
  private offsetMs(): number {
    const { table, config } = this.host
    return tickOffsetMs(table.selfName, config.probeIntervalMs)
  }

  /**
   * The wait (ms) until the next probe tick, armed at the start and as a tick runs (before it
   * probes). The first: a random phase, for either order (memberlist's stagger). Then memberlist's
   * order ticks every interval (its ticker); the staggered order at the step after the one this tick
   * takes, this member's offset into it, at most two intervals away (aligned ticks,
   * probe-rotation.ts: a wall clock set back must not stop the probes).
   */
  nextTickDelayMs(first: boolean): number {
    const { config, env } = this.host
    if (first) return Math.floor(env.random() * config.probeIntervalMs)
    if (config.probeOrder !== 'staggered') return config.probeIntervalMs
    return nextAlignedTickDelayMs(env.now(), this.lastStep, config.probeIntervalMs, this.offsetMs())
  }

  /**
   * The staggered order (probe-rotation.ts): the rotation's target at this probe step. A tick in
   * the step of the last one or before it (a late timer, then an early one; ticks collapsed behind
   * a long probe) takes the step after the last, so no member is probed twice running; the clock
   * takes over again as soon as it is ahead. Dead members are reaped once per rotation (as many ticks as
   * members to probe), as the round-robin reaps when it wraps.
   */
  private staggered(): string | undefined {
    const { env, config, table } = this.host
    const probeable = this.probeable
    const step = Math.max(probeStep(env.now(), config.probeIntervalMs, this.offsetMs()), this.lastStep + 1)
    this.lastStep = step
    let { target, others } = table.probeList.rotation(table.selfName, step, probeable)
    if (++this.ticksSinceReap >= others) {
      this.ticksSinceReap = 0
      this.host.reapDead()
      // The reaped are not probeable, so the target stands; the rotation's size changed, though.
      target = table.probeList.rotation(table.selfName, step, probeable).target
    }
    return target
  }

  private start(target: NodeRecord): void {
    const { env, config, table, identity, counters } = this.host
    const seq = this.nextSeq()
    counters.probes++
    this.host.suspectProbes.started(target.name)
    const ping = encodePing({ seqNo: seq, node: target.name, sourceAddr: identity.addr, sourcePort: identity.port, sourceNode: identity.name })
    const to = this.host.addressOf(target)
    if (target.state === 'alive') {
      // sendMsg: piggyback; no CRC (0.2.2 looks the node up by IP string, spec §1.2).
      this.host.sendPacket({ to, messages: [ping], piggyback: true, crc: false })
    } else {
      // Buddy system: tell the suspect it is suspected so it can refute (spec §4.2).
      const suspect = encodeSuspect({ incarnation: target.incarnation, node: target.name, from: table.selfName })
      this.host.sendPacket({ to, messages: [ping, suspect], piggyback: false, crc: (target.vsn[1] ?? 0) >= 5 })
    }
    this.probe = { seq, target: target.name, incarnation: target.incarnation, startMs: env.now(), expectedNacks: 0, nacks: 0, nackFrom: new Set(), fallbackContact: false, indirect: false }
    this.host.setTimer(K_TIMEOUT, config.probeTimeoutMs)
    this.host.setTimer(K_DEADLINE, this.host.awareness.scaleTimeout(config.probeIntervalMs))
  }

  onTimer(key: string): void {
    if (key === K_TIMEOUT) return this.indirectPhase()
    if (key === K_DEADLINE) return this.finish(false)
    if (key.startsWith('relay:')) return this.relayTimeout(Number(key.slice(6)))
  }

  onMessage(from: TransportAddress, m: GossipMessage): void {
    switch (m.type) {
      case 'ping':
        return this.onPing(from, m)
      case 'indirectPing':
        return this.onIndirectPing(from, m)
      case 'ack':
        return this.onAck(m)
      case 'nack':
        return this.onNack(from, m)
      default:
        return
    }
  }

  /** Answers a TCP fallback ping arriving on a stream (spec §2.3). */
  answerStreamPing(stream: Stream, m: Ping): void {
    if (m.Node !== '' && m.Node !== this.host.identity.name) {
      this.host.counters.pingsWrongNode++
      stream.close()
      return
    }
    stream.write(encodeStreamMessage(encodeAck(m.SeqNo, this.host.ackPayload()), this.host.config.enableCompression, this.host.security))
    stream.end()
  }

  private indirectPhase(): void {
    const p = this.probe
    if (p === undefined) return
    const { env, config, table, identity, counters } = this.host
    const target = table.get(p.target)
    if (target === undefined) return
    p.indirect = true
    const peers = kRandom(this.host.aliveOthers(p.target), config.indirectChecks, () => env.random(), () => true)
    for (const peer of peers) {
      const nack = (peer.vsn[1] ?? 0) >= 4
      if (nack) p.expectedNacks++
      counters.indirectProbesSent++
      const msg = encodeIndirectPing({
        seqNo: p.seq,
        target: target.addr,
        port: target.port,
        node: target.name,
        nack,
        sourceAddr: identity.addr,
        sourcePort: identity.port,
        sourceNode: identity.name,
      })
      this.host.sendPacket({ to: this.host.addressOf(peer), messages: [msg], piggyback: true, crc: false })
    }
    if (!config.disableTcpPings && (target.vsn[1] ?? 0) >= 3) this.tcpFallback(p, target)
  }

  private tcpFallback(p: ActiveProbe, target: NodeRecord): void {
    const { env, config, identity, counters } = this.host
    const deadline = p.startMs + this.host.awareness.scaleTimeout(config.probeIntervalMs)
    const timeout = deadline - env.now()
    if (timeout <= 0) return
    counters.tcpFallbacks++
    this.host.dial(this.host.addressOf(target), timeout, (err, stream) => {
      if (err?.code === 'ERR_TRANSPORT_REFUSED') return this.refused(p)
      if (err !== undefined || stream === undefined) return
      if (this.host.isStopped()) return stream.close() // the dial outlived the node
      const ping = encodePing({ seqNo: p.seq, node: target.name, sourceAddr: identity.addr, sourcePort: identity.port, sourceNode: identity.name })
      // One request, one reply under push/pull's byte cap; the stream is closed on the reply, a
      // failure (counted there) or the probe's deadline, whichever comes first.
      this.host.streamRequest(stream, encodeStreamMessage(ping, config.enableCompression, this.host.security), deadline - env.now(), (msg) => {
        // Counts only while this probe is still waiting for its deadline.
        if (msg?.type === 'ack' && msg.SeqNo === p.seq && this.probe === p && env.now() <= deadline) {
          p.fallbackContact = true
          this.host.counters.tcpFallbackContacts++ // read now: the counters of the step this runs in
        }
      })
    })
  }

  /** The target's host refused the TCP fallback while the probe still waits: see the header. */
  private refused(p: ActiveProbe): void {
    const { env, config, table } = this.host
    this.host.counters.tcpFallbackRefusals++ // read now: the counters of the step this runs in
    if (!config.fastCrashDetection || this.probe !== p || this.host.isStopped() || table.get(p.target) === undefined) return
    this.host.apply(table.suspect({ incarnation: p.incarnation, node: p.target, from: table.selfName }, env.now()), 'probe')
  }

  private finish(acked: boolean): void {
    const p = this.probe
    if (p === undefined) return
    this.probe = undefined
    const { env, table, counters, awareness } = this.host
    this.host.cancelTimer(K_TIMEOUT)
    this.host.cancelTimer(K_DEADLINE)
    const contact = acked || p.fallbackContact
    awareness.applyDelta(contact ? -1 : probeAwarenessDelta(false, p.expectedNacks, p.nacks))
    if (contact) {
      counters.probesAcked++
      this.host.heardFrom(p.target)
    } else {
      counters.probesFailed++
      // The incarnation we probed, not the current one: if the target refuted during the probe, the
      // table ignores this suspicion as old (memberlist suspects the node state copied at start).
      if (table.get(p.target) !== undefined) this.host.apply(table.suspect({ incarnation: p.incarnation, node: p.target, from: table.selfName }, env.now()), 'probe')
    }
    if (this.pendingTick && !this.host.isStopped()) {
      this.pendingTick = false
      this.tick()
    }
  }

  private onPing(from: TransportAddress, m: Ping): void {
    const { identity, counters } = this.host
    if (m.Node !== '' && m.Node !== identity.name) {
      counters.pingsWrongNode++
      return
    }
    const to = m.SourceAddr.length > 0 && m.SourcePort > 0 ? formatAddress(m.SourceAddr, m.SourcePort) : from
    this.host.sendPacket({ to, messages: [encodeAck(m.SeqNo, this.host.ackPayload())], piggyback: true, crc: false })
  }

  private onIndirectPing(from: TransportAddress, m: IndirectPing): void {
    const { identity, env, config } = this.host
    const localSeq = this.nextSeq()
    const requester = m.SourceAddr.length > 0 && m.SourcePort > 0 ? formatAddress(m.SourceAddr, m.SourcePort) : from
    this.relays.set(localSeq, { requester, origSeq: m.SeqNo, nack: m.Nack })
    const key = relayKey(localSeq)
    this.relayKeys.add(key)
    this.host.setTimer(key, config.probeTimeoutMs)
    const ping = encodePing({ seqNo: localSeq, node: m.Node, sourceAddr: identity.addr, sourcePort: identity.port, sourceNode: identity.name })
    this.host.sendPacket({ to: formatAddress(m.Target, m.Port === 0 ? identity.port : m.Port), messages: [ping], piggyback: true, crc: false })
  }

  private relayTimeout(seq: number): void {
    const r = this.relays.get(seq)
    this.relayKeys.delete(relayKey(seq))
    if (r === undefined) return
    this.relays.delete(seq)
    if (r.nack) this.host.sendPacket({ to: r.requester, messages: [encodeNack(r.origSeq)], piggyback: true, crc: false })
  }

  private onAck(m: Ack): void {
    const p = this.probe
    if (p !== undefined && p.seq === m.SeqNo) {
      // memberlist calls NotifyPingComplete only for the direct ack within probeTimeout (a relayed
      // ack carries no payload, and its RTT is not the target's).
      if (!p.indirect) this.host.pingComplete(p.target, m.Payload, this.host.env.now() - p.startMs)
      return this.finish(true)
    }
    const r = this.relays.get(m.SeqNo)
    if (r === undefined) return
    this.relays.delete(m.SeqNo)
    const key = relayKey(m.SeqNo)
    this.relayKeys.delete(key)
    this.host.cancelTimer(key)
    this.host.sendPacket({ to: r.requester, messages: [encodeAck(r.origSeq)], piggyback: true, crc: false })
  }

  /**
   * A helper's nack: counts once per helper and probe. A duplicate (a retransmitted or replayed
   * datagram) would otherwise make the probe look better than expected in the health score.
   */
  private onNack(from: TransportAddress, m: Nack): void {
    const p = this.probe
    const { counters } = this.host
    if (p === undefined || p.seq !== m.SeqNo) {
      counters.nacksUnmatched++
      return
    }
    if (p.nackFrom.has(from)) {
      counters.nacksDuplicate++
      return
    }
    p.nackFrom.add(from)
    p.nacks++
    counters.nacksReceived++
  }
}
