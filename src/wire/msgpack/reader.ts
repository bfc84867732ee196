/**
 * msgpack input read the way hashicorp/go-msgpack 0.5.x accepts it into typed Go fields (spec
 * §1.6): string fields take fixstr/str8/str16/str32 (not bin); byte fields also take bin and arrays
 * of small ints; integer fields take every int width (overflow checked); nil gives the zero value.
 * Every declared length is checked against the bytes that remain before anything is allocated,
 * and skipping unknown values is bounded in depth.
 */
import { wireError } from '../errors.ts'
import { skipValue } from './skip.ts'

// ignoreBOM: keep a leading U+FEFF. Go strings are bytes; stripping it would turn the name
// "\xEF\xBB\xBFweb-1" into "web-1", another node's name. Bytes that are not UTF-8 still decode to
// U+FFFD (receivers that must re-encode a string exactly refuse it: actors/swim/acceptance.ts).
const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true })
/** Default bound on nested msgpack containers when skipping unknown values. */
export const DEFAULT_MAX_DEPTH = 32

export class MsgpackReader {
  readonly buf: Uint8Array
  private dv: DataView | null = null
  pos: number
  readonly end: number
  readonly maxDepth: number

  constructor(buf: Uint8Array, start = 0, end = buf.length, maxDepth = DEFAULT_MAX_DEPTH) {
    this.buf = buf
    this.pos = start
    this.end = end
    this.maxDepth = maxDepth
  }

  /** Created on first use: most messages need no 64-bit or float reads. */
  private get view(): DataView {
    if (this.dv === null) this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength)
    return this.dv
  }

  get remaining(): number {
    return this.end - this.pos
  }

  private need(n: number, what: string): void {
    if (n > this.end - this.pos) {
      throw wireError('ERR_WIRE_TRUNCATED', `${what}: need ${n} bytes, ${this.end - this.pos} left`, { offset: this.pos })
    }
  }

  peek(): number {
    this.need(1, 'msgpack value')
    return this.buf[this.pos]!
  }

  u8(): number {
    this.need(1, 'msgpack value')
    return this.buf[this.pos++]!
  }

  /** A big-endian u16 (lengths). */
  u16(): number {
    this.need(2, 'msgpack length')
    const b = this.buf
    const v = (b[this.pos]! << 8) | b[this.pos + 1]!
    this.pos += 2
    return v
  }

  /** A big-endian u32 (lengths). */
  u32(): number {
    this.need(4, 'msgpack length')
    const b = this.buf
    const p = this.pos
    const v = (b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!))
    this.pos += 4
    return v
  }

  /** Takes `n` bytes as a copy (bounded by the input: checked before allocating). */
  take(n: number, what: string): Uint8Array {
    this.need(n, what)
    const out = this.buf.slice(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  isNil(): boolean {
    return this.peek() === 0xc0
  }

  /**
   * Length of a raw/str value (fixstr, d9, da, db), or of a bin value when `bin` is allowed.
   * Returns -1 for nil. Anything else is a type mismatch.
   */
  private rawLength(bin: boolean, field: string): number {
    const b = this.u8()
    if ((b & 0xe0) === 0xa0) return b & 0x1f
    switch (b) {
      case 0xc0:
        return -1
      case 0xd9:
        return this.u8()
      case 0xda:
        return this.u16()
      case 0xdb:
        return this.u32()
      case 0xc4:
      case 0xc5:
      case 0xc6:
        if (bin) return b === 0xc4 ? this.u8() : b === 0xc5 ? this.u16() : this.u32()
        throw mismatch(b, field, 'string (Go refuses bin here)', this.pos - 1)
      default:
        throw mismatch(b, field, bin ? 'bytes' : 'string', this.pos - 1)
    }
  }

  string(field = 'string'): string {
    const n = this.rawLength(false, field)
    if (n <= 0) return ''
    this.need(n, field)
    const start = this.pos
    this.pos += n
    // ASCII fast path for short values (names, keys).
    if (n < 32) {
      let s = ''
      for (let i = start; i < start + n; i++) {
        const c = this.buf[i]!
        if (c > 0x7f) return UTF8.decode(this.buf.subarray(start, start + n))
        s += String.fromCharCode(c)
      }
      return s
    }
    return UTF8.decode(this.buf.subarray(start, start + n))
  }

  /** A `[]byte` field: raw, str8, bin, or an array of uint8 values. nil gives null. */
  bytes(field = 'bytes'): Uint8Array | null {
    const b = this.peek()
    if ((b & 0xf0) === 0x90 || b === 0xdc || b === 0xdd) {
      const n = this.arrayHeader(field)!
      const out = new Uint8Array(n)
      for (let i = 0; i < n; i++) out[i] = this.uint(8, field)
      return out
    }
    const n = this.rawLength(true, field)
    if (n < 0) return null
    return this.take(n, field)
  }

  /** Map header: entry count, or null for nil. Each entry needs at least 2 bytes. */
  mapHeader(field = 'map'): number | null {
    const b = this.u8()
    let n: number
    if ((b & 0xf0) === 0x80) n = b & 0x0f
    else if (b === 0xde) n = this.u16()
    else if (b === 0xdf) n = this.u32()
    else if (b === 0xc0) return null
    else throw mismatch(b, field, 'map', this.pos - 1)
    if (n * 2 > this.remaining) throw wireError('ERR_WIRE_TRUNCATED', `${field}: map of ${n} entries in ${this.remaining} bytes`)
    return n
  }

  /** Array header: element count, or null for nil. Each element needs at least 1 byte. */
  arrayHeader(field = 'array'): number | null {
    const b = this.u8()
    let n: number
    if ((b & 0xf0) === 0x90) n = b & 0x0f
    else if (b === 0xdc) n = this.u16()
    else if (b === 0xdd) n = this.u32()
    else if (b === 0xc0) return null
    else throw mismatch(b, field, 'array', this.pos - 1)
    if (n > this.remaining) throw wireError('ERR_WIRE_TRUNCATED', `${field}: array of ${n} elements in ${this.remaining} bytes`)
    return n
  }

  /** Any msgpack integer as number (when exact) or bigint (64-bit forms past 2^53). nil is 0. */
  integer(field = 'integer'): number | bigint {
    const b = this.u8()
    if (b < 0x80) return b
    if (b >= 0xe0) return b - 0x100
    let v: number | bigint
    switch (b) {
      case 0xc0:
        return 0
      case 0xcc:
        return this.u8()
      case 0xcd:
        return this.u16()
      case 0xce:
        return this.u32()
      case 0xcf:
        this.need(8, field)
        v = this.view.getBigUint64(this.pos)
        break
      case 0xd0:
        this.need(1, field)
        return this.view.getInt8(this.pos++)
      case 0xd1:
        this.need(2, field)
        this.pos += 2
        return this.view.getInt16(this.pos - 2)
      case 0xd2:
        this.need(4, field)
        this.pos += 4
        return this.view.getInt32(this.pos - 4)
      case 0xd3:
        this.need(8, field)
        v = this.view.getBigInt64(this.pos)
        break
      default:
        throw mismatch(b, field, 'integer', this.pos - 1)
    }
    this.pos += 8
    const asNumber = Number(v)
    return Number.isSafeInteger(asNumber) ? asNumber : v
  }

  /** Unsigned field of `bits` ≤ 32, as a number. */
  uint(bits: 8 | 16 | 32, field = 'uint'): number {
    const v = this.integer(field)
    const max = bits === 32 ? 0xffffffff : (1 << bits) - 1
    if (typeof v === 'bigint' || v < 0 || v > max) {
      throw wireError('ERR_WIRE_INT_RANGE', `${field}: ${v} does not fit uint${bits}`)
    }
    return v
  }

  /** uint64 field, as a bigint (exact). */
  u64(field = 'uint64'): bigint {
    const v = this.integer(field)
    if (v < 0) throw wireError('ERR_WIRE_INT_RANGE', `${field}: negative ${v} into uint64`)
    return BigInt(v)
  }

  /** int64 field, as a bigint. A uint64 past 2^63-1 overflows. */
  i64(field = 'int64'): bigint {
    const v = this.integer(field)
    const big = BigInt(v)
    if (big > 0x7fffffffffffffffn) throw wireError('ERR_WIRE_INT_RANGE', `${field}: ${v} does not fit int64`)
    return big
  }

  /** Go `int` used for counts and enums: must be a safe JS integer. */
  int(field = 'int'): number {
    const v = this.integer(field)
    if (typeof v === 'bigint') throw wireError('ERR_WIRE_INT_RANGE', `${field}: ${v} is past 2^53`)
    return v
  }

  bool(field = 'bool'): boolean {
    const b = this.u8()
    if (b === 0xc3 || b === 0x01) return true
    if (b === 0xc2 || b === 0x00 || b === 0xc0) return false
    throw mismatch(b, field, 'bool', this.pos - 1)
  }

  float64(field = 'float'): number {
    const b = this.peek()
    if (b === 0xcb) {
      this.pos++
      this.need(8, field)
      this.pos += 8
      return this.view.getFloat64(this.pos - 8)
    }
    if (b === 0xca) {
      this.pos++
      this.need(4, field)
      this.pos += 4
      return this.view.getFloat32(this.pos - 4)
    }
    return Number(this.integer(field))
  }

  /** Length of a map key (raw or str; checked against the bytes left); the key bytes follow at `pos`. */
  keyLength(): number {
    const n = this.rawLength(false, 'map key')
    if (n < 0) throw wireError('ERR_WIRE_TYPE_MISMATCH', 'map key: nil is not a string key')
    this.need(n, 'map key')
    return n
  }

  /** A map key: raw or str (Go refuses other key types for struct fields). */
  key(): string {
    return this.string('map key')
  }

  /** Skips one value of any type (unknown map keys), bounded in nesting depth (see skip.ts). */
  skip(depth = 0): void {
    skipValue(this, depth)
  }
}

function mismatch(b: number, field: string, expected: string, offset: number): Error {
  return wireError('ERR_WIRE_TYPE_MISMATCH', `${field}: expected ${expected}, found msgpack 0x${b.toString(16).padStart(2, '0')}`, {
    offset,
  })
}
