/**
 * LZW exactly as Go's compress/lzw with LSB bit order and 8-bit literals (spec §3.4), the format of
 * memberlist's compress{Algo: 0} buffers. Codes start 9 bits wide and grow to 12; 256 is clear,
 * 257 is EOF, 258 the first free code. The writer mirrors Go's writer decision for decision (clear
 * code first; width grows when the next code reaches 1<<width; a clear and reset when the next code
 * would be 4095), so our output is byte-identical to Go's. The reader mirrors Go's reader, including
 * the KwKwK case and the frozen table at width 12, and bounds its output.
 */
import { wireError } from './errors.ts'

const CLEAR = 256
const EOF = 257
const MAX_WIDTH = 12
const MAX_CODE = (1 << MAX_WIDTH) - 1 // 4095
const TABLE_SIZE = 4 * (1 << MAX_WIDTH) // open-addressed hash table, as in Go
const TABLE_MASK = TABLE_SIZE - 1

/** Default bound on decompressed output: Go 0.2.2 has none; we refuse more than this. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 32 * 1024 * 1024

class BitWriter {
  out: Uint8Array
  len = 0
  bits = 0
  nBits = 0
  constructor(size: number) {
    this.out = new Uint8Array(Math.max(16, size))
  }
  write(code: number, width: number): void {
    // Bits are accumulated LSB first; at most 7 + 12 bits are pending, so a number suffices.
    this.bits |= code << this.nBits
    this.nBits += width
    while (this.nBits >= 8) {
      this.push(this.bits & 0xff)
      this.bits >>>= 8
      this.nBits -= 8
    }
  }
  push(b: number): void {
    if (this.len === this.out.length) {
      const next = new Uint8Array(this.out.length * 2)
      next.set(this.out)
      this.out = next
    }
    this.out[this.len++] = b
  }
}

/*
 * The writer's dictionary: an open-addressed hash table (as in Go) of key = prefixCode << 8 | byte
 * -> code. It is allocated once per thread and invalidated by bumping a generation number instead
 * of being cleared, so compressing a small packet costs O(packet), not a 4 × 4096-entry fill.
 */
const tableKey = new Int32Array(TABLE_SIZE)
const tableCode = new Uint16Array(TABLE_SIZE)
const tableGen = new Uint32Array(TABLE_SIZE)
let generation = 0

function nextGeneration(): void {
  generation++
  if (generation === 0xffffffff) {
    tableGen.fill(0)
    generation = 1
  }
}

/** Compresses `input` as Go's `lzw.NewWriter(w, lzw.LSB, 8)` followed by Close. */
export function lzwCompress(input: Uint8Array): Uint8Array {
  const w = new BitWriter(input.length / 2 + 16)
  nextGeneration()
  let width = 9
  let hi = EOF
  let overflow = 1 << 9
  w.write(CLEAR, width)
  if (input.length > 0) {
    let code = input[0]!
    loop: for (let i = 1; i < input.length; i++) {
      const literal = input[i]!
      const key = (code << 8) | literal
      let hash = ((key >>> 12) ^ key) & TABLE_MASK
      for (let h = hash; tableGen[h] === generation; h = (h + 1) & TABLE_MASK) {
        if (tableKey[h] === key) {
          code = tableCode[h]!
          continue loop
        }
      }
      w.write(code, width)
      code = literal
      // incHi: the next implied code; when it would reach 4095, emit clear and reset.
      hi++
      if (hi === overflow) {
        width++
        overflow <<= 1
      }
      if (hi === MAX_CODE) {
        w.write(CLEAR, width)
        width = 9
        hi = EOF
        overflow = 1 << 9
        nextGeneration()
        continue
      }
      while (tableGen[hash] === generation) hash = (hash + 1) & TABLE_MASK
      tableGen[hash] = generation
      tableKey[hash] = key
      tableCode[hash] = hi
    }
    w.write(code, width)
    hi++
    if (hi === overflow) {
      width++
      overflow <<= 1
    }
    if (hi === MAX_CODE) {
      w.write(CLEAR, width)
      width = 9
    }
  }
  w.write(EOF, width)
  if (w.nBits > 0) w.push(w.bits & 0xff)
  return w.out.slice(0, w.len)
}

/** A larger output buffer holding `o` bytes plus room for `n` more, or ERR_WIRE_TOO_LARGE past maxBytes. */
function grow(out: Uint8Array, o: number, n: number, maxBytes: number): Uint8Array {
  if (o + n > maxBytes) throw wireError('ERR_WIRE_TOO_LARGE', `LZW output passes ${maxBytes} bytes`)
  let size = Math.max(64, out.length * 2)
  while (size < o + n) size *= 2
  const next = new Uint8Array(Math.min(size, maxBytes))
  next.set(out.subarray(0, o))
  return next
}

const DEC_PREFIX = new Uint16Array(1 << MAX_WIDTH)
const DEC_SUFFIX = new Uint8Array(1 << MAX_WIDTH)
const SCRATCH_LEN = 1 << MAX_WIDTH
const DEC_SCRATCH = new Uint8Array(SCRATCH_LEN)

/**
 * Decompresses Go LZW (LSB, 8-bit literals). Stops at the EOF code (later bytes are ignored, as
 * Go's io.Copy does); input that ends before EOF, or an invalid code, is ERR_WIRE_LZW_CORRUPT.
 * Output past `maxBytes` is ERR_WIRE_TOO_LARGE; the buffer grows with the output actually produced.
 */
export function lzwDecompress(input: Uint8Array, maxBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): Uint8Array {
  // Module-level tables (decoding never re-enters); stale entries are never read, as in Go.
  const prefix = DEC_PREFIX
  const suffix = DEC_SUFFIX
  const scratch = DEC_SCRATCH
  let out: Uint8Array = new Uint8Array(Math.min(maxBytes, Math.max(64, input.length * 3)))
  let o = 0
  let width = 9
  let hi = EOF
  let overflow = 1 << 9
  let last = -1
  let bits = 0
  let nBits = 0
  let pos = 0

  for (;;) {
    while (nBits < width) {
      if (pos >= input.length) throw wireError('ERR_WIRE_LZW_CORRUPT', 'LZW data ends before the EOF code')
      bits |= input[pos++]! << nBits
      nBits += 8
    }
    const code = bits & ((1 << width) - 1)
    bits >>>= width
    nBits -= width

    if (code < CLEAR) {
      if (o + 1 > out.length) out = grow(out, o, 1, maxBytes)
      out[o++] = code
      if (last !== -1) {
        suffix[hi] = code
        prefix[hi] = last
      }
    } else if (code === CLEAR) {
      width = 9
      hi = EOF
      overflow = 1 << 9
      last = -1
      continue
    } else if (code === EOF) {
      break
    } else if (code <= hi) {
      let c = code
      let i = SCRATCH_LEN - 1
      if (code === hi && last !== -1) {
        // KwKwK: the previous expansion followed by its own first byte.
        c = last
        while (c >= CLEAR) c = prefix[c]!
        scratch[i--] = c
        c = last
      }
      while (c >= CLEAR) {
        if (i < 0) throw wireError('ERR_WIRE_LZW_CORRUPT', 'LZW prefix chain too long')
        scratch[i--] = suffix[c]!
        c = prefix[c]!
      }
      if (i < 0) throw wireError('ERR_WIRE_LZW_CORRUPT', 'LZW prefix chain too long')
      scratch[i] = c
      const n = SCRATCH_LEN - i
      if (o + n > out.length) out = grow(out, o, n, maxBytes)
      for (let k = i; k < SCRATCH_LEN; k++) out[o++] = scratch[k]!
      if (last !== -1) {
        suffix[hi] = c
        prefix[hi] = last
      }
    } else {
      throw wireError('ERR_WIRE_LZW_CORRUPT', `invalid LZW code ${code} (next free code ${hi})`)
    }
    last = code
    hi++
    if (hi >= overflow) {
      if (width === MAX_WIDTH) {
        last = -1
        hi--
      } else {
        width++
        overflow = 1 << width
      }
    }
  }
  return out.slice(0, o)
}
