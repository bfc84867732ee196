/**
 * The counters of a MemoryNetwork: network-wide totals (packets and bytes sent and delivered,
 * drops by reason, streams opened and failed, stream bytes) and the same per endpoint. Separate
 * from memory-network.ts so the carrier says what happened to a packet in one call, and what a
 * test or the simulator reads (`stats()`, `endpointStats()`) is defined in one place. Counts only;
 * the trace of each event is the network's.
 */
import type { TransportAddress } from './transport.ts'

export type DropReason = 'loss' | 'partition' | 'down' | 'mtu' | 'unknown' | 'closed'

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

const newEndpointStats = (): EndpointStats => ({ packetsSent: 0, bytesSent: 0, packetsReceived: 0, bytesReceived: 0, streamsOpened: 0, streamBytesSent: 0, streamBytesReceived: 0 })

export class NetworkCounters {
  /** Per address ever bound; kept after its transport closes, so a restarted node's counts add up. */
  private readonly perEndpoint = new Map<TransportAddress, EndpointStats>()
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

  /** Starts counting for `address` (a no-op when it was bound before). */
  addEndpoint(address: TransportAddress): void {
    if (!this.perEndpoint.has(address)) this.perEndpoint.set(address, newEndpointStats())
  }

  /** A packet accepted for sending (within the MTU), whatever happens to it next. */
  sent(from: TransportAddress, bytes: number): void {
    this.totals.packetsSent++
    this.totals.bytesSent += bytes
    const src = this.perEndpoint.get(from)
    if (src !== undefined) {
      src.packetsSent++
      src.bytesSent += bytes
    }
  }

  delivered(to: TransportAddress, bytes: number): void {
    this.totals.packetsDelivered++
    this.totals.bytesDelivered += bytes
    const dst = this.perEndpoint.get(to)
    if (dst !== undefined) {
      dst.packetsReceived++
      dst.bytesReceived += bytes
    }
  }

  dropped(reason: DropReason): void {
    this.totals.dropped[reason]++
  }

  streamOpened(from: TransportAddress): void {
    this.totals.streamsOpened++
    const stats = this.perEndpoint.get(from)
    if (stats !== undefined) stats.streamsOpened++
  }

  streamFailed(): void {
    this.totals.streamsFailed++
  }

  streamBytes(from: TransportAddress, to: TransportAddress, n: number): void {
    this.totals.streamBytes += n
    const a = this.perEndpoint.get(from)
    if (a !== undefined) a.streamBytesSent += n
    const b = this.perEndpoint.get(to)
    if (b !== undefined) b.streamBytesReceived += n
  }

  stats(): NetworkStats {
    return { ...this.totals, dropped: { ...this.totals.dropped } }
  }

  endpointStats(address: TransportAddress): EndpointStats {
    return { ...(this.perEndpoint.get(address) ?? newEndpointStats()) }
  }
}
