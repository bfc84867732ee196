/**
 * Serf's Vivaldi client (spec §7): our own coordinate, moved by every RTT sample to a peer whose
 * coordinate came with the ack. One update is, in order:
 *
 * 1. checks: the peer's coordinate has our dimensionality and finite components, and the RTT lies
 *    in [0, 10 s] (a zero RTT is accepted and counted, as Serf does: coarse clocks produce them);
 * 2. the peer's latency filter: the median of its last 3 samples replaces the sample;
 * 3. Vivaldi: with weight w = ours / (ours + theirs) of the Errors and the relative error
 *    e = |dist − rtt| / rtt, Error ← ce·w·e + Error·(1 − ce·w), capped at vivaldiErrorMax; then the
 *    position moves cc·w·(rtt − dist) along the line from the peer (a random direction when the
 *    positions coincide);
 * 4. adjustment: rtt − raw distance goes into a window of 20, Adjustment = window sum / (2 · 20);
 * 5. gravity: a pull towards the origin of (distance to origin / 150 s)², against drift;
 * 6. a coordinate that became NaN or infinite is reset to a fresh one (counted), and the
 *    adjustment window emptied (unlike Serf, see update()).
 *
 * Randomness (the direction in step 3) comes from the injected source, so a seeded run repeats.
 */
import type { RandomSource } from '../types/random.ts'
import type { CoordinateConfig } from './config.ts'
import { applyForce, cloneCoordinate, distanceSeconds, isValidCoordinate, newCoordinate, nsToSeconds, rawDistance, ZERO_THRESHOLD } from './coordinate.ts'
import type { Coordinate } from './coordinate.ts'
import { CoordinateError } from './errors.ts'
import { LatencyFilter } from './latency-filter.ts'

/** Serf refuses RTT samples above this (ms): no real round trip takes 10 s, a clock jump can. */
export const MAX_RTT_MS = 10_000

export type CoordinateUpdate =
  | { type: 'updated'; coordinate: Coordinate; /** The update left the coordinate invalid, so it was reset. */ reset: boolean }
  | { type: 'rejected'; error: CoordinateError }

/** Counters of the client (plain data, for an actor's snapshot). */
export interface VivaldiStats {
  /** Samples applied. */
  updates: number
  /** Samples refused: peer coordinate of another dimensionality. */
  rejectedDimension: number
  /** Samples refused: peer coordinate with a NaN or infinite component. */
  rejectedInvalid: number
  /** Samples refused: RTT negative, above MAX_RTT_MS or not a number. */
  rejectedRtt: number
  /** Samples applied with an RTT of 0 (Serf's serf.coordinate.zero-rtt). */
  zeroRtt: number
  /** Updates that left our coordinate invalid, so it was reset to a fresh one (Serf's Resets). */
  resets: number
  /** Peers whose latency samples were dropped to stay within maxPeers. */
  filterEvictions: number
  /** Peers with latency samples now. */
  filterNodes: number
}

export class VivaldiClient {
  private coord: Coordinate
  private readonly origin: Coordinate
  /** (rtt − raw distance) samples, seconds; a ring of adjustmentWindowSize, zeros until filled. */
  private readonly adjustmentSamples: number[]
  private adjustmentIndex = 0
  private readonly filter: LatencyFilter
  private readonly counts = { updates: 0, rejectedDimension: 0, rejectedInvalid: 0, rejectedRtt: 0, zeroRtt: 0, resets: 0 }

  /** @param config a validated config (createCoordinateConfig) */
  constructor(
    private readonly config: CoordinateConfig,
    private readonly random: Pick<RandomSource, 'next'>,
  ) {
    this.coord = newCoordinate(config)
    this.origin = newCoordinate(config)
    this.adjustmentSamples = new Array<number>(config.adjustmentWindowSize).fill(0)
    this.filter = new LatencyFilter(config.latencyFilterSize, config.maxPeers)
  }

  /** Our coordinate (a copy): what our acks carry. */
  get coordinate(): Coordinate {
    return cloneCoordinate(this.coord)
  }

  /** Replaces our coordinate (e.g. one kept from before a restart). Throws CoordinateError if unusable. */
  setCoordinate(c: Coordinate): void {
    const error = this.check(c)
    if (error !== null) throw error
    this.coord = cloneCoordinate(c)
  }

  /**
   * Applies one RTT sample to `node`, whose ack carried `other`. `rttMs` is in milliseconds and is
   * taken in whole nanoseconds (Go's time.Duration). A refused sample changes nothing but a counter.
   */
  update(node: string, other: Coordinate, rttMs: number): CoordinateUpdate {
    const error = this.check(other)
    if (error !== null) {
      if (error.code === 'ERR_COORDINATE_DIMENSION') this.counts.rejectedDimension++
      else this.counts.rejectedInvalid++
      return { type: 'rejected', error }
    }
    if (typeof rttMs !== 'number' || !(rttMs >= 0 && rttMs <= MAX_RTT_MS)) {
      this.counts.rejectedRtt++
      return {
        type: 'rejected',
        error: new CoordinateError('ERR_COORDINATE_RTT_RANGE', `round trip time ${String(rttMs)} ms is not in [0, ${MAX_RTT_MS}] ms`, { details: { rttMs } }),
      }
    }
    const rttNs = Math.round(rttMs * 1e6)
    if (rttNs === 0) this.counts.zeroRtt++
    const rtt = this.filter.add(node, nsToSeconds(rttNs))
    this.updateVivaldi(other, rtt)
    this.updateAdjustment(other, rtt)
    this.updateGravity()
    this.counts.updates++
    let reset = false
    if (!isValidCoordinate(this.coord)) {
      this.counts.resets++
      this.coord = newCoordinate(this.config)
      // The update that broke the coordinate also put a non-finite sample in the adjustment window.
      // Serf keeps it, so its next updates (until the ring overwrites it, up to 20) reset again;
      // starting the window over lets the next sample count.
      this.adjustmentSamples.fill(0)
      this.adjustmentIndex = 0
      reset = true
    }
    return { type: 'updated', coordinate: cloneCoordinate(this.coord), reset }
  }

  /** Forgets `node`'s latency samples (the member was reaped or left). True when there were any. */
  forget(node: string): boolean {
    return this.filter.forget(node)
  }

  /** Estimated RTT from us to the holder of `other`, in seconds. Throws on a dimension mismatch. */
  distanceTo(other: Coordinate): number {
    return distanceSeconds(this.coord, other)
  }

  /** The latency samples kept for `node` (seconds, oldest first). */
  samplesOf(node: string): number[] {
    return this.filter.samplesOf(node)
  }

  stats(): VivaldiStats {
    return { ...this.counts, filterEvictions: this.filter.evictions, filterNodes: this.filter.nodes }
  }

  /** Serf's checkCoordinate: dimensionality first, then validity. */
  private check(c: Coordinate): CoordinateError | null {
    if (typeof c !== 'object' || c === null || !Array.isArray(c.Vec) || c.Vec.length !== this.config.dimensionality) {
      const got = typeof c === 'object' && c !== null && Array.isArray(c.Vec) ? c.Vec.length : null
      return new CoordinateError('ERR_COORDINATE_DIMENSION', `coordinate has ${got ?? 'no'} dimensions; expected ${this.config.dimensionality}`, {
        details: { expected: this.config.dimensionality, got },
      })
    }
    if (!isValidCoordinate(c)) return new CoordinateError('ERR_COORDINATE_INVALID', 'coordinate has a NaN or infinite component')
    return null
  }

  private updateVivaldi(other: Coordinate, rttSeconds: number): void {
    const { vivaldiCE, vivaldiCC, vivaldiErrorMax } = this.config
    const dist = distanceSeconds(this.coord, other)
    const rtt = rttSeconds < ZERO_THRESHOLD ? ZERO_THRESHOLD : rttSeconds
    const wrongness = Math.abs(dist - rtt) / rtt
    let totalError = this.coord.Error + other.Error
    if (totalError < ZERO_THRESHOLD) totalError = ZERO_THRESHOLD
    const weight = this.coord.Error / totalError
    let error = vivaldiCE * weight * wrongness + this.coord.Error * (1 - vivaldiCE * weight)
    if (error > vivaldiErrorMax) error = vivaldiErrorMax
    const force = vivaldiCC * weight * (rtt - dist)
    this.coord = applyForce(this.config, { ...this.coord, Error: error }, force, other, this.random)
  }

  private updateAdjustment(other: Coordinate, rttSeconds: number): void {
    const size = this.config.adjustmentWindowSize
    if (size === 0) return
    // The raw distance: the adjustments being estimated must not feed their own estimate.
    this.adjustmentSamples[this.adjustmentIndex] = rttSeconds - rawDistance(this.coord, other)
    this.adjustmentIndex = (this.adjustmentIndex + 1) % size
    let sum = 0
    for (const s of this.adjustmentSamples) sum += s
    this.coord = { ...this.coord, Adjustment: sum / (2 * size) }
  }

  private updateGravity(): void {
    const ratio = distanceSeconds(this.origin, this.coord) / this.config.gravityRho
    // Go's math.Pow(x, 2) is x·x rounded once, as this is.
    this.coord = applyForce(this.config, this.coord, -(ratio * ratio), this.origin, this.random)
  }
}
