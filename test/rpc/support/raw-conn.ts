/**
 * A raw RPC connection for tests: writes msgpack objects (our encoder, or bytes as given) and reads
 * the server's objects one by one with a timeout, so a test sees exactly what went over the wire
 * (key sets, bin vs str) and whether the server closed the socket.
 */
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { FrameSplitter } from '../../../src/rpc/frames.ts'
import { decodeValue, encodeObjects } from '../../../src/rpc/values.ts'
import type { OutValue, RpcValue } from '../../../src/rpc/values.ts'

export class RawConn {
  private readonly objects: Array<{ value: RpcValue; bytes: Uint8Array }> = []
  private waiter: (() => void) | null = null
  private readonly splitter = new FrameSplitter(64 * 1024 * 1024)
  closed = false
  readonly closedPromise: Promise<void>

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.splitter.push(chunk)
      for (let f = this.splitter.next(); f !== undefined; f = this.splitter.next()) this.objects.push({ value: decodeValue(f), bytes: f.slice() })
      this.wake()
    })
    socket.on('error', () => {})
    this.closedPromise = new Promise((resolve) =>
      socket.on('close', () => {
        this.closed = true
        this.wake()
        resolve()
      }),
    )
  }

  static open(addr: string): Promise<RawConn> {
    const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))]
    return new Promise((resolve, reject) => {
      const s = connect({ host, port })
      s.once('connect', () => resolve(new RawConn(s)))
      s.once('error', reject)
    })
  }

  private wake(): void {
    const w = this.waiter
    this.waiter = null
    w?.()
  }

  send(...values: OutValue[]): void {
    this.socket.write(encodeObjects(...values))
  }

  sendBytes(bytes: Uint8Array): void {
    this.socket.write(bytes)
  }

  request(command: string, seq: number, body?: OutValue): void {
    if (body === undefined) this.send({ Command: command, Seq: seq })
    else this.send({ Command: command, Seq: seq }, body)
  }

  /** The next object from the server, or 'closed' when the socket closed first. */
  async next(timeoutMs = 3000): Promise<RpcValue | 'closed'> {
    return (await this.nextRaw(timeoutMs))?.value ?? 'closed'
  }

  async nextRaw(timeoutMs = 3000): Promise<{ value: RpcValue; bytes: Uint8Array } | undefined> {
    const deadline = Date.now() + timeoutMs
    while (this.objects.length === 0) {
      if (this.closed) return undefined
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no object from the server within ${timeoutMs} ms`)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left)
        this.waiter = () => {
          clearTimeout(t)
          resolve()
        }
      })
    }
    return this.objects.shift()
  }

  /** True when nothing arrives for `ms` (and the socket stays open). */
  async quiet(ms: number): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms))
    return this.objects.length === 0
  }

  async handshake(seq = 1): Promise<void> {
    this.request('handshake', seq, { Version: 1 })
    const h = await this.next()
    if (JSON.stringify(h) !== JSON.stringify({ Error: '', Seq: seq })) throw new Error(`handshake failed: ${JSON.stringify(h)}`)
  }

  close(): void {
    this.socket.destroy()
  }
}
