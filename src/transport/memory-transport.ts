/**
 * MemoryTransport: one endpoint of a MemoryNetwork, the Transport a node under simulation is given.
 * It owns what is per endpoint: its packet and stream handlers, its closed flag, the inbound
 * streams that count against `maxInboundStreams`, and its stream counters. Separate from
 * memory-network.ts because a node sees only this (the same interface NetTransport gives it on
 * real sockets), while the network is what a scenario drives.
 */
import type { InboundPacket, SendOutcome, Stream, StreamCounters, StreamLimits, Transport, TransportAddress } from './transport.ts'
import { createStreamLimits, TransportError } from './transport.ts'
import type { MemoryStream, StreamSideHooks } from './memory-stream.ts'

/** What an endpoint needs from its network (MemoryNetwork). */
export interface EndpointNetwork {
  readonly clock: { setTimeout(fn: () => void, ms: number): unknown }
  sendPacket(from: TransportAddress, to: TransportAddress, bytes: Uint8Array): SendOutcome
  dial(from: MemoryTransport, to: TransportAddress, timeoutMs: number, cb: (err: TransportError | undefined, stream?: Stream) => void): void
  isDown(address: TransportAddress): boolean
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
    private readonly network: EndpointNetwork,
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
