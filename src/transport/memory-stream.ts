/**
 * MemoryStream: one side of an in-memory stream of a MemoryNetwork. Chunks arrive after the link's
 * one-way latency plus any retransmission delay, never reordered; half-close and abort behave as TCP.
 */
import type { Stream, TransportAddress } from './transport.ts'
import { TransportError } from './transport.ts'

/** What a stream needs from its network. */
export interface StreamNetwork {
  readonly clock: { now(): number; setTimeout(fn: () => void, ms: number): unknown }
  countStreamBytes(from: TransportAddress, to: TransportAddress, n: number): void
  /** Extra delay of a write of `bytes` (segments lost and retransmitted). */
  retransmitDelay(from: TransportAddress, to: TransportAddress, bytes: number): number
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
  /** Delivery never reorders: each chunk is due no earlier than the previous one. */
  private lastDueMs = 0

  private constructor(
    private readonly network: StreamNetwork,
    readonly local: TransportAddress,
    readonly remote: TransportAddress,
    private readonly latencyMs: number,
  ) {}

  static pair(network: StreamNetwork, a: TransportAddress, b: TransportAddress, latencyMs: number): [MemoryStream, MemoryStream] {
    const x = new MemoryStream(network, a, b, latencyMs)
    const y = new MemoryStream(network, b, a, latencyMs)
    x.peer = y
    y.peer = x
    return [x, y]
  }

  write(bytes: Uint8Array): boolean {
    if (!this.writable) return false
    const copy = bytes.slice()
    this.network.countStreamBytes(this.local, this.remote, copy.length)
    this.schedule(() => this.peer.arrive(copy), this.network.retransmitDelay(this.local, this.remote, copy.length))
    return true
  }

  end(): void {
    if (!this.writable) return
    this.writable = false
    this.schedule(() => this.peer.finish())
  }

  close(): void {
    if (this.ended && !this.writable) return
    this.writable = false
    this.finish(undefined, true)
    this.schedule(() => this.peer.finish(new TransportError('ERR_TRANSPORT_CLOSED', 'stream closed by peer')))
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
  }

  private schedule(fn: () => void, extraMs = 0): void {
    const now = this.network.clock.now()
    const due = Math.max(now + this.latencyMs + extraMs, this.lastDueMs)
    this.lastDueMs = due
    this.network.clock.setTimeout(fn, due - now)
  }

  private arrive(chunk: Uint8Array): void {
    if (this.ended) return
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
  }
}
