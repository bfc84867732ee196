/**
 * A Vivaldi network coordinate (spec §7) and its geometry, as Serf's coordinate package computes
 * them. Every value is in seconds except Error (dimensionless). Field names are Go's, so a value
 * goes to and from the wire (coordinate-codec.ts) and Serf's RPC as it is.
 *
 * The arithmetic follows Go's operation order (multiply by 1/mag, sums in index order, distances
 * truncated to whole nanoseconds as time.Duration does), so the same inputs give the same bits as
 * a Serf agent: test/coordinate replays updates captured from real agents.
 */
import type { RandomSource } from '../types/random.ts'
import type { CoordinateConfig } from './config.ts'
import { CoordinateError } from './errors.ts'

export interface Coordinate {
  /** Euclidean position (seconds), `dimensionality` entries. */
  readonly Vec: readonly number[]
  /** Confidence in the position: 0 is certain, vivaldiErrorMax (1.5) is a fresh coordinate. */
  readonly Error: number
  /** Offset (seconds) added to every distance: the mean of recent (rtt − raw distance) / 2. */
  readonly Adjustment: number
  /** Non-Euclidean access-link delay (seconds), at least heightMin. */
  readonly Height: number
}

/** Two positions closer than this (seconds, 1 µs) are taken to coincide. Serf's zeroThreshold. */
export const ZERO_THRESHOLD = 1e-6
const NS_PER_SECOND = 1e9

/** A coordinate at the origin with no confidence: where every node starts and what a reset returns to. */
export function newCoordinate(config: Pick<CoordinateConfig, 'dimensionality' | 'vivaldiErrorMax' | 'heightMin'>): Coordinate {
  return { Vec: new Array<number>(config.dimensionality).fill(0), Error: config.vivaldiErrorMax, Adjustment: 0, Height: config.heightMin }
}

export function cloneCoordinate(c: Coordinate): Coordinate {
  return { Vec: [...c.Vec], Error: c.Error, Adjustment: c.Adjustment, Height: c.Height }
}

/** Every component a finite number (Serf's IsValid; also refuses non-numbers and a missing Vec). */
export function isValidCoordinate(c: Coordinate): boolean {
  if (typeof c !== 'object' || c === null || !Array.isArray(c.Vec)) return false
  for (const v of c.Vec) if (typeof v !== 'number' || !Number.isFinite(v)) return false
  return Number.isFinite(c.Error) && Number.isFinite(c.Adjustment) && Number.isFinite(c.Height)
}

/** Same number of dimensions (Serf's IsCompatibleWith). */
export function isCompatible(a: Coordinate, b: Coordinate): boolean {
  return a.Vec.length === b.Vec.length
}

function requireCompatible(a: Coordinate, b: Coordinate): void {
  if (!isCompatible(a, b)) {
    throw new CoordinateError('ERR_COORDINATE_DIMENSION', `coordinates of ${a.Vec.length} and ${b.Vec.length} dimensions cannot be compared`, {
      details: { dimensions: [a.Vec.length, b.Vec.length] },
    })
  }
}

function magnitude(v: readonly number[]): number {
  let sum = 0
  for (const x of v) sum += x * x
  return Math.sqrt(sum)
}

function diff(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(a.length)
  for (let i = 0; i < a.length; i++) out[i] = a[i]! - b[i]!
  return out
}

function scale(v: readonly number[], factor: number): number[] {
  const out = new Array<number>(v.length)
  for (let i = 0; i < v.length; i++) out[i] = v[i]! * factor
  return out
}

/** Distance without the adjustments (seconds): |a − b| plus both heights. Throws on a dimension mismatch. */
export function rawDistance(a: Coordinate, b: Coordinate): number {
  requireCompatible(a, b)
  return magnitude(diff(a.Vec, b.Vec)) + a.Height + b.Height
}

/**
 * Estimated RTT in whole nanoseconds (Serf's DistanceTo, a time.Duration): the raw distance plus
 * both adjustments, unless that sum is not positive (large negative adjustments), in which case
 * the raw distance alone. Truncated toward zero as Go's float-to-Duration conversion does. Past
 * Duration's range (≈292 years) Go wraps around; this keeps the float, so such a value can only
 * end in a reset of the client, never a wrapped distance.
 */
export function distanceNs(a: Coordinate, b: Coordinate): number {
  const raw = rawDistance(a, b)
  const adjusted = raw + a.Adjustment + b.Adjustment
  return Math.trunc((adjusted > 0 ? adjusted : raw) * NS_PER_SECOND)
}

/** A whole number of nanoseconds as seconds, as Go's Duration.Seconds() computes it (whole seconds + the rest / 1e9). */
export function nsToSeconds(ns: number): number {
  const rest = ns % NS_PER_SECOND
  return (ns - rest) / NS_PER_SECOND + rest / NS_PER_SECOND
}

/** distanceNs in seconds (what the update rule works with). */
export function distanceSeconds(a: Coordinate, b: Coordinate): number {
  return nsToSeconds(distanceNs(a, b))
}

/** The estimated round trip between the holders of `a` and `b`, in milliseconds (`serf rtt`'s figure). */
export function estimateRttMs(a: Coordinate, b: Coordinate): number {
  return distanceNs(a, b) / 1e6
}

/**
 * The unit vector pointing from `to` towards `from` (the way `from` moves when pushed away from
 * `to`), and the distance between them. Coinciding positions get a random direction (distance 0):
 * each component uniform in [−0.5, 0.5), from the injected source; should that too be shorter than
 * the threshold, the first axis.
 */
export function unitVectorAt(from: readonly number[], to: readonly number[], random: Pick<RandomSource, 'next'>): { unit: number[]; mag: number } {
  const d = diff(from, to)
  const mag = magnitude(d)
  if (mag > ZERO_THRESHOLD) return { unit: scale(d, 1 / mag), mag }
  for (let i = 0; i < d.length; i++) d[i] = random.next() - 0.5
  const randomMag = magnitude(d)
  if (randomMag > ZERO_THRESHOLD) return { unit: scale(d, 1 / randomMag), mag: 0 }
  const axis = new Array<number>(d.length).fill(0)
  if (axis.length > 0) axis[0] = 1
  return { unit: axis, mag: 0 }
}

/**
 * `c` moved by `force` (seconds; positive pushes away from `other`, negative pulls towards it).
 * When the two positions are apart, the height moves in proportion too, never below heightMin.
 * Error and Adjustment are kept. Throws on a dimension mismatch.
 */
export function applyForce(
  config: Pick<CoordinateConfig, 'heightMin'>,
  c: Coordinate,
  force: number,
  other: Coordinate,
  random: Pick<RandomSource, 'next'>,
): Coordinate {
  requireCompatible(c, other)
  const { unit, mag } = unitVectorAt(c.Vec, other.Vec, random)
  const vec = new Array<number>(c.Vec.length)
  for (let i = 0; i < vec.length; i++) vec[i] = c.Vec[i]! + unit[i]! * force
  let height = c.Height
  if (mag > ZERO_THRESHOLD) height = Math.max(((c.Height + other.Height) * force) / mag + c.Height, config.heightMin)
  return { Vec: vec, Error: c.Error, Adjustment: c.Adjustment, Height: height }
}
