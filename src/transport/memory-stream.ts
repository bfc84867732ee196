/**
 * MemoryStream: one side of an in-memory stream of a MemoryNetwork. Chunks arrive after the link's
 * one-way latency plus any retransmission delay, never reordered; half-close and abort behave as TCP.
 * Deadlines and the idle timeout run on the network's clock, as NetTransport's run on real time.
 */
import type { Stream, TransportAddress } from './transport.ts'
import { TransportError } from './transport.ts'

/** What a stream needs from its network. */
export interface StreamNetwork {
  readonly clock: { now(): number; setTimeout(fn: () => void, ms: number): unknown; clearTimeout(id: unknown): void }
  countStreamBytes(from: TransportAddress, to: TransportAddress, n: number): void
  /** Extra delay of a write of `bytes` (segments lost and retransmitted). */
  retransmitDelay(from: TransportAddress, to: TransportAddress, bytes: number): number
}

/** What one side reports to its transport: a limit fired, or the side is over (both directions). */
export interface StreamSideHooks {
  idleTimeoutMs: number
  onDeadline(): void
  onIdle(): void
  onDone(side: MemoryStream): void
}

/** One side of an in-memory stream. Chunks arrive after the one-way latency, in order. */
export class MemoryStream implements Stream {
  private peer!: MemoryStream
  private dataHandler: ((c: Uint8Array) => void) | undefined
  private endHandler: ((err?: TransportError) => void) | undefined
  private buffered: Uint8Array[] = []
  private writable = true
  private ended = false
  private bufferedEnd: { err?: TransportError } | undefined
  /** An end delivered while no onEnd handler was set: given to the handler when it is set. */
  private unheardEnd: { err?: TransportError } | undefined
  /** Delivery never reorders: each chunk is due no earlier than the previous one. */
  private lastDueMs = 0
  private done = false
  private deadlineTimer: unknown
  private idleTimer: unknown
  /** Last byte written or received (network clock, ms): the idle timer measures from here. */
  private lastActivityMs: number

  private constructor(
    private readonly network: StreamNetwork,
    readonly local: TransportAddress,
    readonly remote: TransportAddress,
    private readonly latencyMs: number,
    private readonly hooks: StreamSideHooks,
  ) {
    this.lastActivityMs = network.clock.now()
    this.armIdle(hooks.idleTimeoutMs)
  }

  /** Both sides of one stream: `a` dialled, `b` accepted; each with its own transport's hooks. */
  static pair(network: StreamNetwork, a: TransportAddress, b: TransportAddress, latencyMs: number, hooksA: StreamSideHooks, hooksB: StreamSideHooks): [MemoryStream, MemoryStream] {
    const x = new MemoryStream(network, a, b, latencyMs, hooksA)
    const y = new MemoryStream(network, b, a, latencyMs, hooksB)
    x.peer = y
    y.peer = x
    return [x, y]
  }

  /** Both directions are over (ended and closed or half-closed both ways). */
  isOver(): boolean {
    return this.done
  }

  setDeadline(ms: number): void {
    if (this.done) return
    if (this.deadlineTimer !== undefined) this.network.clock.clearTimeout(this.deadlineTimer)
    this.deadlineTimer = this.network.clock.setTimeout(() => {
      this.deadlineTimer = undefined
      if (this.done) return
      this.hooks.onDeadline()
      this.abort(new TransportError('ERR_TRANSPORT_TIMEOUT', `stream ${this.local} -> ${this.remote}: deadline of ${ms} ms passed`))
    }, Math.max(0, ms))
  }

  write(bytes: Uint8Array): boolean {
    if (!this.writable) return false
    this.lastActivityMs = this.network.clock.now()
    const copy = bytes.slice()
    this.network.countStreamBytes(this.local, this.remote, copy.length)
    this.schedule(() => this.peer.arrive(copy), this.network.retransmitDelay(this.local, this.remote, copy.length))
    return true
  }

  end(): void {
    if (!this.writable) return
    this.writable = false
    this.schedule(() => this.peer.finish())
    this.settle()
  }

  close(): void {
    this.abort(undefined)
  }

  /** Aborts both directions; our onEnd gets `err` (none for a plain close), the peer's a close. */
  private abort(err: TransportError | undefined): void {
    if (this.ended && !this.writable) return
    this.writable = false
    this.finish(err, true)
    this.schedule(() => this.peer.finish(new TransportError('ERR_TRANSPORT_CLOSED', 'stream closed by peer')))
    this.settle()
  }

  /** Once both directions are over: timers stop and the transport forgets the stream. */
  private settle(): void {
    if (this.done || !this.ended || this.writable) return
    this.done = true
    if (this.deadlineTimer !== undefined) this.network.clock.clearTimeout(this.deadlineTimer)
    if (this.idleTimer !== undefined) this.network.clock.clearTimeout(this.idleTimer)
    this.deadlineTimer = undefined
    this.idleTimer = undefined
    this.hooks.onDone(this)
  }

  /** One timer per idle period: when it fires early (there was traffic), it re-arms for the rest. */
  private armIdle(ms: number): void {
    this.idleTimer = this.network.clock.setTimeout(() => {
      this.idleTimer = undefined
      if (this.done) return
      const idleFor = this.network.clock.now() - this.lastActivityMs
      const limit = this.hooks.idleTimeoutMs
      if (idleFor < limit) return this.armIdle(limit - idleFor)
      this.hooks.onIdle()
      this.abort(new TransportError('ERR_TRANSPORT_IDLE', `stream ${this.local} -> ${this.remote}: idle for ${idleFor} ms`))
    }, ms)
  }

  onData(handler: (chunk: Uint8Array) => void): void {
    this.dataHandler = handler
    const pending = this.buffered
    this.buffered = []
    for (const c of pending) handler(c)
    if (this.bufferedEnd !== undefined) {
      const e = this.bufferedEnd
      this.bufferedEnd = undefined
      this.deliverEnd(e.err)
    }
  }

  onEnd(handler: (err?: TransportError) => void): void {
    this.endHandler = handler
    // The end was delivered before anyone listened for it (data handler set first): hand it over now.
    if (this.unheardEnd === undefined) return
    const { err } = this.unheardEnd
    this.unheardEnd = undefined
    handler(err)
  }

  private schedule(fn: () => void, extraMs = 0): void {
    const now = this.network.clock.now()
    const due = Math.max(now + this.latencyMs + extraMs, this.lastDueMs)
    this.lastDueMs = due
    this.network.clock.setTimeout(fn, due - now)
  }

  private arrive(chunk: Uint8Array): void {
    if (this.ended) return
    this.lastActivityMs = this.network.clock.now()
    if (this.dataHandler === undefined) this.buffered.push(chunk)
    else this.dataHandler(chunk)
  }

  private finish(err?: TransportError, local = false): void {
    if (this.ended) return
    if (this.dataHandler === undefined && !local) {
      this.bufferedEnd = err === undefined ? {} : { err }
      return
    }
    this.deliverEnd(err)
  }

  private deliverEnd(err?: TransportError): void {
    if (this.ended) return
    this.ended = true
    // A half-close by the peer leaves our direction open (TCP); an error closes both.
    if (err !== undefined) this.writable = false
    if (this.endHandler !== undefined) this.endHandler(err)
    else this.unheardEnd = err === undefined ? {} : { err }
    this.settle()
  }
}
