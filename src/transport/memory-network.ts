/**
 * MemoryNetwork: an in-memory network for simulation and tests, first-class like the real one. It
 * carries the real encoded bytes, with per-link latency and jitter, loss, partitions, slow nodes,
 * hosts that go down, an MTU, and counters in bytes and messages. Every delivery is scheduled on
 * the given clock and every random choice comes from the given seeded source, in a fixed order, so
 * the same seed gives the same trace.
 *
 * Packets may be lost; streams are reliable (TCP retransmits) but cannot cross a partition or reach
 * a host that is down: such dials fail after their timeout. Dial completion is reported through a
 * callback scheduled on the clock, not a Promise, so a simulator that steps the clock synchronously
 * sees it at the right simulated time (a Promise would resolve only after the whole step).
 *
 * This file is the carrier: it draws the randomness, schedules deliveries and stream set-ups, and
 * traces. The link model (conditions, partitions, hosts down, slow nodes) is memory-links.ts; its
 * counters are memory-counters.ts; one endpoint, the Transport a node holds, is
 * memory-transport.ts; a stream is memory-stream.ts.
 */
import type { SendOutcome, Stream, StreamLimits, TransportAddress } from './transport.ts'
import { createStreamLimits, TransportError } from './transport.ts'
import { MemoryStream } from './memory-stream.ts'
import { MemoryLinks } from './memory-links.ts'
import type { LinkConditions } from './memory-links.ts'
import { MemoryTransport } from './memory-transport.ts'
import type { EndpointNetwork } from './memory-transport.ts'
import { NetworkCounters } from './memory-counters.ts'
import type { DropReason, EndpointStats, NetworkStats } from './memory-counters.ts'

export type { LinkConditions } from './memory-links.ts'
export type { DropReason, EndpointStats, NetworkStats } from './memory-counters.ts'
export { MemoryTransport } from './memory-transport.ts'
export { MemoryStream } from './memory-stream.ts'

/** The clock the network schedules deliveries on (any ActorClock: the real one, or the SimulatedClock). */
export interface NetworkClock {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(id: unknown): void
}

export interface MemoryNetworkOptions {
  clock: NetworkClock
  random: { next(): number }
  /** Largest datagram carried; larger ones are refused at send and counted (bytes). */
  mtu?: number
  defaultLink?: Partial<LinkConditions>
  /** Called for every packet delivered or dropped, in order (for traces). */
  trace?: (event: NetworkTraceEvent) => void
}

export interface NetworkTraceEvent {
  atMs: number
  kind: 'deliver' | 'drop' | 'stream-open' | 'stream-fail'
  from: TransportAddress
  to: TransportAddress
  bytes: number
  reason?: DropReason
}

const DEFAULT_MTU = 1472 // 1500-byte Ethernet frame minus IPv4 (20) and UDP (8) headers
const SYN_TIMEOUT_MS = 1_000 // Linux initial SYN retransmission timeout
const MIN_RTO_MS = 200 // Linux minimum retransmission timeout
const MAX_RETRANSMIT_DELAY_MS = 60_000
const MSS_BYTES = 1448 // TCP payload per segment on Ethernet with timestamps

export class MemoryNetwork implements EndpointNetwork {
  readonly clock: NetworkClock
  private readonly random: { next(): number }
  readonly mtu: number
  private readonly links: MemoryLinks
  private readonly endpoints = new Map<TransportAddress, MemoryTransport>()
  private readonly counters = new NetworkCounters()
  private readonly trace: ((e: NetworkTraceEvent) => void) | undefined

  constructor(options: MemoryNetworkOptions) {
    this.clock = options.clock
    this.random = options.random
    this.mtu = options.mtu ?? DEFAULT_MTU
    this.links = new MemoryLinks(options.defaultLink)
    this.trace = options.trace
  }

  /** A transport bound to `address`. One per address while it is open. */
  createTransport(address: TransportAddress, limits: Partial<StreamLimits> = {}): MemoryTransport {
    const existing = this.endpoints.get(address)
    if (existing !== undefined && !existing.isClosed()) throw new TransportError('ERR_TRANSPORT_ADDRESS', `address in use: ${address}`)
    const t = new MemoryTransport(this, address, createStreamLimits(limits))
    this.endpoints.set(address, t)
    this.links.setDown(address, false)
    this.counters.addEndpoint(address)
    return t
  }

  /** Conditions for all links without their own. */
  setDefaultLink(conditions: Partial<LinkConditions>): void {
    this.links.setDefaultLink(conditions)
  }

  /** Conditions of the link a → b (and b → a unless `oneWay`). */
  setLink(a: TransportAddress, b: TransportAddress, conditions: Partial<LinkConditions>, oneWay = false): void {
    this.links.setLink(a, b, conditions, oneWay)
  }

  /** Packet loss on every link (replaces per-link loss). */
  setLoss(loss: number): void {
    this.links.setLoss(loss)
  }

  /** Splits the listed addresses into groups that cannot reach each other. Unlisted ones reach all. */
  partition(...groups: TransportAddress[][]): void {
    this.links.partition(groups)
  }

  /** Cuts one link in both directions. */
  blockLink(a: TransportAddress, b: TransportAddress): void {
    this.links.blockLink(a, b)
  }

  /** Removes every partition and blocked link. */
  heal(): void {
    this.links.heal()
  }

  /** The host stops answering (crash): packets to it vanish, dials to it time out. */
  setDown(address: TransportAddress, isDown = true): void {
    this.links.setDown(address, isDown)
  }

  /** A slow node: everything it sends and receives is delayed by `ms` more (a busy event loop). */
  setNodeDelay(address: TransportAddress, ms: number): void {
    this.links.setNodeDelay(address, ms)
  }

  canReach(from: TransportAddress, to: TransportAddress): boolean {
    return this.links.canReach(from, to)
  }

  stats(): NetworkStats {
    return this.counters.stats()
  }

  endpointStats(address: TransportAddress): EndpointStats {
    return this.counters.endpointStats(address)
  }

  /** @internal used by MemoryTransport */
  sendPacket(from: TransportAddress, to: TransportAddress, bytes: Uint8Array): SendOutcome {
    const len = bytes.length
    if (len > this.mtu) {
      this.drop(from, to, len, 'mtu')
      return 'too-large'
    }
    this.counters.sent(from, len)
    const link = this.links.linkOf(from, to)
    // Fixed order of random draws per packet: loss, then jitter.
    const lost = link.loss > 0 && this.random.next() < link.loss
    const jitter = link.jitterMs > 0 ? this.random.next() * link.jitterMs : 0
    if (lost) {
      this.drop(from, to, len, 'loss')
      return 'sent'
    }
    if (!this.links.canReach(from, to)) {
      this.drop(from, to, len, 'partition')
      return 'sent'
    }
    // The receiver gets its own copy, as from a socket.
    const copy = bytes.slice()
    const delay = link.latencyMs + jitter + this.links.delayOf(from) + this.links.delayOf(to)
    this.clock.setTimeout(() => this.deliver(from, to, copy), delay)
    return 'sent'
  }

  /** @internal */
  dial(from: MemoryTransport, to: TransportAddress, timeoutMs: number, cb: (err: TransportError | undefined, stream?: Stream) => void): void {
    const target = this.endpoints.get(to)
    const link = this.links.linkOf(from.localAddress, to)
    const rtt = 2 * link.latencyMs + this.links.delayOf(from.localAddress) + this.links.delayOf(to)
    const fail = (after: number, why: string, code: 'ERR_TRANSPORT_DIAL' | 'ERR_TRANSPORT_REFUSED' = 'ERR_TRANSPORT_DIAL') => {
      this.counters.streamFailed()
      this.emit({ atMs: this.clock.now(), kind: 'stream-fail', from: from.localAddress, to, bytes: 0 })
      this.clock.setTimeout(() => cb(new TransportError(code, `dial ${to}: ${why}`, { to })), after)
    }
    if (this.links.isDown(to) || this.links.isDown(from.localAddress)) return fail(timeoutMs, 'timeout (host down)')
    if (!this.links.canReach(from.localAddress, to) || !this.links.canReach(to, from.localAddress)) return fail(timeoutMs, 'timeout (unreachable)')
    // Nobody bound there, or the endpoint closed (its process is gone) on a host that is up and
    // reachable: the host answers the SYN with a reset within a round trip.
    if (target === undefined || target.isClosed()) return fail(Math.min(rtt, timeoutMs), 'connection refused', 'ERR_TRANSPORT_REFUSED')
    // Loss on a stream costs time, not data (TCP retransmits): the handshake is retried after an
    // initial SYN timeout of 1 s, doubling (Linux); each lost segment costs an RTO (200 ms minimum).
    let setup = rtt
    let synTimeout = SYN_TIMEOUT_MS
    while (link.loss > 0 && this.random.next() < 1 - (1 - link.loss) ** 2) {
      setup += synTimeout
      synTimeout *= 2
      if (setup > timeoutMs) return fail(timeoutMs, 'timeout (handshake lost)')
    }
    if (setup > timeoutMs) return fail(timeoutMs, 'timeout')
    this.counters.streamOpened(from.localAddress)
    this.emit({ atMs: this.clock.now(), kind: 'stream-open', from: from.localAddress, to, bytes: 0 })
    const latency = link.latencyMs + this.links.delayOf(from.localAddress) + this.links.delayOf(to)
    const [client, server] = MemoryStream.pair(this, from.localAddress, to, latency, from.streamHooks(false), target.streamHooks(true))
    this.clock.setTimeout(() => target.acceptStream(server), setup - rtt / 2)
    this.clock.setTimeout(() => cb(undefined, client), setup)
  }

  /**
   * @internal Extra delay of a stream write of `bytes` on a lossy link. It travels as segments of
   * one MSS; each lost segment is retransmitted after an RTO that doubles per loss (200 ms
   * minimum, Linux), and the write is complete when its slowest segment is in (segments are sent
   * back to back and delivered in order). A 70 KB push/pull at 50% loss thus takes seconds, as a
   * real one would.
   */
  retransmitDelay(from: TransportAddress, to: TransportAddress, bytes = 1): number {
    const loss = this.links.linkOf(from, to).loss
    if (loss <= 0) return 0
    const segments = Math.max(1, Math.ceil(bytes / MSS_BYTES))
    let worst = 0
    for (let s = 0; s < segments; s++) {
      let extra = 0
      let rto = MIN_RTO_MS
      while (this.random.next() < loss && extra < MAX_RETRANSMIT_DELAY_MS) {
        extra += rto
        rto *= 2
      }
      if (extra > worst) worst = extra
    }
    return worst
  }

  /** @internal */
  countStreamBytes(from: TransportAddress, to: TransportAddress, n: number): void {
    this.counters.streamBytes(from, to, n)
  }

  /** @internal */
  isDown(address: TransportAddress): boolean {
    return this.links.isDown(address)
  }

  private deliver(from: TransportAddress, to: TransportAddress, bytes: Uint8Array): void {
    const target = this.endpoints.get(to)
    if (target === undefined) return this.drop(from, to, bytes.length, 'unknown')
    if (this.links.isDown(to)) return this.drop(from, to, bytes.length, 'down')
    if (target.isClosed()) return this.drop(from, to, bytes.length, 'closed')
    this.counters.delivered(to, bytes.length)
    this.emit({ atMs: this.clock.now(), kind: 'deliver', from, to, bytes: bytes.length })
    target.receive({ from, to, bytes, receivedAtMs: this.clock.now() })
  }

  private drop(from: TransportAddress, to: TransportAddress, bytes: number, reason: DropReason): void {
    this.counters.dropped(reason)
    this.emit({ atMs: this.clock.now(), kind: 'drop', from, to, bytes, reason })
  }

  private emit(e: NetworkTraceEvent): void {
    if (this.trace !== undefined) this.trace(e)
  }
}
