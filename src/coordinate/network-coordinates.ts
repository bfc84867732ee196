/**
 * One node's coordinate subsystem, as Serf's ping delegate runs it (spec §7): our acks carry our
 * coordinate; when one of our probes is acked, the payload's coordinate and the measured RTT update
 * our client, and the peer's coordinate (and our new one) are cached for RTT estimates. What swim
 * calls on each probe and what the node facade asks; pure, randomness injected.
 *
 * - An empty or absent payload is ignored silently (peers need not support coordinates; acks
 *   relayed by an indirect probe and TCP-ping acks never carry one), counted as `payloadsEmpty`.
 * - A payload that does not decode, or a coordinate or RTT the client refuses, is counted by code
 *   and changes nothing (Serf logs it and counts serf.coordinate.rejected).
 */
import type { RandomSource } from '../types/random.ts'
import type { CoordinateConfig } from './config.ts'
import type { Coordinate } from './coordinate.ts'
import { decodeCoordinatePayload, encodeCoordinatePayload } from './coordinate-codec.ts'
import { CoordinateError } from './errors.ts'
import type { CoordinateErrorCode } from './errors.ts'
import { PeerCoordinates } from './peer-coordinates.ts'
import { VivaldiClient } from './vivaldi-client.ts'
import type { VivaldiStats } from './vivaldi-client.ts'

export type PingOutcome =
  | { type: 'no-coordinate' }
  | { type: 'rejected'; error: CoordinateError }
  | { type: 'updated'; coordinate: Coordinate; reset: boolean }

export interface NetworkCoordinateStats extends VivaldiStats {
  /** Acks with no coordinate (ignored, as Serf does). */
  payloadsEmpty: number
  /** Acks whose payload did not decode, by CoordinateError code. */
  payloadsRejected: Partial<Record<CoordinateErrorCode, number>>
  /** Peers with a cached coordinate. */
  cachedPeers: number
  /** Cached coordinates dropped to stay within maxPeers. */
  peerEvictions: number
}

export class NetworkCoordinates {
  private readonly client: VivaldiClient
  private readonly peers: PeerCoordinates
  private payloadsEmpty = 0
  private readonly payloadsRejected: Partial<Record<CoordinateErrorCode, number>> = {}

  /**
   * @param self our node name (our own coordinate is cached under it, so estimates can involve us)
   * @param config a validated config (createCoordinateConfig)
   */
  constructor(
    private readonly self: string,
    private readonly config: CoordinateConfig,
    random: Pick<RandomSource, 'next'>,
  ) {
    this.client = new VivaldiClient(config, random)
    this.peers = new PeerCoordinates(config.maxPeers + 1) // + ourselves
    this.peers.set(self, this.client.coordinate)
  }

  /** Our coordinate. */
  get coordinate(): Coordinate {
    return this.client.coordinate
  }

  /** The Payload of our acks: `[1][msgpack Coordinate]`. */
  ackPayload(): Uint8Array {
    return encodeCoordinatePayload(this.client.coordinate)
  }

  /** A probe of `node` was acked after `rttMs` with `payload` (the ack's Payload, null when nil). */
  onPingComplete(node: string, payload: Uint8Array | null, rttMs: number): PingOutcome {
    let other: Coordinate | null
    try {
      other = decodeCoordinatePayload(payload, this.config)
    } catch (err) {
      if (!(err instanceof CoordinateError)) throw err
      this.payloadsRejected[err.code] = (this.payloadsRejected[err.code] ?? 0) + 1
      return { type: 'rejected', error: err }
    }
    if (other === null) {
      this.payloadsEmpty++
      return { type: 'no-coordinate' }
    }
    const result = this.client.update(node, other, rttMs)
    if (result.type === 'rejected') return result
    this.peers.set(node, other)
    this.peers.set(this.self, result.coordinate)
    return result
  }

  /** Forgets `node` (reaped or left): its latency samples and its coordinate. */
  forget(node: string): void {
    if (node === this.self) return
    this.client.forget(node)
    this.peers.forget(node)
  }

  /** The last coordinate heard from `node` (ours for our own name), or undefined. */
  coordinateOf(node: string): Coordinate | undefined {
    return this.peers.get(node)
  }

  /** Estimated RTT between two members (either may be us) in ms, or null when a coordinate is unknown. */
  estimateRttMs(a: string, b: string): number | null {
    return this.peers.estimateRttMs(a, b)
  }

  stats(): NetworkCoordinateStats {
    return {
      ...this.client.stats(),
      payloadsEmpty: this.payloadsEmpty,
      payloadsRejected: { ...this.payloadsRejected },
      cachedPeers: this.peers.size - 1,
      peerEvictions: this.peers.evictions,
    }
  }
}
