/**
 * swim's TCP streams through its own mailbox. The transport calls back on its own schedule (a
 * socket's bytes, its end, a dial's outcome). Left as they were, those callbacks ran the core
 * outside any turn of the machine: the context saw what they changed only at the next turn, and an
 * inspector never saw them. The gate turns each into a `swim.stream` message that swim sends
 * itself; the machine hands it back here in a turn (`dispatch`), where the core meets it, as it
 * meets packets and timers.
 *
 * The core holds a GatedStream in place of the transport's: what it writes goes out at once (an
 * effect of the turn that decided it), what arrives reaches its handlers as the messages are
 * dispatched, in the order the transport reported it (one mailbox, first in, first out). A dial
 * and the stream it opens share one id.
 *
 * Bounded as every message is: a message the mailbox refuses (past its ceiling) breaks its stream,
 * as a reset would. The stream is closed at once, the core gets its end, with ERR_TRANSPORT_CLOSED,
 * at the next turn (`settle`), so nothing the core holds waits for news that will not come, and
 * what was still queued for it is discarded. Both are counted. The bytes waiting in the mailbox
 * have a bound of their own (`setQueueBound`: swim's streamBufferBudgetBytes), since the byte
 * budget of the core's reads (push-pull.ts) sees them only once dispatched: a stream whose bytes
 * would pass it breaks the same way, so a peer that floods streams cannot fill memory through the
 * mailbox either.
 */
import type { Stream, TransportAddress, TransportErrorCode } from '../../src/transport/transport.ts'
import { TransportError } from '../../src/transport/transport.ts'
import type { DialCallback } from './effects.ts'
import type { StreamEventMsg } from './protocol.ts'

/** What the gate counts (kept in the runner's counts: runner-counts.ts). */
export interface StreamGateCounts {
  /** `swim.stream` messages the mailbox refused: each broke its stream (closed, its end owed to the core). */
  streamEventsRefused: number
  /** `swim.stream` messages about no stream the gate holds that no stop explains (sent by someone else, or news of a stream broken earlier): ignored. */
  streamEventsUnknown: number
  /**
   * `swim.stream` messages about streams a stop closed, already in the mailbox at the stop (the
   * news of the stop's own closes and of what was on its way): ignored, and kept apart from
   * streamEventsUnknown so that one counts only what no stop explains.
   */
  streamEventsAfterStop: number
  /**
   * Streams broken because their bytes would have passed the bound on bytes waiting in the mailbox,
   * or because the core left more than MAX_UNREAD_BYTES of them unread (it never listened).
   */
  streamQueueOverflows: number
}

export interface StreamGateHost {
  /** Sends swim this message of its own; false when its mailbox refused it. */
  post(msg: StreamEventMsg): boolean
  readonly counts: StreamGateCounts
}

type Dialer = (to: TransportAddress, timeoutMs: number, cb: DialCallback) => void

/**
 * Bytes a stream may hold for a core that has not listened to it (yet): the core listens in the turn
 * it gets a stream, so only a peer talking on a stream we only write to (a reliable Gossamer send)
 * gets here, and such a stream is broken past this.
 */
export const MAX_UNREAD_BYTES = 64 * 1024

const REFUSED = 'stream broken: its news could not wait in swim’s mailbox (full, or past its byte bound)'

export class StreamGate {
  private readonly streams = new Map<number, GatedStream>()
  private readonly dials = new Map<number, DialCallback>()
  private seq = 0
  /** The last id issued before the latest stop (clear): news of an id up to it that finds nothing came after that stop. */
  private clearedUpTo = 0
  /** Ends (and dial outcomes) owed to the core after a refused message; given at the next turn. */
  private owed: Array<() => void> = []
  /**
   * Bytes posted as `data` and not yet dispatched, over the streams held, and their bound. Each
   * stream keeps its own share, given back when its news is dispatched or when the gate forgets it
   * (its end, a break, a stop). So news the mailbox lost (a `drop-oldest` mailbox displacing a
   * `swim.stream` message) holds room only until its stream is forgotten, never for good.
   */
  private queuedBytes = 0
  private maxQueuedBytes = Infinity

  constructor(private readonly host: StreamGateHost) {}

  /** Bytes that may wait in the mailbox, over all streams (swim's streamBufferBudgetBytes). */
  setQueueBound(bytes: number): void {
    this.maxQueuedBytes = bytes
  }

  /** Bytes waiting in the mailbox now, for tests and stats. */
  get queued(): number {
    return this.queuedBytes
  }

  /** A stream the transport accepted: `accepted` first, then its bytes and its end, as messages. */
  accepted(real: Stream): void {
    const g = this.register(++this.seq, real)
    this.post({ type: 'swim.stream', id: g.id, what: 'accepted' }, g)
  }

  /** Dials with `dial`; the outcome reaches `cb` when its `dialed` message is dispatched. */
  dial(dial: Dialer, to: TransportAddress, timeoutMs: number, cb: DialCallback): void {
    const id = ++this.seq
    this.dials.set(id, cb)
    dial(to, timeoutMs, (err, real) => {
      if (!this.dials.has(id)) return void real?.close() // the gate was cleared meanwhile (a stop)
      const g = err === undefined && real !== undefined ? this.register(id, real) : undefined
      const error = err === undefined ? (g === undefined ? { code: 'ERR_TRANSPORT_DIAL', message: `dial ${to}: no stream` } : undefined) : { code: err.code, message: err.message }
      if (this.host.post({ type: 'swim.stream', id, what: 'dialed', ...(error === undefined ? {} : { error }) })) return
      this.host.counts.streamEventsRefused++
      this.dials.delete(id)
      if (g !== undefined) {
        g.broken = true // its own end (at the close below) is not news to post
        this.forget(g)
      }
      real?.close()
      this.owed.push(() => cb(new TransportError('ERR_TRANSPORT_CLOSED', `dial ${to}: ${REFUSED}`, { to })))
    })
  }

  /** A `swim.stream` message, in a turn: `accept` takes an accepted stream (the running core's, or a refusal). */
  dispatch(msg: StreamEventMsg, accept: (s: Stream) => void): void {
    this.settle()
    if (msg.what === 'dialed') {
      const cb = this.dials.get(msg.id)
      if (cb === undefined) return this.unknown(msg.id)
      this.dials.delete(msg.id)
      const g = this.streams.get(msg.id)
      if (msg.error !== undefined || g === undefined) return cb(errorOf(msg.error ?? { code: 'ERR_TRANSPORT_CLOSED', message: 'stream gone before its dial was told' }))
      return cb(undefined, g)
    }
    const g = this.streams.get(msg.id)
    if (g === undefined) return this.unknown(msg.id) // a forgotten stream's share was given back then
    if (msg.what === 'data') this.release(g, msg.bytes!.length)
    if (msg.what === 'accepted' && !g.inbound) return void this.host.counts.streamEventsUnknown++
    if (msg.what === 'accepted') accept(g)
    else if (msg.what === 'data') g.deliverData(msg.bytes!)
    else {
      this.forget(g)
      g.deliverEnd(msg.error === undefined ? undefined : errorOf(msg.error))
    }
  }

  /** Gives the core what it is owed (ends of broken streams, refused dials' outcomes): call at the start of a turn. */
  settle(): void {
    if (this.owed.length === 0) return
    const owed = this.owed
    this.owed = []
    for (const give of owed) give()
  }

  /** A stop: closes every stream still held and forgets them, their dials and what was owed. */
  clear(): void {
    const held = [...this.streams.values()]
    this.clearedUpTo = this.seq
    for (const g of held) this.release(g, g.queued)
    this.streams.clear()
    this.dials.clear()
    this.owed = []
    for (const g of held) {
      g.broken = true // its end at this close is no news for anyone now
      g.real.close()
    }
  }

  /** Streams held now (accepted or dialled, not yet ended), for tests and stats. */
  get size(): number {
    return this.streams.size
  }

  /** News about no stream held: after a stop when the stop explains it, else unknown. */
  private unknown(id: number): void {
    if (id > 0 && id <= this.clearedUpTo) this.host.counts.streamEventsAfterStop++
    else this.host.counts.streamEventsUnknown++
  }

  private register(id: number, real: Stream): GatedStream {
    const g = new GatedStream(id, real, !this.dials.has(id), () => {
      this.host.counts.streamQueueOverflows++
      this.break(g)
    })
    this.streams.set(id, g)
    real.onData((bytes) => {
      if (g.broken) return
      if (this.queuedBytes + bytes.length > this.maxQueuedBytes) {
        this.host.counts.streamQueueOverflows++
        return this.break(g)
      }
      if (!this.post({ type: 'swim.stream', id, what: 'data', bytes }, g)) return
      g.queued += bytes.length
      this.queuedBytes += bytes.length
    })
    real.onEnd((err) => this.post({ type: 'swim.stream', id, what: 'end', ...(err === undefined ? {} : { error: { code: err.code, message: err.message } }) }, g))
    return g
  }

  private forget(g: GatedStream): void {
    if (this.streams.get(g.id) !== g) return
    this.streams.delete(g.id)
    this.release(g, g.queued)
  }

  /** Gives back `n` of `g`'s bytes waiting in the mailbox. */
  private release(g: GatedStream, n: number): void {
    const k = Math.min(n, g.queued)
    g.queued -= k
    this.queuedBytes -= k
  }

  /** Posts news of `g` (true when it was taken); refused, `g` is broken. */
  private post(msg: StreamEventMsg, g: GatedStream): boolean {
    if (g.broken) return false
    if (this.host.post(msg)) return true
    this.host.counts.streamEventsRefused++
    this.break(g)
    return false
  }

  /** Like a reset: `g` is closed and forgotten, its end (ERR_TRANSPORT_CLOSED) owed to the core, once. */
  private break(g: GatedStream): void {
    g.broken = true
    this.forget(g)
    this.owed.push(() => g.deliverEnd(new TransportError('ERR_TRANSPORT_CLOSED', REFUSED)))
    g.real.close()
  }
}

function errorOf(e: { code: string; message: string }): TransportError {
  return new TransportError(e.code as TransportErrorCode, e.message)
}

/**
 * The stream the core holds: writes go to the transport's stream at once; bytes and the end come
 * from the gate's dispatch. Bytes that come before the core listens wait for its handler, up to
 * MAX_UNREAD_BYTES.
 */
export class GatedStream implements Stream {
  broken = false
  /** @internal Bytes of this stream posted as `data` and not yet dispatched (the gate's accounting). */
  queued = 0
  private dataHandler: ((chunk: Uint8Array) => void) | undefined
  private endHandler: ((err?: TransportError) => void) | undefined
  private early: Uint8Array[] | undefined
  private earlyBytes = 0
  /** The end, once dispatched: `null` for a clean one. Given once. */
  private ended: TransportError | null | undefined
  private endGiven = false

  constructor(
    readonly id: number,
    readonly real: Stream,
    readonly inbound: boolean,
    /** Called once the unread bytes pass MAX_UNREAD_BYTES: the gate breaks the stream. */
    private readonly overflow: () => void,
  ) {}

  get local(): TransportAddress {
    return this.real.local
  }

  get remote(): TransportAddress {
    return this.real.remote
  }

  write(bytes: Uint8Array): boolean {
    return this.real.write(bytes)
  }

  end(): void {
    this.real.end()
  }

  close(): void {
    this.real.close()
  }

  setDeadline(ms: number): void {
    this.real.setDeadline(ms)
  }

  onData(handler: (chunk: Uint8Array) => void): void {
    this.dataHandler = handler
    const early = this.early
    this.early = undefined
    if (early !== undefined) for (const chunk of early) handler(chunk)
  }

  onEnd(handler: (err?: TransportError) => void): void {
    this.endHandler = handler
    if (this.ended !== undefined) this.giveEnd()
  }

  /** @internal The gate's dispatch of bytes. */
  deliverData(chunk: Uint8Array): void {
    if (this.ended !== undefined || this.broken) return
    if (this.dataHandler !== undefined) return this.dataHandler(chunk)
    ;(this.early ??= []).push(chunk)
    this.earlyBytes += chunk.length
    if (this.earlyBytes <= MAX_UNREAD_BYTES) return
    this.early = undefined
    this.overflow()
  }

  /** @internal The gate's dispatch of the end (the first one counts). */
  deliverEnd(err: TransportError | undefined): void {
    if (this.ended !== undefined) return
    this.ended = err ?? null
    if (this.endHandler !== undefined) this.giveEnd()
  }

  private giveEnd(): void {
    if (this.endGiven) return
    this.endGiven = true
    this.endHandler!(this.ended ?? undefined)
  }
}
