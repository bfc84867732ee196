/**
 * Splits one TCP byte stream into msgpack objects. Serf's RPC has no length prefix: a message is a
 * header object, maybe followed by a body object, laid end to end (serf-rpc.md §1.1). So the
 * splitter measures each object's extent (src/wire/msgpack/skip.ts: every declared length and item
 * count is checked against the bytes present, nesting is bounded) and hands out complete ones.
 *
 * Bounds: an object that is still incomplete once `maxFrameBytes` are buffered is refused
 * (ERR_RPC_FRAME_TOO_LARGE), and so is a top-level str/bin/array/map whose declared size alone is
 * over the limit, from its first bytes. Malformed bytes (0xc1, nesting deeper than 32) are
 * ERR_RPC_DECODE. After an error the splitter is spent: the caller closes the connection.
 */
import { readUint } from '../wire/msgpack/measure.ts'
import { MsgpackReader } from '../wire/msgpack/reader.ts'
import { WireCodecError } from '../wire/errors.ts'
import { RpcError } from './errors.ts'

/** Default largest request object a server accepts, in bytes (Serf's largest legal request is ~10 KiB). */
export const DEFAULT_SERVER_MAX_FRAME_BYTES = 1024 * 1024
/** Default largest object a client accepts (a `members` reply of thousands of members), in bytes. */
export const DEFAULT_CLIENT_MAX_FRAME_BYTES = 64 * 1024 * 1024

export class FrameSplitter {
  private buf: Uint8Array = new Uint8Array(0)
  private start = 0
  private failed: RpcError | undefined

  constructor(readonly maxFrameBytes: number) {}

  /** Bytes received and not yet handed out. */
  get buffered(): number {
    return this.buf.length - this.start
  }

  push(chunk: Uint8Array): void {
    if (this.failed !== undefined) return
    const rest = this.buf.subarray(this.start)
    const next = new Uint8Array(rest.length + chunk.length)
    next.set(rest, 0)
    next.set(chunk, rest.length)
    this.buf = next
    this.start = 0
  }

  /** The next complete object's bytes, or undefined when more bytes are needed. Throws RpcError. */
  next(): Uint8Array | undefined {
    if (this.failed !== undefined) throw this.failed
    if (this.start >= this.buf.length) return undefined
    const declared = declaredMinimum(this.buf, this.start)
    if (declared > this.maxFrameBytes) {
      return this.fail('ERR_RPC_FRAME_TOO_LARGE', `a msgpack object declares at least ${declared} bytes, over the ${this.maxFrameBytes}-byte limit`)
    }
    const r = new MsgpackReader(this.buf, this.start, this.buf.length)
    try {
      r.skip()
    } catch (err) {
      if (err instanceof WireCodecError && err.code === 'ERR_WIRE_TRUNCATED') {
        if (this.buffered > this.maxFrameBytes) {
          return this.fail('ERR_RPC_FRAME_TOO_LARGE', `a msgpack object is still incomplete after ${this.buffered} bytes, over the ${this.maxFrameBytes}-byte limit`)
        }
        return undefined
      }
      return this.fail('ERR_RPC_DECODE', `malformed msgpack: ${(err as Error).message}`, err)
    }
    if (r.pos - this.start > this.maxFrameBytes) {
      return this.fail('ERR_RPC_FRAME_TOO_LARGE', `a msgpack object of ${r.pos - this.start} bytes, over the ${this.maxFrameBytes}-byte limit`)
    }
    const frame = this.buf.subarray(this.start, r.pos)
    this.start = r.pos
    if (this.start === this.buf.length) {
      this.buf = new Uint8Array(0)
      this.start = 0
    }
    return frame
  }

  private fail(code: 'ERR_RPC_FRAME_TOO_LARGE' | 'ERR_RPC_DECODE', message: string, cause?: unknown): never {
    this.failed = new RpcError(code, message, cause === undefined ? {} : { cause })
    this.buf = new Uint8Array(0)
    this.start = 0
    throw this.failed
  }
}

/**
 * The least number of bytes the object at `pos` can take, from its first bytes alone: the payload
 * of a str/bin/ext, or one byte per array item / two per map entry. 0 when the header is not all
 * here yet (the full scan decides later).
 */
function declaredMinimum(buf: Uint8Array, pos: number): number {
  const b = buf[pos]!
  const lenAt = (hdr: number, lenBytes: number, perItem: number): number =>
    pos + hdr > buf.length ? 0 : hdr + perItem * readUint(buf, pos + 1, lenBytes)
  switch (b) {
    case 0xc4:
    case 0xd9:
      return lenAt(2, 1, 1)
    case 0xc5:
    case 0xda:
      return lenAt(3, 2, 1)
    case 0xc6:
    case 0xdb:
      return lenAt(5, 4, 1)
    case 0xdc:
      return lenAt(3, 2, 1)
    case 0xdd:
      return lenAt(5, 4, 1)
    case 0xde:
      return lenAt(3, 2, 2)
    case 0xdf:
      return lenAt(5, 4, 2)
    default:
      return 0
  }
}
