/**
 * The coordinate as Serf's ping delegate puts it in an ack's Payload (spec §7):
 * `[0x01 = PingVersion][msgpack Coordinate]`, the Coordinate a map of Go's field names in sorted
 * order (Adjustment, Error, Height, Vec), every float as float64 (0xcb) and Vec an array of them.
 * Written by the project's schema-driven codec (src/wire), so the bytes are the ones Go writes;
 * test/coordinate checks them against acks captured from real agents.
 *
 * Decoding is bounded and strict about what the client could not use anyway: an over-long payload
 * is refused before parsing, then a wrong version byte, undecodable msgpack, a Vec of the wrong
 * length and a NaN or infinite component each give a CoordinateError. As Go's decoder does, it
 * accepts integer-valued floats written as ints, keys in any order, skips unknown keys and leaves
 * missing fields at zero (a missing Vec is then a dimension error); bytes after the map are ignored.
 */
import { COORDINATE_SCHEMA, PING_VERSION } from '../wire/coordinate.ts'
import { WireCodecError } from '../wire/errors.ts'
import { MsgpackReader } from '../wire/msgpack/reader.ts'
import { MsgpackWriter } from '../wire/msgpack/writer.ts'
import { decodeStruct, encodeStruct } from '../wire/schema.ts'
import type { Struct } from '../wire/schema.ts'
import { isValidCoordinate } from './coordinate.ts'
import type { Coordinate } from './coordinate.ts'
import { CoordinateError } from './errors.ts'

export { PING_VERSION }

/** Field keys as Go writes them: 1-byte fixstr header + name. */
const KEY_BYTES = 1 + 'Adjustment'.length + 1 + 'Error'.length + 1 + 'Height'.length + 1 + 'Vec'.length
const FLOAT_BYTES = 9

/** Exact size of the payload Go writes for a coordinate of `dimensionality` entries (130 bytes for 8). */
export function coordinatePayloadSize(dimensionality: number): number {
  const arrayHeader = dimensionality < 16 ? 1 : 3
  return 1 + 1 + KEY_BYTES + 3 * FLOAT_BYTES + arrayHeader + dimensionality * FLOAT_BYTES
}

/**
 * Slack over the canonical size that a decoder accepts (bytes): room for another encoder's longer
 * headers (map16, str8 keys) and for a field a newer Serf might add, while a Vec claiming more than
 * ~57 extra entries is refused before any of it is read.
 */
export const PAYLOAD_SLACK_BYTES = 512

/** Our coordinate as an ack payload. Throws CoordinateError for a coordinate we must not send (NaN, infinite). */
export function encodeCoordinatePayload(c: Coordinate): Uint8Array {
  if (!isValidCoordinate(c)) throw new CoordinateError('ERR_COORDINATE_INVALID', 'refusing to encode a coordinate with a NaN or infinite component')
  const w = new MsgpackWriter(coordinatePayloadSize(c.Vec.length))
  w.byte(PING_VERSION)
  encodeStruct(w, COORDINATE_SCHEMA, { Vec: c.Vec, Error: c.Error, Adjustment: c.Adjustment, Height: c.Height } as unknown as Struct)
  return w.finish()
}

/**
 * The coordinate in an ack payload, or null when there is none (a nil or empty Payload: peers need
 * not send one, and Serf ignores that silently). Throws CoordinateError for anything else unusable.
 */
export function decodeCoordinatePayload(payload: Uint8Array | null, options: { dimensionality: number }): Coordinate | null {
  if (payload === null || payload.length === 0) return null
  const { dimensionality } = options
  const maxBytes = coordinatePayloadSize(dimensionality) + PAYLOAD_SLACK_BYTES
  if (payload.length > maxBytes) {
    throw new CoordinateError('ERR_COORDINATE_TOO_LARGE', `coordinate payload of ${payload.length} bytes; at most ${maxBytes} for ${dimensionality} dimensions`, {
      details: { size: payload.length, maxBytes },
    })
  }
  if (payload[0] !== PING_VERSION) {
    throw new CoordinateError('ERR_COORDINATE_VERSION', `unknown ping payload version ${payload[0]}; expected ${PING_VERSION}`, { details: { version: payload[0] } })
  }
  let decoded: Struct
  try {
    decoded = decodeStruct(new MsgpackReader(payload, 1), COORDINATE_SCHEMA)
  } catch (err) {
    if (!(err instanceof WireCodecError)) throw err
    throw new CoordinateError('ERR_COORDINATE_MALFORMED', `coordinate payload: ${err.message}`, { cause: err, details: { wireCode: err.code } })
  }
  const c = decoded as unknown as Coordinate
  if (c.Vec.length !== dimensionality) {
    throw new CoordinateError('ERR_COORDINATE_DIMENSION', `coordinate has ${c.Vec.length} dimensions; expected ${dimensionality}`, {
      details: { expected: dimensionality, got: c.Vec.length },
    })
  }
  if (!isValidCoordinate(c)) throw new CoordinateError('ERR_COORDINATE_INVALID', 'coordinate has a NaN or infinite component')
  return c
}
