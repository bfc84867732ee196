/**
 * Serf's ack payload (spec §7): `[1 = ping version][msgpack Coordinate]`, Coordinate =
 * {Adjustment, Error, Height, Vec [8]float64}. A peer need not send one (an empty payload is fine).
 */
import { wireError } from './errors.ts'
import { MsgpackReader } from './msgpack/reader.ts'
import { MsgpackWriter } from './msgpack/writer.ts'
import { decodeStruct, defineStruct, encodeStruct } from './schema.ts'
import type { Struct } from './schema.ts'

export const PING_VERSION = 1

export interface Coordinate {
  Vec: number[]
  Error: number
  Adjustment: number
  Height: number
}

const COORDINATE = defineStruct('Coordinate', [
  { name: 'Vec', type: { array: 'f64' } },
  { name: 'Error', type: 'f64' },
  { name: 'Adjustment', type: 'f64' },
  { name: 'Height', type: 'f64' },
])

/** A new Vivaldi coordinate as Serf starts it: 8 zeros, Error 1.5, Height 1e-5. */
export function newCoordinate(): Coordinate {
  return { Vec: new Array<number>(8).fill(0), Error: 1.5, Adjustment: 0, Height: 1e-5 }
}

export function encodeCoordinatePayload(c: Coordinate): Uint8Array {
  const w = new MsgpackWriter(128)
  w.byte(PING_VERSION)
  encodeStruct(w, COORDINATE, c as unknown as Struct)
  return w.finish()
}

/** Decodes an ack payload; null for an empty or absent payload (Serf ignores those). */
export function decodeCoordinatePayload(payload: Uint8Array | null): Coordinate | null {
  if (payload === null || payload.length === 0) return null
  if (payload[0] !== PING_VERSION) throw wireError('ERR_WIRE_UNKNOWN_TYPE', `unknown ping payload version ${payload[0]}`)
  return decodeStruct(new MsgpackReader(payload, 1), COORDINATE) as unknown as Coordinate
}

/** The Coordinate struct's schema, for codecs that add their own bounds (src/coordinate/coordinate-codec.ts). */
export { COORDINATE as COORDINATE_SCHEMA }
