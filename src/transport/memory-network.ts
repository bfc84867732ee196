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
 */
import type { InboundPacket, SendOutcome, Stream, StreamCounters, StreamLimits, Transport, TransportAddress } from './transport.ts'
import { createStreamLimits, TransportError } from './transport.ts'
import { MemoryStream } from './memory-stream.ts'
import type { StreamSideHooks } from './memory-stream.ts'

/** The clock the network schedules deliveries on (any ActorClock: the real one, or the SimulatedClock). */
export interface NetworkClock {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(id: unknown): void
}

export interface LinkConditions {
  /** One-way delay (ms). */
  latencyMs: number
  /** Extra delay drawn uniformly in [0, jitterMs) per packet (ms). */
  jitterMs: number
  /** Probability in [0, 1] that a packet is lost. */
  loss: number
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

export type DropReason = 'loss' | 'partition' | 'down' | 'mtu' | 'unknown' | 'closed'

export interface NetworkTraceEvent {
  atMs: number
  kind: 'deliver' | 'drop' | 'stream-open' | 'stream-fail'
  from: TransportAddress
  to: TransportAddress
  bytes: number
  reason?: DropReason
}

export interface EndpointStats {
  packetsSent: number
  bytesSent: number
  packetsReceived: number
  bytesReceived: number
  streamsOpened: number
  streamBytesSent: number
  streamBytesReceived: number
}

export interface NetworkStats {
  packetsSent: number
  bytesSent: number
  packetsDelivered: number
  bytesDelivered: number
  dropped: Record<DropReason, number>
  streamsOpened: number
  streamsFailed: number
  streamBytes: number
}

const DEFAULT_MTU = 1472 // 1500-byte Ethernet frame minus IPv4 (20) and UDP (8) headers
const SYN_TIMEOUT_MS = 1_000 // Linux initial SYN retransmission timeout
const MIN_RTO_MS = 200 // Linux minimum retransmission timeout
const MAX_RETRANSMIT_DELAY_MS = 60_000
const MSS_BYTES = 1448 // TCP payload per segment on Ethernet with timestamps

const newEndpointStats = (): EndpointStats => ({ packetsSent: 0, bytesSent: 0, packetsReceived: 0, bytesReceived: 0, streamsOpened: 0, streamBytesSent: 0, streamBytesReceived: 0 })

export class MemoryNetwork {
  readonly clock: NetworkClock
  private readonly random: { next(): number }
  readonly mtu: number
  private defaultLink: LinkConditions
  private readonly links = new Map<string, LinkConditions>()
  private readonly endpoints = new Map<TransportAddress, MemoryTransport>()
  private readonly down = new Set<TransportAddress>()
  private readonly groups = new Map<TransportAddress, number>()
  private readonly blocked = new Set<string>()
  private readonly nodeDelayMs = new Map<TransportAddress, number>()
  private readonly perEndpoint = new Map<TransportAddress, EndpointStats>()
  private readonly trace: ((e: NetworkTraceEvent) => void) | undefined
  private readonly totals: NetworkStats = {
    packetsSent: 0,
    bytesSent: 0,
    packetsDelivered: 0,
    bytesDelivered: 0,
    dropped: { loss: 0, partition: 0, down: 0, mtu: 0, unknown: 0, closed: 0 },
    streamsOpened: 0,
    streamsFailed: 0,
    streamBytes: 0,
  }

  constructor(options: MemoryNetworkOptions) {
    this.clock = options.clock
    this.random = options.random
    this.mtu = options.mtu ?? DEFAULT_MTU
    this.defaultLink = { latencyMs: 1, jitterMs: 0, loss: 0, ...options.defaultLink }
    this.trace = options.trace
    checkLink(this.defaultLink)
  }

  /** A transport bound to `address`. One per address while it is open. */
  createTransport(address: TransportAddress, limits: Partial<StreamLimits> = {}): MemoryTransport {
    const existing = this.endpoints.get(address)
    if (existing !== undefined && !existing.isClosed()) throw new TransportError('ERR_TRANSPORT_ADDRESS', `address in use: ${address}`)
    const t = new MemoryTransport(this, address, createStreamLimits(limits))
    this.endpoints.set(address, t)
    this.down.delete(address)
    if (!this.perEndpoint.has(address)) this.perEndpoint.set(address, newEndpointStats())
    return t
  }

  /** Conditions for all links without their own. */
  setDefaultLink(conditions: Partial<LinkConditions>): void {
    this.defaultLink = checkLink({ ...this.defaultLink, ...conditions })
  }

  /** Conditions of the link a → b (and b → a unless `oneWay`). */
  setLink(a: TransportAddress, b: TransportAddress, conditions: Partial<LinkConditions>, oneWay = false): void {
    this.links.set(`${a}>${b}`, checkLink({ ...this.linkOf(a, b), ...conditions }))
    if (!oneWay) this.links.set(`${b}>${a}`, checkLink({ ...this.linkOf(b, a), ...conditions }))
  }

  /** Packet loss on every link (replaces per-link loss). */
  setLoss(loss: number): void {
    this.setDefaultLink({ loss })
    for (const [k, v] of this.links) this.links.set(k, { ...v, loss })
  }

  /** Splits the listed addresses into groups that cannot reach each other. Unlisted ones reach all. */
  partition(...groups: TransportAddress[][]): void {
    this.groups.clear()
    groups.forEach((g, i) => g.forEach((a) => this.groups.set(a, i + 1)))
  }

  /** Cuts one link in both directions. */
  blockLink(a: TransportAddress, b: TransportAddress): void {
    this.blocked.add(`${a}>${b}`)
    this.blocked.add(`${b}>${a}`)
  }

  /** Removes every partition and blocked link. */
  heal(): void {
    this.groups.clear()
    this.blocked.clear()
  }

  /** The host stops answering (crash): packets to it vanish, dials to it time out. */
  setDown(address: TransportAddress, isDown = true): void {
    if (isDown) this.down.add(address)
    else this.down.delete(address)
  }

  /** A slow node: everything it sends and receives is delayed by `ms` more (a busy event loop). */
  setNodeDelay(address: TransportAddress, ms: number): void {
    if (ms <= 0) this.nodeDelayMs.delete(address)
    else this.nodeDelayMs.set(address, ms)
  }

  canReach(from: TransportAddress, to: TransportAddress): boolean {
    if (this.blocked.has(`${from}>${to}`)) return false
    const gf = this.groups.get(from)
    const gt = this.groups.get(to)
    return gf === undefined || gt === undefined || gf === gt
  }

  stats(): NetworkStats {
    return { ...this.totals, dropped: { ...this.totals.dropped } }
  }

  endpointStats(address: TransportAddress): EndpointStats {
    return { ...(this.perEndpoint.get(address) ?? newEndpointStats()) }
  }

  /** @internal used by MemoryTransport */
  sendPacket(from: TransportAddress, to: TransportAddress, bytes: Uint8Array): SendOutcome {
    const len = bytes.length
    if (len > this.mtu) {
      this.drop(from, to, len, 'mtu')
      return 'too-large'
    }
    this.totals.packetsSent++
    this.totals.bytesSent += len
    const src = this.perEndpoint.get(from)
    if (src !== undefined) {
      src.packetsSent++
      src.bytesSent += len
    }
    const link = this.linkOf(from, to)
    // Fixed order of random draws per packet: loss, then jitter.
    const lost = link.loss > 0 && this.random.next() < link.loss
    const jitter = link.jitterMs > 0 ? this.random.next() * link.jitterMs : 0
    if (lost) {
      this.drop(from, to, len, 'loss')
      return 'sent'
    }
    if (!this.canReach(from, to)) {
      this.drop(from, to, len, 'partition')
      return 'sent'
    }
    // The receiver gets its own copy, as from a socket.
    const copy = bytes.slice()
    const delay = link.latencyMs + jitter + this.delayOf(from) + this.delayOf(to)
    this.clock.setTimeout(() => this.deliver(from, to, copy), delay)
    return 'sent'
  }

  /** @internal */
  dial(from: MemoryTransport, to: TransportAddress, timeoutMs: number, cb: (err: TransportError | undefined, stream?: Stream) => void): void {
    const target = this.endpoints.get(to)
    const link = this.linkOf(from.localAddress, to)
    const rtt = 2 * link.latencyMs + this.delayOf(from.localAddress) + this.delayOf(to)
    const fail = (after: number, why: string) => {
      this.totals.streamsFailed++
      this.emit({ atMs: this.clock.now(), kind: 'stream-fail', from: from.localAddress, to, bytes: 0 })
      this.clock.setTimeout(() => cb(new TransportError('ERR_TRANSPORT_DIAL', `dial ${to}: ${why}`, { to })), after)
    }
    if (target === undefined || target.isClosed()) return fail(Math.min(rtt, timeoutMs), 'connection refused')
    if (this.down.has(to) || this.down.has(from.localAddress)) return fail(timeoutMs, 'timeout (host down)')
    if (!this.canReach(from.localAddress, to) || !this.canReach(to, from.localAddress)) return fail(timeoutMs, 'timeout (unreachable)')
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
    this.totals.streamsOpened++
    const stats = this.perEndpoint.get(from.localAddress)
    if (stats !== undefined) stats.streamsOpened++
    this.emit({ atMs: this.clock.now(), kind: 'stream-open', from: from.localAddress, to, bytes: 0 })
    const latency = link.latencyMs + this.delayOf(from.localAddress) + this.delayOf(to)
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
    const loss = this.linkOf(from, to).loss
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
    this.totals.streamBytes += n
    const a = this.perEndpoint.get(from)
    if (a !== undefined) a.streamBytesSent += n
    const b = this.perEndpoint.get(to)
    if (b !== undefined) b.streamBytesReceived += n
  }

  /** @internal */
  isDown(address: TransportAddress): boolean {
    return this.down.has(address)
  }

  private deliver(from: TransportAddress, to: TransportAddress, bytes: Uint8Array): void {
    const target = this.endpoints.get(to)
    if (target === undefined) return this.drop(from, to, bytes.length, 'unknown')
    if (this.down.has(to)) return this.drop(from, to, bytes.length, 'down')
    if (target.isClosed()) return this.drop(from, to, bytes.length, 'closed')
    this.totals.packetsDelivered++
    this.totals.bytesDelivered += bytes.length
    const dst = this.perEndpoint.get(to)
    if (dst !== undefined) {
      dst.packetsReceived++
      dst.bytesReceived += bytes.length
    }
    this.emit({ atMs: this.clock.now(), kind: 'deliver', from, to, bytes: bytes.length })
    target.receive({ from, to, bytes, receivedAtMs: this.clock.now() })
  }

  private drop(from: TransportAddress, to: TransportAddress, bytes: number, reason: DropReason): void {
    this.totals.dropped[reason]++
    this.emit({ atMs: this.clock.now(), kind: 'drop', from, to, bytes, reason })
  }

  private emit(e: NetworkTraceEvent): void {
    if (this.trace !== undefined) this.trace(e)
  }

  private linkOf(a: TransportAddress, b: TransportAddress): LinkConditions {
    return this.links.get(`${a}>${b}`) ?? this.defaultLink
  }

  private delayOf(a: TransportAddress): number {
    return this.nodeDelayMs.get(a) ?? 0
  }
}

function checkLink(l: LinkConditions): LinkConditions {
  if (!(l.latencyMs >= 0) || !(l.jitterMs >= 0) || !(l.loss >= 0 && l.loss <= 1)) {
    throw new TransportError('ERR_TRANSPORT_ADDRESS', `invalid link conditions ${JSON.stringify(l)}: latencyMs and jitterMs >= 0, loss in [0, 1]`)
  }
  return l
}

/** One endpoint on a MemoryNetwork. */
export class MemoryTransport implements Transport {
  private packetHandler: ((p: InboundPacket) => void) | undefined
  private streamHandler: ((s: Stream) => void) | undefined
  private closed = false
  /** Packets that arrived before a handler was set (counted, then dropped). */
  unhandledPackets = 0
  private readonly counters: StreamCounters = { deadlinesExpired: 0, idleTimeouts: 0, inboundRefused: 0, inboundOpen: 0 }
  /** Accepted streams not yet over (only these count against maxInboundStreams). */
  private readonly inbound = new Set<MemoryStream>()

  constructor(
    private readonly network: MemoryNetwork,
    readonly localAddress: TransportAddress,
    readonly limits: StreamLimits = createStreamLimits(),
  ) {}

  streamCounters(): StreamCounters {
    return { ...this.counters, inboundOpen: this.inbound.size }
  }

  /** @internal The hooks one side of a stream of ours reports to. */
  streamHooks(inbound: boolean): StreamSideHooks {
    return {
      idleTimeoutMs: this.limits.idleTimeoutMs,
      onDeadline: () => void this.counters.deadlinesExpired++,
      onIdle: () => void this.counters.idleTimeouts++,
      onDone: (side) => void (inbound && this.inbound.delete(side)),
    }
  }

  sendPacket(to: TransportAddress, bytes: Uint8Array): SendOutcome {
    if (this.closed) return 'closed'
    // A host that is down sends nothing (the simulator also stops its actors).
    if (this.network.isDown(this.localAddress)) return 'sent'
    return this.network.sendPacket(this.localAddress, to, bytes)
  }

  onPacket(handler: (packet: InboundPacket) => void): void {
    this.packetHandler = handler
  }

  onStream(handler: (stream: Stream) => void): void {
    this.streamHandler = handler
  }

  /** Promise form of dialCallback (for code that is not stepped synchronously). */
  dial(to: TransportAddress, timeoutMs: number): Promise<Stream> {
    return new Promise((resolve, reject) => this.dialCallback(to, timeoutMs, (err, s) => (err === undefined ? resolve(s!) : reject(err))))
  }

  /** Opens a stream; `cb` runs on the network's clock when it is open or has failed. */
  dialCallback(to: TransportAddress, timeoutMs: number, cb: (err: TransportError | undefined, stream?: Stream) => void): void {
    if (this.closed) {
      this.network.clock.setTimeout(() => cb(new TransportError('ERR_TRANSPORT_CLOSED', 'transport closed')), 0)
      return
    }
    this.network.dial(this, to, timeoutMs, cb)
  }

  close(): void {
    this.closed = true
  }

  isClosed(): boolean {
    return this.closed
  }

  /** @internal */
  receive(p: InboundPacket): void {
    if (this.packetHandler === undefined) {
      this.unhandledPackets++
      return
    }
    this.packetHandler(p)
  }

  /** @internal */
  acceptStream(s: MemoryStream): void {
    if (this.closed || this.streamHandler === undefined || this.inbound.size >= this.limits.maxInboundStreams) {
      this.counters.inboundRefused++
      s.close()
      return
    }
    if (!s.isOver()) this.inbound.add(s)
    this.streamHandler(s)
  }
}
export { MemoryStream } from './memory-stream.ts'
