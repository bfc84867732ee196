/**
 * Serf's ping delegate (spec §7): our coordinate goes in every ack we send, and a probe acked
 * directly within probeTimeoutMs feeds the Vivaldi client with its RTT and the peer's coordinate.
 * The ack payload is encoded once per coordinate change, not once per ack.
 */
import { createCoordinateConfig } from '../../src/coordinate/config.ts'
import { NetworkCoordinates } from '../../src/coordinate/network-coordinates.ts'
import { createSeededRandom } from '../../src/types/random.ts'
import type { SwimCountersView } from './counters.ts'

export class PingDelegate {
  /** Our ack payload; undefined: not encoded since the last change; null: ours could not be encoded. */
  private cached: Uint8Array | null | undefined

  constructor(private readonly coordinates: NetworkCoordinates) {}

  /** The Payload of our acks: `[PING_VERSION][msgpack coordinate]` (null if ours cannot be encoded). */
  ackPayload(): Uint8Array | null {
    if (this.cached === undefined) {
      try {
        this.cached = this.coordinates.ackPayload()
      } catch {
        // The client resets a NaN or infinite coordinate, so this guards a bug only: acks go without it.
        this.cached = null
      }
    }
    return this.cached
  }

  /** memberlist NotifyPingComplete: our probe of `node` was acked directly after `rttMs` with `payload`. */
  pingComplete(node: string, payload: Uint8Array | null, rttMs: number, c: SwimCountersView): void {
    const o = this.coordinates.onPingComplete(node, payload, rttMs)
    if (o.type === 'no-coordinate') c.coordinateAcksWithout++
    else if (o.type === 'rejected') {
      c.coordinateRejected++
      c.lastCoordinateError = o.error.code
    } else {
      c.coordinateUpdates++
      if (o.reset) c.coordinateResets++
      this.cached = undefined
    }
  }
}

/**
 * The Vivaldi client of node `name`, on its own seeded stream (from the name, no draw from the
 * node's random source): the client draws only when two positions coincide, and swim's own random
 * sequence stays as it was.
 */
export function coordinatesFor(name: string): NetworkCoordinates {
  return new NetworkCoordinates(name, createCoordinateConfig({}), createSeededRandom(seedOf(name)))
}

/** A 32-bit seed from a node name (FNV-1a): the coordinate client's stream, the same for a name in every run. */
function seedOf(name: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0
  return h
}
