/**
 * Reading one message from a stream, with the bounds a stream needs: a cap on the bytes a message
 * may take, an optional deadline, and a close on every failure, so a caller cannot leak the socket
 * by forgetting one path. `exchangeOnce` is the initiator's form (send a request, read the reply,
 * close whatever happens); `readOneMessage` the responder's (read the request, leave the stream
 * open for the reply). The parser is the caller's: this file knows nothing of memberlist's framing.
 */
import { ClusterError, fromWireError, toWireError } from '../errors/index.ts'
import type { Stream } from './transport.ts'
import { TransportError } from './transport.ts'

/** What a parser says about the bytes received so far. */
export type ParseResult<T> = { done: false } | { done: true; value: T }

export interface ReadOneOptions<T> {
  /** Largest message accepted (bytes); more is refused with ERR_TRANSPORT_TOO_LARGE and the stream closed. */
  maxBytes: number
  /** Parses the bytes so far: not done yet, or one message. Throws a coded error on malformed input. */
  parse(bytes: Uint8Array): ParseResult<T>
  /** Stream.setDeadline(deadlineMs) before reading: the whole stream ends by then. */
  deadlineMs?: number
  /** Called once when the stream is over, whatever ended it (bookkeeping of open streams). */
  onClose?: () => void
}

export type ReadCallback<T> = (err: ClusterError | undefined, value?: T) => void

/**
 * Reads exactly one message. On failure (too large, malformed, ended or closed first, deadline) the
 * stream is closed before `cb` gets the error; on success the stream stays open for a reply and
 * bytes after the message are ignored.
 */
export function readOneMessage<T>(stream: Stream, options: ReadOneOptions<T>, cb: ReadCallback<T>): void {
  const buf = new GrowableBuffer(options.maxBytes)
  let done = false
  let closed = false
  const finish = (err: ClusterError | undefined, value?: T) => {
    if (done) return
    done = true
    if (err !== undefined) stream.close()
    cb(err, value)
  }
  if (options.deadlineMs !== undefined) stream.setDeadline(options.deadlineMs)
  stream.onData((chunk) => {
    if (done) return
    if (buf.length + chunk.length > options.maxBytes) {
      const err = new TransportError('ERR_TRANSPORT_TOO_LARGE', `stream message from ${stream.remote} passes ${options.maxBytes} bytes`, {
        maxBytes: options.maxBytes,
        received: buf.length + chunk.length,
      })
      return finish(err)
    }
    buf.append(chunk)
    let r: ParseResult<T>
    try {
      r = options.parse(buf.view())
    } catch (e) {
      return finish(e instanceof ClusterError ? e : fromWireError(toWireError(e)))
    }
    if (r.done) finish(undefined, r.value)
  })
  stream.onEnd((err) => {
    finish(err ?? new TransportError('ERR_TRANSPORT_CLOSED', `stream from ${stream.remote} ended before a complete message`))
    if (closed) return
    closed = true
    options.onClose?.()
  })
}

/**
 * Initiator: writes `request`, reads one reply, then closes the stream in every case (reply,
 * error, deadline), before `cb` runs.
 */
export function exchangeOnce<T>(stream: Stream, request: Uint8Array, options: ReadOneOptions<T>, cb: ReadCallback<T>): void {
  readOneMessage(stream, options, (err, value) => {
    stream.close()
    cb(err, value)
  })
  stream.write(request)
}

/** Appends chunks with amortised doubling (a plain concat per chunk copies O(n²) bytes). */
class GrowableBuffer {
  private bytes = new Uint8Array(0)
  length = 0

  /** `capacityLimit`: never allocate more than this (bytes): doubling past the cap would waste up to half. */
  constructor(private readonly capacityLimit: number) {}

  append(chunk: Uint8Array): void {
    const need = this.length + chunk.length
    if (need > this.bytes.length) {
      const next = new Uint8Array(Math.max(need, Math.min(Math.max(this.bytes.length * 2, 1024), this.capacityLimit)))
      next.set(this.bytes.subarray(0, this.length))
      this.bytes = next
    }
    this.bytes.set(chunk, this.length)
    this.length = need
  }

  view(): Uint8Array {
    return this.bytes.subarray(0, this.length)
  }
}
