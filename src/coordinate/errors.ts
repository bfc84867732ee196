/**
 * Coded errors of the Vivaldi coordinate library. A coordinate or an RTT sample a peer sent that
 * the client cannot use is refused with one of these (and counted in the client's stats), never
 * applied; across threads only `{ code, message }` survives, so callers match on `code`. Codes are
 * stable once published.
 */
import { ClusterError } from '../errors/cluster-error.ts'

export const COORDINATE_ERROR_CODES = [
  /** The coordinate's Vec length differs from the configured dimensionality (Serf: "dimensions aren't compatible"). */
  'ERR_COORDINATE_DIMENSION',
  /** A component (Vec entry, Error, Adjustment or Height) is NaN or infinite, or not a number at all. */
  'ERR_COORDINATE_INVALID',
  /** An RTT sample is negative, above 10 s (Serf's bound) or not a number. */
  'ERR_COORDINATE_RTT_RANGE',
  /** A ping-delegate payload whose first byte is not PingVersion 1. */
  'ERR_COORDINATE_VERSION',
  /** A payload whose msgpack body does not decode as a Coordinate (the wire codec's code is in details.wireCode). */
  'ERR_COORDINATE_MALFORMED',
  /** A payload longer than any coordinate of the configured dimensionality could need (refused before parsing). */
  'ERR_COORDINATE_TOO_LARGE',
] as const

export type CoordinateErrorCode = (typeof COORDINATE_ERROR_CODES)[number]

/** Thrown (or returned in a rejected update) when a coordinate, payload or RTT sample cannot be used. */
export class CoordinateError extends ClusterError {
  static override name = 'CoordinateError'
  declare readonly code: CoordinateErrorCode
  constructor(code: CoordinateErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options)
  }
}
