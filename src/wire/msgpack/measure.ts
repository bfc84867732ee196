/**
 * The size of one msgpack value's header (spec §1.6), without decoding it: where the header ends
 * (including a str/bin/ext payload and fixed-size scalars) and how many values it contains (array
 * items, map keys and values). Shared by the wire reader's skip and the stream scan, which needs an
 * answer it can resume from: `undefined` means not all of the header is within `end` yet.
 */
import { wireError } from '../errors.ts'

/** A measured header: bytes up to `end`, and the `children` values that follow it. */
export type MeasuredHeader = { end: number; children: number }

/** Measures the header at `pos`; undefined when it runs past `end`. Throws ERR_WIRE_MALFORMED on 0xc1. */
export function measureHeader(buf: Uint8Array, pos: number, end = buf.length): MeasuredHeader | undefined {
  if (pos >= end) return undefined
  const b = buf[pos]!
  if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) return { end: pos + 1, children: 0 }
  if (b <= 0x8f) return { end: pos + 1, children: 2 * (b & 0x0f) }
  if (b <= 0x9f) return { end: pos + 1, children: b & 0x0f }
  if (b <= 0xbf) return fixedLen(end, pos, 1 + (b & 0x1f))
  switch (b) {
    case 0xc4:
      return bulk(buf, end, pos, 2, 1, 0)
    case 0xc5:
      return bulk(buf, end, pos, 3, 2, 0)
    case 0xc6:
      return bulk(buf, end, pos, 5, 4, 0)
    case 0xc7:
      return bulk(buf, end, pos, 2, 1, 1)
    case 0xc8:
      return bulk(buf, end, pos, 3, 2, 1)
    case 0xc9:
      return bulk(buf, end, pos, 5, 4, 1)
    case 0xca:
      return fixedLen(end, pos, 5)
    case 0xcb:
      return fixedLen(end, pos, 9)
    case 0xcc:
    case 0xd0:
      return fixedLen(end, pos, 2)
    case 0xcd:
    case 0xd1:
      return fixedLen(end, pos, 3)
    case 0xce:
    case 0xd2:
      return fixedLen(end, pos, 5)
    case 0xcf:
    case 0xd3:
      return fixedLen(end, pos, 9)
    case 0xd4:
      return fixedLen(end, pos, 3)
    case 0xd5:
      return fixedLen(end, pos, 4)
    case 0xd6:
      return fixedLen(end, pos, 6)
    case 0xd7:
      return fixedLen(end, pos, 10)
    case 0xd8:
      return fixedLen(end, pos, 18)
    case 0xd9:
      return bulk(buf, end, pos, 2, 1, 0)
    case 0xda:
      return bulk(buf, end, pos, 3, 2, 0)
    case 0xdb:
      return bulk(buf, end, pos, 5, 4, 0)
    case 0xdc:
      return container(buf, end, pos, 3, 2, 1)
    case 0xdd:
      return container(buf, end, pos, 5, 4, 1)
    case 0xde:
      return container(buf, end, pos, 3, 2, 2)
    case 0xdf:
      return container(buf, end, pos, 5, 4, 2)
    default:
      throw wireError('ERR_WIRE_MALFORMED', `invalid msgpack byte 0x${b.toString(16)}`, { offset: pos })
  }
}

// Module-level helpers (no closure per header: the stream scan runs over every byte of a push/pull).
type Measured = MeasuredHeader | undefined

/** A fixed-size value of `len` bytes including its type byte. */
function fixedLen(end: number, pos: number, len: number): Measured {
  return pos + len > end ? undefined : { end: pos + len, children: 0 }
}

/** str/bin/ext: `hdr` header bytes holding a `lenBytes` length, `extra` bytes (ext type), the payload. */
function bulk(buf: Uint8Array, end: number, pos: number, hdr: number, lenBytes: number, extra: number): Measured {
  if (pos + hdr > end) return undefined
  const stop = pos + hdr + extra + readUint(buf, pos + 1, lenBytes)
  return stop > end ? undefined : { end: stop, children: 0 }
}

/** array/map 16/32: `perItem` values per counted item (1 for arrays, 2 for maps). */
function container(buf: Uint8Array, end: number, pos: number, hdr: number, lenBytes: number, perItem: number): Measured {
  if (pos + hdr > end) return undefined
  return { end: pos + hdr, children: perItem * readUint(buf, pos + 1, lenBytes) }
}

/** A big-endian unsigned integer of 1 to 8 bytes (exact up to 2^53). */
export function readUint(buf: Uint8Array, pos: number, bytes: number): number {
  let n = 0
  for (let i = 0; i < bytes; i++) n = n * 256 + buf[pos + i]!
  return n
}
