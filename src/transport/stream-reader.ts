/**
 * Reading one message from a stream, with the bounds a stream needs: a cap on the bytes a message
 * may take, an optional deadline, and a close on every failure, so a caller cannot leak the socket
 * by forgetting one path. `exchangeOnce` is the initiator's form (send a request, read the reply,
 * close whatever happens); `readOneMessage` the responder's (read the request, leave the stream
 * open for the reply). The parser is the caller's: this file knows nothing of memberlist's framing.
 * A read may also hold its buffer against a budget shared with other reads (stream-budget.ts).
 */
import { ClusterError, fromWireError, toWireError } from '../errors/index.ts'
import type { ByteLease } from './stream-budget.ts'
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
  /**
   * The buffer's capacity is held against this lease (a shared StreamByteBudget): a growth it
   * refuses fails the read with ERR_TRANSPORT_BUDGET. The caller owns the lease and releases it
   * when done with the message (the message may still reference the buffer).
   */
  lease?: ByteLease
}

export type ReadCallback<T> = (err: ClusterError | undefined, value?: T) => void

/**
 * Reads exactly one message. On failure (too large, malformed, ended or closed first, deadline) the
 * stream is closed before `cb` gets the error; on success the stream stays open for a reply and
 * bytes after the message are ignored.
 */
export function readOneMessage<T>(stream: Stream, options: ReadOneOptions<T>, cb: ReadCallback<T>): void {
  const buf = new GrowableBuffer(options.maxBytes, options.lease)
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
    if (!buf.append(chunk)) {
      const err = new TransportError('ERR_TRANSPORT_BUDGET', `stream message from ${stream.remote} refused at ${buf.length + chunk.length} bytes: the shared stream buffer budget is spent`, {
        received: buf.length + chunk.length,
      })
      return finish(err)
    }
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

/**
 * Appends chunks with amortised doubling (a plain concat per chunk copies O(n²) bytes). With a
 * lease, every allocation is held against it first: the doubled capacity if the budget covers it,
 * else just what is needed, else the append is refused.
 */
class GrowableBuffer {
  private bytes = new Uint8Array(0)
  length = 0

  /** `capacityLimit`: never allocate more than this (bytes): doubling past the cap would waste up to half. */
  constructor(
    private readonly capacityLimit: number,
    private readonly lease?: ByteLease,
  ) {}

  /** False (nothing appended) when the lease cannot cover the capacity needed. */
  append(chunk: Uint8Array): boolean {
    const need = this.length + chunk.length
    if (need > this.bytes.length) {
      let capacity = Math.max(need, Math.min(Math.max(this.bytes.length * 2, 1024), this.capacityLimit))
      if (this.lease !== undefined && !this.lease.resize(capacity)) {
        capacity = need
        if (!this.lease.resize(capacity)) return false
      }
      const next = new Uint8Array(capacity)
      next.set(this.bytes.subarray(0, this.length))
      this.bytes = next
    }
    this.bytes.set(chunk, this.length)
    this.length = need
    return true
  }

  view(): Uint8Array {
    return this.bytes.subarray(0, this.length)
  }
}
