/**
 * Splits one TCP byte stream into msgpack objects. Serf's RPC has no length prefix: a message is a
 * header object, maybe followed by a body object, laid end to end (serf-rpc.md §1.1). So the
 * splitter measures each object's extent header by header (src/wire/msgpack/measure.ts) and hands
 * out complete ones. The scan resumes where it stopped when more bytes arrive, and the buffer grows
 * by doubling, so an object that arrives in many chunks costs linear time, not quadratic.
 *
 * Bounds: an object that is still incomplete once `maxFrameBytes` are buffered is refused
 * (ERR_RPC_FRAME_TOO_LARGE), and so is a top-level str/bin/array/map whose declared size alone is
 * over the limit, from its first bytes. Malformed bytes (0xc1, nesting deeper than 32) are
 * ERR_RPC_DECODE. After an error the splitter is spent: the caller closes the connection.
 */
import { measureHeader, readUint } from '../wire/msgpack/measure.ts'
import { DEFAULT_MAX_DEPTH } from '../wire/msgpack/reader.ts'
import { RpcError } from './errors.ts'

/** Default largest request object a server accepts, in bytes (Serf's largest legal request is ~10 KiB). */
export const DEFAULT_SERVER_MAX_FRAME_BYTES = 1024 * 1024
/** Default largest object a client accepts (a `members` reply of thousands of members), in bytes. */
export const DEFAULT_CLIENT_MAX_FRAME_BYTES = 64 * 1024 * 1024

export class FrameSplitter {
  private buf = new Uint8Array(4096)
  /** Start of the object being scanned. */
  private start = 0
  /** End of the bytes received. */
  private end = 0
  /** Where the scan of the current object resumes. */
  private scan = 0
  /** Values still to read at each open nesting level of the current object (empty: not started). */
  private readonly levels: number[] = []
  private failed: RpcError | undefined

  constructor(readonly maxFrameBytes: number) {}

  /** Bytes received and not yet handed out. */
  get buffered(): number {
    return this.end - this.start
  }

  push(chunk: Uint8Array): void {
    if (this.failed !== undefined || chunk.length === 0) return
    if (this.end + chunk.length > this.buf.length) {
      const live = this.end - this.start
      let size = this.buf.length
      while (size < live + chunk.length) size *= 2
      // Compact to the front (and grow when needed); handed-out frames were copies, so this is safe.
      const next = size === this.buf.length ? this.buf : new Uint8Array(size)
      next.set(this.buf.subarray(this.start, this.end), 0)
      this.buf = next
      this.scan -= this.start
      this.end = live
      this.start = 0
    }
    this.buf.set(chunk, this.end)
    this.end += chunk.length
  }

  /** The next complete object's bytes (a copy), or undefined when more bytes are needed. Throws RpcError. */
  next(): Uint8Array | undefined {
    if (this.failed !== undefined) throw this.failed
    if (this.start >= this.end) return undefined
    if (this.levels.length === 0) {
      const declared = declaredMinimum(this.buf, this.start, this.end)
      if (declared > this.maxFrameBytes) {
        return this.fail('ERR_RPC_FRAME_TOO_LARGE', `a msgpack object declares at least ${declared} bytes, over the ${this.maxFrameBytes}-byte limit`)
      }
      this.scan = this.start
      this.levels.push(1)
    }
    while (this.levels.length > 0) {
      let h
      try {
        h = measureHeader(this.buf, this.scan, this.end)
      } catch (err) {
        return this.fail('ERR_RPC_DECODE', `malformed msgpack: ${(err as Error).message}`, err)
      }
      if (h === undefined) {
        if (this.buffered > this.maxFrameBytes) {
          return this.fail('ERR_RPC_FRAME_TOO_LARGE', `a msgpack object is still incomplete after ${this.buffered} bytes, over the ${this.maxFrameBytes}-byte limit`)
        }
        return undefined
      }
      this.scan = h.end
      this.levels[this.levels.length - 1]!--
      if (h.children > 0) {
        if (this.levels.length >= DEFAULT_MAX_DEPTH) return this.fail('ERR_RPC_DECODE', `malformed msgpack: nesting deeper than ${DEFAULT_MAX_DEPTH}`)
        this.levels.push(h.children)
      }
      while (this.levels.length > 0 && this.levels[this.levels.length - 1] === 0) this.levels.pop()
      if (this.scan - this.start > this.maxFrameBytes) {
        return this.fail('ERR_RPC_FRAME_TOO_LARGE', `a msgpack object of more than ${this.maxFrameBytes} bytes`)
      }
    }
    const frame = this.buf.slice(this.start, this.scan)
    this.start = this.scan
    if (this.start === this.end) this.start = this.end = this.scan = 0
    return frame
  }

  private fail(code: 'ERR_RPC_FRAME_TOO_LARGE' | 'ERR_RPC_DECODE', message: string, cause?: unknown): never {
    this.failed = new RpcError(code, message, cause === undefined ? {} : { cause })
    this.buf = new Uint8Array(0)
    this.start = this.end = this.scan = 0
    this.levels.length = 0
    throw this.failed
  }
}

/**
 * The least number of bytes the object at `pos` can take, from its first bytes alone: the payload
 * of a str/bin/ext, or one byte per array item / two per map entry. 0 when the header is not all
 * here yet (the scan decides later).
 */
function declaredMinimum(buf: Uint8Array, pos: number, end: number): number {
  const b = buf[pos]!
  const lenAt = (hdr: number, lenBytes: number, perItem: number): number => (pos + hdr > end ? 0 : hdr + perItem * readUint(buf, pos + 1, lenBytes))
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
