/**
 * msgpack output exactly as hashicorp/go-msgpack 0.5.x (`MsgpackHandle{}`) writes it: strings and
 * byte slices both in the old raw family (fixstr / 0xda / 0xdb, never str8 or bin), the smallest
 * integer form (non-negative signed values use the unsigned forms), float64 as 0xcb, nil as 0xc0.
 */
import { wireError } from '../errors.ts'

const UTF8 = new TextEncoder()
const U64_MAX = (1n << 64n) - 1n
const I64_MIN = -(1n << 63n)
/** Up to this many bytes, a loop copies faster than TypedArray#set (measured on Node 20). */
const SMALL_COPY = 32

export class MsgpackWriter {
  private buf: Uint8Array
  private view: DataView
  private pos = 0

  constructor(initialSize = 256) {
    this.buf = new Uint8Array(initialSize)
    this.view = new DataView(this.buf.buffer)
  }

  get length(): number {
    return this.pos
  }

  /** Empties the writer, keeping its buffer (scratch writers are reused across messages). */
  reset(): this {
    this.pos = 0
    return this
  }

  /** The bytes written so far (a copy, so the writer can be reused). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos)
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
    this.view = new DataView(next.buffer)
  }

  byte(b: number): void {
    this.ensure(1)
    this.buf[this.pos++] = b
  }

  /** Appends bytes as they are (no msgpack framing): type bytes, raw tails, wrapped messages. */
  raw(bytes: Uint8Array): void {
    const n = bytes.length
    this.ensure(n)
    // TypedArray#set has a fixed cost that dominates for keys and small fields: copy those by hand.
    if (n <= SMALL_COPY) {
      const buf = this.buf
      let p = this.pos
      for (let i = 0; i < n; i++) buf[p++] = bytes[i]!
      this.pos = p
      return
    }
    this.buf.set(bytes, this.pos)
    this.pos += n
  }

  nil(): void {
    this.byte(0xc0)
  }

  /** `count` nils in a row (a run of empty slots in an array), one capacity check for all. */
  nils(count: number): void {
    this.ensure(count)
    this.buf.fill(0xc0, this.pos, this.pos + count)
    this.pos += count
  }

  bool(v: boolean): void {
    this.byte(v ? 0xc3 : 0xc2)
  }

  /** Unsigned (or non-negative signed) integer in its smallest form. */
  uint(v: number | bigint): void {
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v) || v < 0) throw wireError('ERR_WIRE_ENCODE', `not a non-negative safe integer: ${v}`)
      if (v < 0x80) return this.byte(v)
      this.ensure(9)
      if (v <= 0xff) {
        this.buf[this.pos++] = 0xcc
        this.buf[this.pos++] = v
      } else if (v <= 0xffff) {
        this.buf[this.pos++] = 0xcd
        this.view.setUint16(this.pos, v)
        this.pos += 2
      } else if (v <= 0xffffffff) {
        this.buf[this.pos++] = 0xce
        this.view.setUint32(this.pos, v)
        this.pos += 4
      } else {
        this.buf[this.pos++] = 0xcf
        this.view.setBigUint64(this.pos, BigInt(v))
        this.pos += 8
      }
      return
    }
    if (v < 0n || v > U64_MAX) throw wireError('ERR_WIRE_ENCODE', `not a uint64: ${v}`)
    if (v <= 0xffffffffn) return this.uint(Number(v))
    this.ensure(9)
    this.buf[this.pos++] = 0xcf
    this.view.setBigUint64(this.pos, v)
    this.pos += 8
  }

  /**
   * Signed integer. Go writes non-negative values with the unsigned forms. For [-32768, -129] Go
   * 0.5.x has a bug (writes `d1 d1 hi lo`); memberlist/Serf never send such values, and we write
   * the correct `d1 hi lo` that Go's decoder reads.
   */
  int(v: number | bigint): void {
    if (typeof v === 'bigint') {
      if (v >= 0n) return this.uint(v)
      if (v < I64_MIN) throw wireError('ERR_WIRE_ENCODE', `not an int64: ${v}`)
      if (v >= -2147483648n) return this.int(Number(v))
      this.ensure(9)
      this.buf[this.pos++] = 0xd3
      this.view.setBigInt64(this.pos, v)
      this.pos += 8
      return
    }
    if (!Number.isSafeInteger(v)) throw wireError('ERR_WIRE_ENCODE', `not a safe integer: ${v}`)
    if (v >= 0) return this.uint(v)
    this.ensure(9)
    if (v >= -32) {
      this.buf[this.pos++] = v & 0xff
    } else if (v >= -128) {
      this.buf[this.pos++] = 0xd0
      this.view.setInt8(this.pos++, v)
    } else if (v >= -32768) {
      this.buf[this.pos++] = 0xd1
      this.view.setInt16(this.pos, v)
      this.pos += 2
    } else if (v >= -2147483648) {
      this.buf[this.pos++] = 0xd2
      this.view.setInt32(this.pos, v)
      this.pos += 4
    } else {
      this.buf[this.pos++] = 0xd3
      this.view.setBigInt64(this.pos, BigInt(v))
      this.pos += 8
    }
  }

  float64(v: number): void {
    this.ensure(9)
    this.buf[this.pos++] = 0xcb
    this.view.setFloat64(this.pos, v)
    this.pos += 8
  }

  /** Header of a raw (string or byte slice) value of `n` bytes: fixstr, 0xda or 0xdb. */
  rawHeader(n: number): void {
    this.ensure(5)
    if (n < 32) {
      this.buf[this.pos++] = 0xa0 | n
    } else if (n <= 0xffff) {
      this.buf[this.pos++] = 0xda
      this.view.setUint16(this.pos, n)
      this.pos += 2
    } else if (n <= 0xffffffff) {
      this.buf[this.pos++] = 0xdb
      this.view.setUint32(this.pos, n)
      this.pos += 4
    } else {
      throw wireError('ERR_WIRE_ENCODE', `raw value too long: ${n} bytes`)
    }
  }

  bytes(b: Uint8Array): void {
    this.rawHeader(b.length)
    this.raw(b)
  }

  string(s: string): void {
    // ASCII fast path (field names, node names): one byte per char.
    let ascii = s.length < 64
    if (ascii) {
      for (let i = 0; i < s.length; i++) {
        if (s.charCodeAt(i) > 0x7f) {
          ascii = false
          break
        }
      }
    }
    if (ascii) {
      this.rawHeader(s.length)
      this.ensure(s.length)
      for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i)
      return
    }
    this.bytes(UTF8.encode(s))
  }

  mapHeader(n: number): void {
    this.containerHeader(n, 0x80, 0xde, 0xdf)
  }

  arrayHeader(n: number): void {
    this.containerHeader(n, 0x90, 0xdc, 0xdd)
  }

  private containerHeader(n: number, fix: number, m16: number, m32: number): void {
    this.ensure(5)
    if (n < 16) {
      this.buf[this.pos++] = fix | n
    } else if (n <= 0xffff) {
      this.buf[this.pos++] = m16
      this.view.setUint16(this.pos, n)
      this.pos += 2
    } else {
      this.buf[this.pos++] = m32
      this.view.setUint32(this.pos, n)
      this.pos += 4
    }
  }
}
