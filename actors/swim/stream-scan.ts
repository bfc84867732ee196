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
 *
 * It also knows early when a message cannot fit the reader's cap: an encrypted frame's length
 * prefix, a push/pull's node count and user-state length, a str/bin header's length or an
 * array's item count give a least total size (every msgpack value takes at least one byte). When
 * that passes `maxBytes` the scan says `'too-large'` at once, so the reader refuses the stream
 * (memberlist refuses an encrypted length over maxPushStateBytes the same way) instead of holding
 * it, and its buffer, until the deadline.
 */
import { measureHeader, readUint } from '../../src/wire/msgpack/measure.ts'

/** Where a scan stands: more bytes needed, complete within the buffer, not understood, or declared larger than the cap. */
export type ScanState = 'incomplete' | 'complete' | 'unknown' | 'too-large'

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
  private phase: 'type' | 'header' | 'values' | 'tail' | 'done' | 'unknown' | 'too-large' = 'type'
  private kind = -1
  /** The least total size (bytes) the message declared, once it passed the cap ('too-large'); else 0. */
  declaredBytes = 0

  /** `maxBytes`: the reader's cap; a message that declares more is 'too-large' (default: no cap). */
  constructor(private readonly maxBytes = Number.POSITIVE_INFINITY) {}

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
        case 'too-large':
          return 'too-large'
        case 'type': {
          if (buf.length < 1) return 'incomplete'
          this.kind = buf[0]!
          this.pos = 1
          if (this.kind === T_ENCRYPT) {
            if (buf.length < 5) return 'incomplete'
            this.tail = new DataView(buf.buffer, buf.byteOffset, 5).getUint32(1)
            this.pos = 5
            this.phase = 'tail'
            this.passesCap(this.pos + this.tail)
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
          this.passesCap(this.pos + this.values + this.tail)
          continue
        }
        case 'values': {
          while (this.values > 0) {
            const next = measureHeader(buf, this.pos)
            if (next === undefined) {
              // A str/bin/ext whose length is known but whose payload is not all here yet.
              const end = declaredPayloadEnd(buf, this.pos)
              if (end !== undefined && this.passesCap(end + this.values - 1 + this.tail)) return 'too-large'
              return 'incomplete'
            }
            this.pos = next.end
            this.values += next.children - 1
            if (this.passesCap(this.pos + this.values + this.tail)) return 'too-large'
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

  /** Marks the scan 'too-large' when a message of at least `leastBytes` cannot fit the cap. */
  private passesCap(leastBytes: number): boolean {
    if (leastBytes <= this.maxBytes) return false
    this.declaredBytes = leastBytes
    this.phase = 'too-large'
    return true
  }
}

/** str, bin and ext headers: [bytes of the length field, header bytes after it (ext's type byte)]. */
const PAYLOAD_HEADERS = new Map<number, readonly [number, number]>([
  [0xc4, [1, 0]],
  [0xc5, [2, 0]],
  [0xc6, [4, 0]],
  [0xd9, [1, 0]],
  [0xda, [2, 0]],
  [0xdb, [4, 0]],
  [0xc7, [1, 1]],
  [0xc8, [2, 1]],
  [0xc9, [4, 1]],
])

/**
 * Where the str, bin or ext value at `pos` ends, from its length header alone (its payload need not
 * be here yet); undefined for other values or while the length bytes are still missing.
 */
function declaredPayloadEnd(buf: Uint8Array, pos: number): number | undefined {
  const b = buf[pos]
  if (b === undefined) return undefined
  if (b >= 0xa0 && b <= 0xbf) return pos + 1 + (b & 0x1f)
  const s = PAYLOAD_HEADERS.get(b)
  if (s === undefined) return undefined
  const [lenBytes, extra] = s
  if (buf.length < pos + 1 + lenBytes) return undefined
  return pos + 1 + lenBytes + extra + readUint(buf, pos + 1, lenBytes)
}

/** A flat map of string keys to unsigned integers or booleans (the push/pull and user headers). */
function readHeaderMap(buf: Uint8Array, pos: number): { end: number; fields: Map<string, number> } | undefined {
  const map = measureHeader(buf, pos)
  if (map === undefined) return undefined
  const b = buf[pos]!
  if (!((b >= 0x80 && b <= 0x8f) || b === 0xde || b === 0xdf)) throw new Error('header is not a map')
  const fields = new Map<string, number>()
  let p = map.end
  for (let i = 0; i < map.children / 2; i++) {
    const key = measureHeader(buf, p)
    if (key === undefined) return undefined
    const k = buf[p]!
    const strHdr = k >= 0xa0 && k <= 0xbf ? 1 : k === 0xd9 ? 2 : k === 0xda ? 3 : k === 0xdb ? 5 : -1
    if (strHdr < 0) throw new Error('header key is not a string')
    const name = new TextDecoder().decode(buf.subarray(p + strHdr, key.end))
    const value = measureHeader(buf, key.end)
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
