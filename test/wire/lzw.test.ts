import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { fromHex, lzwCompress, lzwDecompress, toHex, WireCodecError } from '../../src/wire/index.ts'
import { codeOf } from './helpers.ts'

const TOBE = new TextEncoder().encode('TOBEORNOTTOBEORTOBEORNOT')

/**
 * An independent, deliberately naive model of Go's LSB/8 writer (dictionary as a Map of strings,
 * bits as an array), to cross-check the optimised one on inputs that reach 12-bit codes and resets.
 */
function referenceCompress(input: Uint8Array): Uint8Array {
  const bits: number[] = []
  const put = (code: number, width: number): void => {
    for (let i = 0; i < width; i++) bits.push((code >> i) & 1)
  }
  let dict = new Map<string, number>()
  let width = 9
  let hi = 257
  put(256, width)
  if (input.length > 0) {
    let cur = String(input[0])
    let code = input[0]!
    for (let i = 1; i < input.length; i++) {
      const next = `${cur},${input[i]}`
      const hit = dict.get(next)
      if (hit !== undefined) {
        cur = next
        code = hit
        continue
      }
      put(code, width)
      hi++
      if (hi === 1 << width) width++
      if (hi === 4095) {
        put(256, width)
        width = 9
        hi = 257
        dict = new Map()
      } else {
        dict.set(next, hi)
      }
      cur = String(input[i])
      code = input[i]!
    }
    put(code, width)
    hi++
    if (hi === 1 << width) width++
    if (hi === 4095) {
      put(256, width)
      width = 9
    }
  }
  put(257, width)
  const out = new Uint8Array(Math.ceil(bits.length / 8))
  bits.forEach((b, i) => {
    out[i >> 3]! |= b << (i & 7)
  })
  return out
}

describe('wire - lzw', () => {
  it("matches Go's writer on Go's own test vectors (clear code first)", () => {
    expect(toHex(lzwCompress(TOBE))).toBe('00a93c1152e48914274fa80824687061c183090302')
    expect(toHex(lzwCompress(new Uint8Array(0)))).toBe('000302')
  })

  it("reads Go's vectors with and without the leading clear code", () => {
    expect(lzwDecompress(fromHex('00a93c1152e48914274fa80824687061c183090302'))).toEqual(TOBE)
    expect(lzwDecompress(fromHex('549e0829f2448a932754041234b8b0e0c1840101'))).toEqual(TOBE)
    expect(lzwDecompress(fromHex('0101'))).toEqual(new Uint8Array(0))
    expect(lzwDecompress(fromHex('000302'))).toEqual(new Uint8Array(0))
  })

  it('agrees with an independent model of the writer, through width growth and table resets', () => {
    const patterned = new Uint8Array(20000).map((_, i) => (i * 7 + (i >> 5)) & 0xff)
    const noisy = new Uint8Array(20000).map((_, i) => (Math.imul(i, 2654435761) >>> 13) & 0xff)
    const runs = new Uint8Array(10000).fill(65)
    for (const input of [TOBE, patterned, noisy, runs]) {
      const ours = lzwCompress(input)
      expect(toHex(ours)).toBe(toHex(referenceCompress(input)))
      expect(lzwDecompress(ours)).toEqual(input)
    }
  })

  it('round-trips arbitrary data (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (input) => {
        expect(lzwDecompress(lzwCompress(input))).toEqual(input)
      }),
      { numRuns: 150 },
    )
    fc.assert(
      fc.property(fc.array(fc.constantFrom(0, 1, 2), { maxLength: 9000 }), (arr) => {
        const input = Uint8Array.from(arr)
        const c = lzwCompress(input)
        expect(toHex(c)).toBe(toHex(referenceCompress(input)))
        expect(lzwDecompress(c)).toEqual(input)
      }),
      { numRuns: 25 },
    )
  })

  it('reports missing EOF, invalid codes and oversized output with codes', () => {
    const good = lzwCompress(TOBE)
    expect(codeOf(() => lzwDecompress(good.subarray(0, good.length - 2)))).toBe('ERR_WIRE_LZW_CORRUPT')
    expect(codeOf(() => lzwDecompress(new Uint8Array(0)))).toBe('ERR_WIRE_LZW_CORRUPT')
    // clear, then code 300 (never defined): 9-bit LSB codes 256, 300
    expect(codeOf(() => lzwDecompress(Uint8Array.of(0x00, 0x59, 0x02, 0x00)))).toBe('ERR_WIRE_LZW_CORRUPT')
    const big = lzwCompress(new Uint8Array(100000))
    expect(big.length).toBeLessThan(1000)
    expect(codeOf(() => lzwDecompress(big, 50000))).toBe('ERR_WIRE_TOO_LARGE')
    expect(lzwDecompress(big, 100000).length).toBe(100000)
  })

  it('never throws anything but a coded error on random input (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (input) => {
        try {
          lzwDecompress(input, 1 << 20)
        } catch (err) {
          expect(err).toBeInstanceOf(WireCodecError)
        }
      }),
      { numRuns: 400 },
    )
  })
})
