/**
 * Vivaldi network coordinates as Serf computes and sends them (spec §7): a pure library, no I/O,
 * randomness injected. swim feeds the client with each probe's RTT and the coordinate in the ack,
 * and answers pings with ours; the node facade estimates RTTs between members from them.
 */
export { createCoordinateConfig, validateCoordinateConfig, DEFAULT_COORDINATE_CONFIG, MAX_DIMENSIONALITY } from './config.ts'
export type { CoordinateConfig, CoordinateInit } from './config.ts'
export {
  applyForce,
  cloneCoordinate,
  distanceNs,
  distanceSeconds,
  estimateRttMs,
  isCompatible,
  isValidCoordinate,
  newCoordinate,
  nsToSeconds,
  rawDistance,
  unitVectorAt,
  ZERO_THRESHOLD,
} from './coordinate.ts'
export type { Coordinate } from './coordinate.ts'
export { coordinatePayloadSize, decodeCoordinatePayload, encodeCoordinatePayload, PAYLOAD_SLACK_BYTES, PING_VERSION } from './coordinate-codec.ts'
export { COORDINATE_ERROR_CODES, CoordinateError } from './errors.ts'
export type { CoordinateErrorCode } from './errors.ts'
export { LatencyFilter } from './latency-filter.ts'
export { MAX_RTT_MS, VivaldiClient } from './vivaldi-client.ts'
export type { CoordinateUpdate, VivaldiStats } from './vivaldi-client.ts'
export { PeerCoordinates } from './peer-coordinates.ts'
export { NetworkCoordinates } from './network-coordinates.ts'
export type { NetworkCoordinateStats, PingOutcome } from './network-coordinates.ts'
