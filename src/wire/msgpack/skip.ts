/**
 * Skipping one msgpack value of any type, as go-msgpack does for map keys a struct does not know.
 * Nesting is bounded by the reader's maxDepth, and every declared length or item count is checked
 * against the bytes that remain before it is walked, so hostile input cannot make it loop long.
 */
import { wireError } from '../errors.ts'
import type { MsgpackReader } from './reader.ts'

export function skipValue(r: MsgpackReader, depth: number): void {
  if (depth > r.maxDepth) throw wireError('ERR_WIRE_TOO_DEEP', `msgpack nesting deeper than ${r.maxDepth}`)
  const b = r.u8()
  if (b < 0x80 || b >= 0xe0) return
  if ((b & 0xe0) === 0xa0) return skipBytes(r, b & 0x1f)
  if ((b & 0xf0) === 0x80) return skipItems(r, (b & 0x0f) * 2, depth)
  if ((b & 0xf0) === 0x90) return skipItems(r, b & 0x0f, depth)
  switch (b) {
    case 0xc0:
    case 0xc2:
    case 0xc3:
      return
    case 0xc4:
    case 0xd9:
      return skipBytes(r, r.u8())
    case 0xc5:
    case 0xda:
      return skipBytes(r, r.u16())
    case 0xc6:
    case 0xdb:
      return skipBytes(r, r.u32())
    case 0xc7:
      return skipBytes(r, r.u8() + 1)
    case 0xc8:
      return skipBytes(r, r.u16() + 1)
    case 0xc9:
      return skipBytes(r, r.u32() + 1)
    case 0xca:
      return skipBytes(r, 4)
    case 0xcb:
      return skipBytes(r, 8)
    case 0xcc:
    case 0xd0:
      return skipBytes(r, 1)
    case 0xcd:
    case 0xd1:
      return skipBytes(r, 2)
    case 0xce:
    case 0xd2:
      return skipBytes(r, 4)
    case 0xcf:
    case 0xd3:
      return skipBytes(r, 8)
    case 0xd4:
      return skipBytes(r, 2)
    case 0xd5:
      return skipBytes(r, 3)
    case 0xd6:
      return skipBytes(r, 5)
    case 0xd7:
      return skipBytes(r, 9)
    case 0xd8:
      return skipBytes(r, 17)
    case 0xdc:
      return skipItems(r, r.u16(), depth)
    case 0xdd:
      return skipItems(r, r.u32(), depth)
    case 0xde:
      return skipItems(r, r.u16() * 2, depth)
    case 0xdf:
      return skipItems(r, r.u32() * 2, depth)
    default:
      throw wireError('ERR_WIRE_MALFORMED', `invalid msgpack byte 0x${b.toString(16)}`, { offset: r.pos - 1 })
  }
}

function skipBytes(r: MsgpackReader, n: number): void {
  if (n > r.remaining) throw wireError('ERR_WIRE_TRUNCATED', `skipped value: need ${n} bytes, ${r.remaining} left`, { offset: r.pos })
  r.pos += n
}

function skipItems(r: MsgpackReader, n: number, depth: number): void {
  if (n > r.remaining) throw wireError('ERR_WIRE_TRUNCATED', `container of ${n} items in ${r.remaining} bytes`)
  for (let i = 0; i < n; i++) skipValue(r, depth + 1)
}
