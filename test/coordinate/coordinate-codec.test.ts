import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  CoordinateError,
  coordinatePayloadSize,
  createCoordinateConfig,
  decodeCoordinatePayload,
  encodeCoordinatePayload,
  newCoordinate,
  PAYLOAD_SLACK_BYTES,
} from '../../src/coordinate/index.ts'
import type { Coordinate } from '../../src/coordinate/index.ts'
import { MsgpackWriter } from '../../src/wire/msgpack/writer.ts'
import { capturedAcks } from './captured.ts'

const D8 = { dimensionality: 8 }
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const codeOf = (fn: () => unknown): string => {
  try {
    fn()
  } catch (err) {
    if (err instanceof CoordinateError) return err.code
    throw err
  }
  throw new Error('did not throw')
}

/** A payload written by hand: version byte, then a map of the given entries in the given order. */
function payload(entries: Array<[string, (w: MsgpackWriter) => void]>, version = 1): Uint8Array {
  const w = new MsgpackWriter(64)
  w.byte(version)
  w.mapHeader(entries.length)
  for (const [k, write] of entries) {
    w.string(k)
    write(w)
  }
  return w.finish()
}
const floats = (values: number[]) => (w: MsgpackWriter) => {
  w.arrayHeader(values.length)
  for (const v of values) w.float64(v)
}
const f64 = (v: number) => (w: MsgpackWriter) => w.float64(v)

describe('coordinate codec', () => {
  const acks = capturedAcks()

  it('re-encodes every coordinate captured from Serf 0.9.4 agents byte for byte', () => {
    expect(acks.length).toBeGreaterThanOrEqual(20)
    for (const a of acks) {
      const c = decodeCoordinatePayload(a.payload, D8)!
      expect(hex(encodeCoordinatePayload(c)), a.id).toBe(hex(a.payload))
      expect(a.payload.length).toBe(coordinatePayloadSize(8))
    }
  })

  it("writes a fresh coordinate exactly as a fresh agent's ack carries it (130 bytes)", () => {
    const fresh = acks.find((a) => a.id === 'plain-06')!
    expect(hex(encodeCoordinatePayload(newCoordinate(createCoordinateConfig())))).toBe(hex(fresh.payload))
    expect(hex(fresh.payload)).toBe(
      '0184aa41646a7573746d656e74cb0000000000000000a54572726f72cb3ff8000000000000a6486569676874cb3ee4f8b588e368f1a356656398' + 'cb0000000000000000'.repeat(8),
    )
  })

  it('has no coordinate in a nil or empty payload (a peer need not send one)', () => {
    expect(decodeCoordinatePayload(null, D8)).toBeNull()
    expect(decodeCoordinatePayload(new Uint8Array(0), D8)).toBeNull()
  })

  it('accepts what Go accepts: any key order, ints for floats, unknown keys skipped, missing fields zero', () => {
    const p = payload([
      ['Vec', (w) => {
        w.arrayHeader(2)
        w.int(1)
        w.float64(-0.5)
      }],
      ['Height', (w) => w.int(0)],
      ['Future', (w) => w.string('skipped')],
      ['Error', (w) => w.uint(1)],
    ])
    expect(decodeCoordinatePayload(p, { dimensionality: 2 })).toEqual({ Vec: [1, -0.5], Error: 1, Adjustment: 0, Height: 0 })
  })

  // [name, payload, dimensionality, code]
  const bad: Array<[string, Uint8Array, number, string]> = [
    ['another version byte', payload([['Vec', floats([0, 0])]], 2), 2, 'ERR_COORDINATE_VERSION'],
    ['a version byte alone', Uint8Array.of(1), 2, 'ERR_COORDINATE_MALFORMED'],
    ['an array instead of a map', Uint8Array.of(1, 0x92, 0, 0), 2, 'ERR_COORDINATE_MALFORMED'],
    ['a truncated float', payload([['Vec', floats([0, 0])]]).subarray(0, 12), 2, 'ERR_COORDINATE_MALFORMED'],
    ['a string where a float goes', payload([['Error', (w) => w.string('1.5')], ['Vec', floats([0, 0])]]), 2, 'ERR_COORDINATE_MALFORMED'],
    ['an array claiming 2^32 − 1 entries', payload([['Vec', (w) => w.raw(Uint8Array.of(0xdd, 0xff, 0xff, 0xff, 0xff))]]), 2, 'ERR_COORDINATE_MALFORMED'],
    ['a Vec of the wrong length', payload([['Vec', floats([0, 0, 0])]]), 2, 'ERR_COORDINATE_DIMENSION'],
    ['no Vec', payload([['Error', f64(1)]]), 2, 'ERR_COORDINATE_DIMENSION'],
    ['a NaN in Vec', payload([['Vec', floats([0, NaN])]]), 2, 'ERR_COORDINATE_INVALID'],
    ['an infinite Error', payload([['Error', f64(Infinity)], ['Vec', floats([0, 0])]]), 2, 'ERR_COORDINATE_INVALID'],
    ['a NaN Height', payload([['Height', f64(NaN)], ['Vec', floats([0, 0])]]), 2, 'ERR_COORDINATE_INVALID'],
    ['a huge Vec', payload([['Vec', floats(new Array<number>(80).fill(0))]]), 8, 'ERR_COORDINATE_TOO_LARGE'],
  ]
  for (const [name, bytes, dimensionality, code] of bad) {
    it(`refuses ${name} with ${code}`, () => {
      expect(codeOf(() => decodeCoordinatePayload(bytes, { dimensionality }))).toBe(code)
    })
  }

  it('names the wire codec failure under a malformed payload', () => {
    try {
      decodeCoordinatePayload(Uint8Array.of(1, 0x81, 0xa3, 0x56, 0x65, 0x63, 0x92, 0xcb), { dimensionality: 2 })
      expect.unreachable()
    } catch (err) {
      expect(err).toMatchObject({ code: 'ERR_COORDINATE_MALFORMED', details: { wireCode: 'ERR_WIRE_TRUNCATED' } })
    }
  })

  it('refuses an over-long payload by its length, before reading it', () => {
    const max = coordinatePayloadSize(8) + PAYLOAD_SLACK_BYTES
    const tooLong = new Uint8Array(max + 1)
    tooLong[0] = 1
    expect(codeOf(() => decodeCoordinatePayload(tooLong, D8))).toBe('ERR_COORDINATE_TOO_LARGE')
    // one byte less is parsed (and is garbage: a map header of 0 entries, then zeros, gives no Vec)
    tooLong[1] = 0x80
    expect(codeOf(() => decodeCoordinatePayload(tooLong.subarray(0, max), D8))).toBe('ERR_COORDINATE_DIMENSION')
  })

  it('refuses to encode a coordinate we must not send', () => {
    const fresh = newCoordinate(createCoordinateConfig())
    expect(codeOf(() => encodeCoordinatePayload({ ...fresh, Error: NaN }))).toBe('ERR_COORDINATE_INVALID')
    expect(codeOf(() => encodeCoordinatePayload({ ...fresh, Vec: [Infinity, ...fresh.Vec.slice(1)] }))).toBe('ERR_COORDINATE_INVALID')
  })

  const finite = fc.double({ noNaN: true, noDefaultInfinity: true })
  const coordinate = (dims: number): fc.Arbitrary<Coordinate> =>
    fc.record({ Vec: fc.array(finite, { minLength: dims, maxLength: dims }), Error: finite, Adjustment: finite, Height: finite })

  it('round-trips any finite coordinate of 1 to 20 dimensions, at the size Go writes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }).chain((d) => coordinate(d)),
        (c) => {
          const bytes = encodeCoordinatePayload(c)
          expect(bytes.length).toBe(coordinatePayloadSize(c.Vec.length))
          expect(decodeCoordinatePayload(bytes, { dimensionality: c.Vec.length })).toEqual(c)
        },
      ),
      { seed: 12, numRuns: 500 },
    )
  })

  it('gives a valid coordinate or a CoordinateError for any bytes and any damage to a real payload', () => {
    const real = acks.map((a) => a.payload)
    const damaged = fc
      .tuple(fc.constantFrom(...real), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat())
      .map(([p, edits, cut]) => {
        const out = p.slice(0, p.length - (cut % 8))
        for (const [at, v] of edits) out[at % out.length] = v
        return out
      })
    const input = fc.oneof(damaged, fc.uint8Array({ maxLength: 700 }), fc.uint8Array({ maxLength: 40 }).map((b) => Uint8Array.of(1, ...b)))
    fc.assert(
      fc.property(input, (bytes) => {
        let c: Coordinate | null
        try {
          c = decodeCoordinatePayload(bytes, D8)
        } catch (err) {
          expect(err).toBeInstanceOf(CoordinateError)
          return
        }
        if (c === null) {
          expect(bytes.length).toBe(0)
          return
        }
        expect(c.Vec).toHaveLength(8)
        expect([...c.Vec, c.Error, c.Adjustment, c.Height].every(Number.isFinite)).toBe(true)
      }),
      { seed: 34, numRuns: 3000 },
    )
  })
})
