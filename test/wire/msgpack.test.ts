import { describe, expect, it } from 'vitest'
import { MsgpackWriter } from '../../src/wire/msgpack/writer.ts'
import { MsgpackReader } from '../../src/wire/msgpack/reader.ts'
import { fromHex, toHex } from '../../src/wire/hex.ts'
import { codeOf } from './helpers.ts'
import { measureHeader } from '../../src/wire/msgpack/measure.ts'

function hexOf(fn: (w: MsgpackWriter) => void): string {
  const w = new MsgpackWriter(4)
  fn(w)
  return toHex(w.finish())
}

function reader(hex: string): MsgpackReader {
  return new MsgpackReader(fromHex(hex))
}

describe('wire - msgpack - writer', () => {
  it('writes unsigned integers in the smallest form', () => {
    const table: Array<[number | bigint, string]> = [
      [0, '00'],
      [127, '7f'],
      [128, 'cc80'],
      [255, 'ccff'],
      [256, 'cd0100'],
      [17946, 'cd461a'],
      [65535, 'cdffff'],
      [65536, 'ce00010000'],
      [3_000_000_000, 'ceb2d05e00'],
      [0xffffffff, 'ceffffffff'],
      [0x100000000, 'cf0000000100000000'],
      [2n ** 64n - 1n, 'cfffffffffffffffff'],
      [2n ** 53n + 1n, 'cf0020000000000001'],
    ]
    for (const [v, hex] of table) expect(hexOf((w) => w.uint(v)), String(v)).toBe(hex)
  })

  it('writes non-negative signed values with the unsigned forms and negatives compactly', () => {
    const table: Array<[number | bigint, string]> = [
      [5, '05'],
      [200, 'ccc8'],
      [-1, 'ff'],
      [-32, 'e0'],
      [-33, 'd0df'],
      [-128, 'd080'],
      [-129, 'd1ff7f'],
      [-32768, 'd18000'],
      [-32769, 'd2ffff7fff'],
      [-(2 ** 31), 'd280000000'],
      [-(2 ** 31) - 1, 'd3ffffffff7fffffff'],
      [-(2n ** 63n), 'd38000000000000000'],
      [3_000_000_000n, 'ceb2d05e00'],
    ]
    for (const [v, hex] of table) expect(hexOf((w) => w.int(v)), String(v)).toBe(hex)
  })

  it('writes strings and bytes in the old raw family only (never str8 or bin)', () => {
    expect(hexOf((w) => w.string(''))).toBe('a0')
    expect(hexOf((w) => w.string('py'))).toBe('a27079')
    expect(hexOf((w) => w.string('x'.repeat(31)))).toBe('bf' + '78'.repeat(31))
    expect(hexOf((w) => w.string('x'.repeat(32)))).toBe('da0020' + '78'.repeat(32))
    expect(hexOf((w) => w.string('é'))).toBe('a2c3a9')
    expect(hexOf((w) => w.bytes(new Uint8Array(40)))).toBe('da0028' + '00'.repeat(40))
    expect(hexOf((w) => w.bytes(new Uint8Array(70000))).slice(0, 10)).toBe('db00011170')
    expect(hexOf((w) => w.bytes(Uint8Array.of(127, 0, 0, 1)))).toBe('a47f000001')
  })

  it('writes containers, nil, bools and float64 as Go does', () => {
    expect(hexOf((w) => w.mapHeader(3))).toBe('83')
    expect(hexOf((w) => w.mapHeader(16))).toBe('de0010')
    expect(hexOf((w) => w.arrayHeader(15))).toBe('9f')
    expect(hexOf((w) => w.arrayHeader(512))).toBe('dc0200')
    expect(hexOf((w) => w.arrayHeader(70000))).toBe('dd00011170')
    expect(hexOf((w) => w.nil())).toBe('c0')
    expect(hexOf((w) => (w.bool(true), w.bool(false)))).toBe('c3c2')
    expect(hexOf((w) => w.float64(1.5))).toBe('cb3ff8000000000000')
    expect(hexOf((w) => w.float64(0))).toBe('cb0000000000000000')
  })

  it('refuses values that do not fit', () => {
    expect(codeOf(() => new MsgpackWriter().uint(-1))).toBe('ERR_WIRE_ENCODE')
    expect(codeOf(() => new MsgpackWriter().uint(2n ** 64n))).toBe('ERR_WIRE_ENCODE')
    expect(codeOf(() => new MsgpackWriter().uint(2 ** 60))).toBe('ERR_WIRE_ENCODE')
    expect(codeOf(() => new MsgpackWriter().int(-(2n ** 63n) - 1n))).toBe('ERR_WIRE_ENCODE')
  })
})

describe('wire - msgpack - reader', () => {
  it('reads strings from fixstr, str8, str16 and str32 but refuses bin', () => {
    expect(reader('a27079').string()).toBe('py')
    expect(reader('d9027079').string()).toBe('py')
    expect(reader('da00027079').string()).toBe('py')
    expect(reader('db000000027079').string()).toBe('py')
    expect(reader('c0').string()).toBe('')
    expect(codeOf(() => reader('c4027079').string())).toBe('ERR_WIRE_TYPE_MISMATCH')
    expect(codeOf(() => reader('02').string())).toBe('ERR_WIRE_TYPE_MISMATCH')
  })

  it('reads byte fields from raw, str8, bin and arrays of small ints; nil is null', () => {
    const want = Uint8Array.of(127, 0, 0, 1)
    expect(reader('a47f000001').bytes()).toEqual(want)
    expect(reader('d9047f000001').bytes()).toEqual(want)
    expect(reader('c4047f000001').bytes()).toEqual(want)
    expect(reader('c500047f000001').bytes()).toEqual(want)
    expect(reader('c6000000047f000001').bytes()).toEqual(want)
    expect(reader('947f000001').bytes()).toEqual(want)
    expect(reader('c0').bytes()).toBeNull()
    expect(codeOf(() => reader('91cd0100').bytes())).toBe('ERR_WIRE_INT_RANGE')
  })

  it('reads every integer width, checking overflow and sign', () => {
    expect(reader('17').uint(32)).toBe(23)
    expect(reader('cc17').uint(32)).toBe(23)
    expect(reader('cd0017').uint(32)).toBe(23)
    expect(reader('ce00000017').uint(32)).toBe(23)
    expect(reader('cf0000000000000017').uint(32)).toBe(23)
    expect(reader('d017').uint(32)).toBe(23)
    expect(reader('d30000000000000017').uint(32)).toBe(23)
    expect(reader('c0').uint(32)).toBe(0)
    expect(codeOf(() => reader('cd0100').uint(8))).toBe('ERR_WIRE_INT_RANGE')
    expect(codeOf(() => reader('cf0000000100000000').uint(32))).toBe('ERR_WIRE_INT_RANGE')
    expect(codeOf(() => reader('ff').uint(32))).toBe('ERR_WIRE_INT_RANGE')
    expect(codeOf(() => reader('ff').u64())).toBe('ERR_WIRE_INT_RANGE')
    expect(codeOf(() => reader('cb3ff0000000000000').uint(32))).toBe('ERR_WIRE_TYPE_MISMATCH')
    expect(reader('cfffffffffffffffff').u64()).toBe(2n ** 64n - 1n)
    expect(reader('cf0020000000000001').u64()).toBe(2n ** 53n + 1n)
    expect(reader('d38000000000000000').i64()).toBe(-(2n ** 63n))
    expect(codeOf(() => reader('cf8000000000000000').i64())).toBe('ERR_WIRE_INT_RANGE')
    expect(codeOf(() => reader('cf0020000000000001').int())).toBe('ERR_WIRE_INT_RANGE')
  })

  it('reads bools from c2/c3, fixint 0/1 and nil', () => {
    expect(reader('c3').bool()).toBe(true)
    expect(reader('01').bool()).toBe(true)
    expect(reader('c2').bool()).toBe(false)
    expect(reader('00').bool()).toBe(false)
    expect(reader('c0').bool()).toBe(false)
    expect(codeOf(() => reader('02').bool())).toBe('ERR_WIRE_TYPE_MISMATCH')
  })

  it('reads floats from float32, float64 and integers', () => {
    expect(reader('cb3ff8000000000000').float64()).toBe(1.5)
    expect(reader('ca3fc00000').float64()).toBe(1.5)
    expect(reader('03').float64()).toBe(3)
    expect(reader('ff').float64()).toBe(-1)
  })

  it('checks declared lengths against the bytes left before allocating', () => {
    expect(codeOf(() => reader('dbffffffff00').bytes())).toBe('ERR_WIRE_TRUNCATED')
    expect(codeOf(() => reader('c6ffffffff00').bytes())).toBe('ERR_WIRE_TRUNCATED')
    expect(codeOf(() => reader('ddffffffff00').arrayHeader())).toBe('ERR_WIRE_TRUNCATED')
    expect(codeOf(() => reader('dfffffffff0000').mapHeader())).toBe('ERR_WIRE_TRUNCATED')
    expect(codeOf(() => reader('a5414243').string())).toBe('ERR_WIRE_TRUNCATED')
    expect(codeOf(() => reader('cd01').uint(16))).toBe('ERR_WIRE_TRUNCATED')
    expect(codeOf(() => reader('').u8())).toBe('ERR_WIRE_TRUNCATED')
  })

  it('skips any value, bounded in nesting depth', () => {
    const r = reader('82a161d40102a1629291c0c7020a0b0c' + '2a')
    r.skip()
    expect(r.u8()).toBe(0x2a)
    const deep = '91'.repeat(100) + '00'
    expect(codeOf(() => reader(deep).skip())).toBe('ERR_WIRE_TOO_DEEP')
    expect(codeOf(() => reader('c1').skip())).toBe('ERR_WIRE_MALFORMED')
  })
})

describe('measureHeader', () => {
  it('measures every msgpack header form (measureHeader, shared by skip and the stream scan)', () => {
    const b = (...x: number[]) => Uint8Array.from(x)
    expect(measureHeader(b(0x93, 1, 2, 3), 0)).toEqual({ end: 1, children: 3 })
    expect(measureHeader(b(0x82), 0)).toEqual({ end: 1, children: 4 })
    expect(measureHeader(b(0xdc, 0, 2), 0)).toEqual({ end: 3, children: 2 })
    expect(measureHeader(b(0xdf, 0, 0, 0, 1), 0)).toEqual({ end: 5, children: 2 })
    expect(measureHeader(b(0xc4, 2, 9, 9), 0)).toEqual({ end: 4, children: 0 })
    expect(measureHeader(b(0xc4, 2, 9), 0)).toBeUndefined()
    expect(measureHeader(b(0xc7, 1, 5, 9), 0)).toEqual({ end: 4, children: 0 })
    expect(measureHeader(b(0xd9, 1, 0x41), 0)).toEqual({ end: 3, children: 0 })
    expect(measureHeader(b(0xcb, 0, 0, 0, 0, 0, 0, 0, 0), 0)).toEqual({ end: 9, children: 0 })
    expect(measureHeader(b(0xd8, ...new Array<number>(17).fill(0)), 0)).toEqual({ end: 18, children: 0 })
    expect(measureHeader(b(0xff), 0)).toEqual({ end: 1, children: 0 })
    // Bounded by `end`, not the buffer: a str whose payload lies past it is not all there.
    expect(measureHeader(b(0xa3, 0x41, 0x42, 0x43), 0, 3)).toBeUndefined()
    expect(() => measureHeader(b(0xc1), 0)).toThrow(expect.objectContaining({ code: 'ERR_WIRE_MALFORMED' }))
  })
})
