/**
 * The page server's Server-Sent Events clients. At most `maxClients` at once (one more is answered
 * 503 with a coded body). Each frame is encoded once and written to every client; a client whose
 * unsent bytes (what the socket has not taken yet) pass `clientBufferBytes` is not reading and is
 * dropped, counted: memory per client is bounded whatever the client does.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { TOO_MANY_CLIENTS } from './live-errors.ts'

export interface SseHubCounters {
  accepted: number
  refused: number
  dropped: number
  bytesSent: number
}

export class SseHub {
  readonly #clients = new Set<ServerResponse>()
  readonly counters: SseHubCounters = { accepted: 0, refused: 0, dropped: 0, bytesSent: 0 }

  constructor(
    readonly limits: { maxClients: number; clientBufferBytes: number },
    /** Called when the first client joins and after the last one left. */
    readonly onActive: (active: boolean) => void,
  ) {}

  get size(): number {
    return this.#clients.size
  }

  /** Takes the request as a stream client, or answers 503 (over the cap) and returns false. */
  admit(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.#clients.size >= this.limits.maxClients) {
      this.counters.refused++
      const body = JSON.stringify({ error: { code: TOO_MANY_CLIENTS, message: `the live page serves at most ${this.limits.maxClients} clients at once; try again later` } })
      res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '10', 'cache-control': 'no-store', connection: 'close' })
      res.end(body)
      return false
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    })
    // Ask the page to wait 2 s before reconnecting after a drop.
    res.write('retry: 2000\n\n')
    this.#clients.add(res)
    this.counters.accepted++
    const gone = (): void => this.#remove(res)
    req.on('close', gone)
    res.on('close', gone)
    res.on('error', gone)
    if (this.#clients.size === 1) this.onActive(true)
    return true
  }

  #remove(res: ServerResponse): void {
    if (!this.#clients.delete(res)) return
    if (this.#clients.size === 0) this.onActive(false)
  }

  /** One message to one client (the snapshot a new client starts from). */
  sendTo(res: ServerResponse, msg: unknown): void {
    this.#write(res, Buffer.from(`data: ${JSON.stringify(msg)}\n\n`))
  }

  /** One message to every client. */
  broadcast(msg: unknown): void {
    if (this.#clients.size === 0) return
    const frame = Buffer.from(`data: ${JSON.stringify(msg)}\n\n`)
    for (const res of [...this.#clients]) this.#write(res, frame)
  }

  /** A comment line: keeps idle connections open. */
  heartbeat(): void {
    const frame = Buffer.from(':\n\n')
    for (const res of [...this.#clients]) this.#write(res, frame)
  }

  #write(res: ServerResponse, frame: Buffer): void {
    if (!this.#clients.has(res)) return
    res.write(frame)
    this.counters.bytesSent += frame.length
    if (res.writableLength > this.limits.clientBufferBytes) {
      // Not reading: drop it rather than hold an ever-growing buffer for it.
      this.counters.dropped++
      this.#remove(res)
      res.destroy()
    }
  }

  /** Ends every stream (the server is closing). */
  closeAll(): void {
    for (const res of [...this.#clients]) {
      this.#remove(res)
      res.destroy()
    }
  }
}
