/**
 * StreamScan: tells, as a stream message arrives chunk by chunk, whether it can be complete yet,
 * by walking its msgpack framing (spec §2.1) without decoding it. The wire reader decodes a message
 * from its start each time it is called, so asking it after every chunk costs O(n²): a 7.5 MB
 * plaintext push/pull in 64 KiB chunks took ~9 s of CPU that way. The scan resumes where it
 * stopped, so the whole message costs O(n) and the reader runs once, when the scan says the bytes
 * are all there.
 *
 * It only decides *when* to decode, never *what*: `tryReadStream` still decodes and validates. A
 * scan that cannot make sense of the bytes says so (`'unknown'`) and the caller decodes at every
 * chunk as before.
 */

/** Where a scan stands: more bytes needed, complete within the buffer, or not understood. */
export type ScanState = 'incomplete' | 'complete' | 'unknown'

const T_PING = 0
const T_ACK = 2
const T_PUSH_PULL = 6
const T_USER = 8
const T_COMPRESS = 9
const T_ENCRYPT = 10
const T_ERR = 13

export class StreamScan {
  private pos = 0
  /** msgpack values still to skip in the current phase. */
  private values = 0
  /** Raw bytes to take after those values (push/pull user state, user message payload). */
  private tail = 0
  private phase: 'type' | 'header' | 'values' | 'tail' | 'done' | 'unknown' = 'type'
  private kind = -1

  /** Scans what is new in `buf` (the whole message so far, growing between calls). */
  feed(buf: Uint8Array): ScanState {
    try {
      return this.run(buf)
    } catch {
      this.phase = 'unknown'
      return 'unknown'
    }
  }

  private run(buf: Uint8Array): ScanState {
    for (;;) {
      switch (this.phase) {
        case 'done':
          return 'complete'
        case 'unknown':
          return 'unknown'
        case 'type': {
          if (buf.length < 1) return 'incomplete'
          this.kind = buf[0]!
          this.pos = 1
          if (this.kind === T_ENCRYPT) {
            if (buf.length < 5) return 'incomplete'
            this.tail = new DataView(buf.buffer, buf.byteOffset, 5).getUint32(1)
            this.pos = 5
            this.phase = 'tail'
          } else if (this.kind === T_COMPRESS || this.kind === T_PING || this.kind === T_ACK || this.kind === T_ERR) {
            this.values = 1
            this.phase = 'values'
          } else if (this.kind === T_PUSH_PULL || this.kind === T_USER) {
            this.phase = 'header'
          } else {
            this.phase = 'unknown'
          }
          continue
        }
        case 'header': {
          const h = readHeaderMap(buf, this.pos)
          if (h === undefined) return 'incomplete'
          this.pos = h.end
          if (this.kind === T_PUSH_PULL) {
            this.values = h.fields.get('Nodes') ?? 0
            this.tail = h.fields.get('UserStateLen') ?? 0
          } else {
            this.values = 0
            this.tail = h.fields.get('UserMsgLen') ?? 0
          }
          this.phase = 'values'
          continue
        }
        case 'values': {
          while (this.values > 0) {
            const next = skipHeader(buf, this.pos)
            if (next === undefined) return 'incomplete'
            this.pos = next.end
            this.values += next.children - 1
          }
          this.phase = this.kind === T_PUSH_PULL || this.kind === T_USER ? 'tail' : 'done'
          continue
        }
        case 'tail': {
          if (buf.length - this.pos < this.tail) return 'incomplete'
          this.pos += this.tail
          this.phase = 'done'
          continue
        }
      }
    }
  }
}

/**
 * One msgpack header at `pos`: where it ends (including a str/bin/ext payload) and how many values
 * it contains (array items, map keys and values). undefined: not all there yet. Throws on 0xc1.
 */
export function skipHeader(buf: Uint8Array, pos: number): { end: number; children: number } | undefined {
  if (pos >= buf.length) return undefined
  const b = buf[pos]!
  if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) return { end: pos + 1, children: 0 }
  if (b <= 0x8f) return { end: pos + 1, children: 2 * (b & 0x0f) }
  if (b <= 0x9f) return { end: pos + 1, children: b & 0x0f }
  if (b <= 0xbf) return fixedLen(buf, pos, 1 + (b & 0x1f))
  switch (b) {
    case 0xc4:
      return bulk(buf, pos, 2, 1, 0)
    case 0xc5:
      return bulk(buf, pos, 3, 2, 0)
    case 0xc6:
      return bulk(buf, pos, 5, 4, 0)
    case 0xc7:
      return bulk(buf, pos, 2, 1, 1)
    case 0xc8:
      return bulk(buf, pos, 3, 2, 1)
    case 0xc9:
      return bulk(buf, pos, 5, 4, 1)
    case 0xca:
      return fixedLen(buf, pos, 5)
    case 0xcb:
      return fixedLen(buf, pos, 9)
    case 0xcc:
    case 0xd0:
      return fixedLen(buf, pos, 2)
    case 0xcd:
    case 0xd1:
      return fixedLen(buf, pos, 3)
    case 0xce:
    case 0xd2:
      return fixedLen(buf, pos, 5)
    case 0xcf:
    case 0xd3:
      return fixedLen(buf, pos, 9)
    case 0xd4:
      return fixedLen(buf, pos, 3)
    case 0xd5:
      return fixedLen(buf, pos, 4)
    case 0xd6:
      return fixedLen(buf, pos, 6)
    case 0xd7:
      return fixedLen(buf, pos, 10)
    case 0xd8:
      return fixedLen(buf, pos, 18)
    case 0xd9:
      return bulk(buf, pos, 2, 1, 0)
    case 0xda:
      return bulk(buf, pos, 3, 2, 0)
    case 0xdb:
      return bulk(buf, pos, 5, 4, 0)
    case 0xdc:
      return container(buf, pos, 3, 2, 1)
    case 0xdd:
      return container(buf, pos, 5, 4, 1)
    case 0xde:
      return container(buf, pos, 3, 2, 2)
    case 0xdf:
      return container(buf, pos, 5, 4, 2)
    default:
      throw new Error(`msgpack byte 0x${b.toString(16)} is never used`)
  }
}

// Module-level helpers (no closure per header: the scan runs over every byte of a push/pull).
type Skip = { end: number; children: number } | undefined

/** A fixed-size value of `len` bytes including its type byte. */
function fixedLen(buf: Uint8Array, pos: number, len: number): Skip {
  return pos + len > buf.length ? undefined : { end: pos + len, children: 0 }
}

/** str/bin/ext: `hdr` header bytes holding a `lenBytes` length, `extra` bytes (ext type), the payload. */
function bulk(buf: Uint8Array, pos: number, hdr: number, lenBytes: number, extra: number): Skip {
  if (pos + hdr > buf.length) return undefined
  const end = pos + hdr + extra + readUint(buf, pos + 1, lenBytes)
  return end > buf.length ? undefined : { end, children: 0 }
}

/** array/map 16/32: `perItem` values per counted item (1 for arrays, 2 for maps). */
function container(buf: Uint8Array, pos: number, hdr: number, lenBytes: number, perItem: number): Skip {
  if (pos + hdr > buf.length) return undefined
  return { end: pos + hdr, children: perItem * readUint(buf, pos + 1, lenBytes) }
}

/** A flat map of string keys to unsigned integers or booleans (the push/pull and user headers). */
function readHeaderMap(buf: Uint8Array, pos: number): { end: number; fields: Map<string, number> } | undefined {
  const map = skipHeader(buf, pos)
  if (map === undefined) return undefined
  const b = buf[pos]!
  if (!((b >= 0x80 && b <= 0x8f) || b === 0xde || b === 0xdf)) throw new Error('header is not a map')
  const fields = new Map<string, number>()
  let p = map.end
  for (let i = 0; i < map.children / 2; i++) {
    const key = skipHeader(buf, p)
    if (key === undefined) return undefined
    const k = buf[p]!
    const strHdr = k >= 0xa0 && k <= 0xbf ? 1 : k === 0xd9 ? 2 : k === 0xda ? 3 : k === 0xdb ? 5 : -1
    if (strHdr < 0) throw new Error('header key is not a string')
    const name = new TextDecoder().decode(buf.subarray(p + strHdr, key.end))
    const value = skipHeader(buf, key.end)
    if (value === undefined) return undefined
    if (value.children !== 0) throw new Error('header value is not a scalar')
    fields.set(name, scalarOf(buf, key.end))
    p = value.end
  }
  return { end: p, fields }
}

function scalarOf(buf: Uint8Array, pos: number): number {
  const b = buf[pos]!
  if (b <= 0x7f) return b
  if (b === 0xc2 || b === 0xc0) return 0
  if (b === 0xc3) return 1
  // A negative signed count is the wire reader's error to report: never read it as a huge length.
  if (b >= 0xd0 && b <= 0xd3 && buf[pos + 1]! >= 0x80) throw new Error('negative header value')
  if (b === 0xcc || b === 0xd0) return readUint(buf, pos + 1, 1)
  if (b === 0xcd || b === 0xd1) return readUint(buf, pos + 1, 2)
  if (b === 0xce || b === 0xd2) return readUint(buf, pos + 1, 4)
  if (b === 0xcf || b === 0xd3) return readUint(buf, pos + 1, 8)
  throw new Error('header value is not a non-negative integer or boolean')
}

function readUint(buf: Uint8Array, pos: number, bytes: number): number {
  let n = 0
  for (let i = 0; i < bytes; i++) n = n * 256 + buf[pos + i]!
  return n
}
