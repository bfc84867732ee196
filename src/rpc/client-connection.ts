/**
 * The connection under the RPC client (client.ts): one TCP socket to a Serf or Gossamer agent,
 * the Seq numbering, and the matching of what the agent sends back to the request waiting for it.
 * Requests may overlap: replies are matched by Seq, and a header whose Seq is not (or no longer)
 * ours is told from a body by its key set (exactly {Seq, Error}), so a late stream record or the
 * agent's doubled auth reply is consumed cleanly. Separate from client.ts because this framing
 * and matching is the same for every command; client.ts only names the commands and types their
 * bodies.
 */
import { connect as netConnect } from 'node:net'
import type { Socket } from 'node:net'
import { AsyncQueue } from './async-queue.ts'
import { RpcError, SERF_ERRORS } from './errors.ts'
import { FrameSplitter } from './frames.ts'
import type { CommandName } from './protocol.ts'
import { parseHostPort } from './address.ts'
import { asBigint, asRecord, asString, decodeValue, encodeObjects } from './values.ts'
import type { OutValue, RpcValue } from './values.ts'
import type { RpcStream } from './client-records.ts'

/** Serf's reference client dials with a 10 s timeout. */
export const DEFAULT_DIAL_TIMEOUT_MS = 10_000
/** Records buffered per client stream before new ones are dropped (counted in `dropped`). */
export const STREAM_BUFFER = 4096

export type Reply = { error: string; body: RpcValue | undefined }
type Waiter =
  | { kind: 'call'; body: boolean; resolve: (r: Reply) => void; reject: (err: unknown) => void }
  | { kind: 'stream'; acked: boolean; ack: { resolve: (r: Reply) => void; reject: (err: unknown) => void }; records: AsyncQueue<RpcValue> }

/** Errors of the session checks, which never carry a body (serf-rpc.md §1.4). */
const SESSION_ERRORS: ReadonlySet<string> = new Set([SERF_ERRORS.handshakeRequired, SERF_ERRORS.authRequired, SERF_ERRORS.unsupportedCommand, SERF_ERRORS.unsupportedVersion, SERF_ERRORS.duplicateHandshake, SERF_ERRORS.invalidAuthToken])
/** Responses that carry a body (serf-rpc.md §1.4). */
const WITH_BODY: ReadonlySet<string> = new Set(['join', 'members', 'members-filtered', 'install-key', 'use-key', 'remove-key', 'list-keys', 'stats', 'get-coordinate', 'gossamer-leader', 'gossamer-assignments'])

export class RpcConnection {
  private seq = 0n
  private readonly waiters = new Map<bigint, Waiter>()
  private readonly splitter: FrameSplitter
  /** After a header: the Seq whose body comes next, or 'unknown' when the next object must be classified. */
  private expecting: { seq: bigint; waiter: Waiter | undefined; error: string } | 'unknown' | null = null
  private closedWith: RpcError | undefined

  private constructor(
    private readonly socket: Socket,
    maxFrameBytes: number,
  ) {
    this.splitter = new FrameSplitter(maxFrameBytes)
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', (err) => this.fail(new RpcError('ERR_RPC_CLOSED', err.message, { cause: err })))
    socket.on('close', () => this.fail(new RpcError('ERR_RPC_CLOSED', 'client closed')))
  }

  /** Dials `addr` (host:port); rejects ERR_RPC_CONNECT with the reason, as Serf's client words it. */
  static async dial(addr: string, dialTimeoutMs: number, maxFrameBytes: number): Promise<RpcConnection> {
    let host: string
    let port: number
    try {
      ;({ host, port } = parseHostPort(addr, 'rpc-addr'))
    } catch (err) {
      throw new RpcError('ERR_RPC_CONNECT', (err as Error).message, { cause: err })
    }
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = netConnect({ host, port, noDelay: true })
      const timer = setTimeout(() => {
        s.destroy()
        reject(new RpcError('ERR_RPC_CONNECT', `dial tcp ${addr}: i/o timeout`))
      }, dialTimeoutMs)
      s.once('connect', () => {
        clearTimeout(timer)
        s.removeAllListeners('error')
        resolve(s)
      })
      s.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer)
        const reason = err.code === 'ECONNREFUSED' ? 'connect: connection refused' : err.message
        reject(new RpcError('ERR_RPC_CONNECT', `dial tcp ${addr}: ${reason}`, { cause: err }))
      })
    })
    return new RpcConnection(socket, maxFrameBytes)
  }

  close(): void {
    this.socket.destroy()
    this.fail(new RpcError('ERR_RPC_CLOSED', 'client closed'))
  }

  private nextSeq(): bigint {
    this.seq += 1n
    return this.seq
  }

  private write(command: CommandName, seq: bigint, body: OutValue | undefined): void {
    const head = { Command: command, Seq: seq }
    this.socket.write(body === undefined ? encodeObjects(head) : encodeObjects(head, body))
  }

  /** One request and its reply; rejects ERR_RPC_REMOTE with the agent's text when Error is set. */
  async call(command: CommandName, body?: OutValue): Promise<RpcValue | undefined> {
    const reply = await this.request(command, body)
    if (reply.error !== '') throw new RpcError('ERR_RPC_REMOTE', reply.error, { details: { command } })
    return reply.body
  }

  /** One request and its reply as sent, Error text included (the key commands carry a body with it). */
  request(command: CommandName, body?: OutValue): Promise<Reply> {
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith)
    const seq = this.nextSeq()
    return new Promise<Reply>((resolve, reject) => {
      this.waiters.set(seq, { kind: 'call', body: WITH_BODY.has(command), resolve, reject })
      this.write(command, seq, body)
    })
  }

  /** Sends a request that opens a stream; resolves with its Seq and records once the agent acknowledged it. */
  openStream(command: 'stream' | 'monitor' | 'query', body: OutValue): Promise<{ seq: bigint; records: AsyncQueue<RpcValue> }> {
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith)
    const seq = this.nextSeq()
    const records = new AsyncQueue<RpcValue>(STREAM_BUFFER)
    return new Promise((resolve, reject) => {
      this.waiters.set(seq, {
        kind: 'stream',
        acked: false,
        records,
        ack: {
          resolve: (r) => {
            if (r.error !== '') {
              this.waiters.delete(seq)
              reject(new RpcError('ERR_RPC_REMOTE', r.error, { details: { command } }))
            } else resolve({ seq, records })
          },
          reject,
        },
      })
      this.write(command, seq, body)
    })
  }

  /** A typed stream over `records`; stopping it forgets the Seq and (if `sendStop`) sends `stop`. */
  mapStream<T>(seq: bigint, records: AsyncQueue<RpcValue>, sendStop: boolean, map: (v: RpcValue) => T): RpcStream<T> {
    const stop = (): void => {
      if (!this.waiters.has(seq)) return
      this.forget(seq)
      if (sendStop && this.closedWith === undefined) {
        // Fire and forget: the reply is consumed by Seq; records still in flight are drained.
        this.request('stop', { Stop: seq }).catch(() => {})
      }
    }
    const out = new AsyncQueue<T>(STREAM_BUFFER, stop)
    void (async () => {
      try {
        for await (const v of records) out.push(map(v))
        out.end()
      } catch (err) {
        out.end(err)
      }
    })()
    return Object.assign(out, {
      stop: () => {
        stop()
        out.end()
      },
    }) as unknown as RpcStream<T>
  }

  /** Stops matching replies to `seq` and ends its records. */
  forget(seq: bigint): void {
    const w = this.waiters.get(seq)
    this.waiters.delete(seq)
    if (w?.kind === 'stream') w.records.end()
  }

  private onData(chunk: Buffer): void {
    this.splitter.push(chunk)
    try {
      for (let frame = this.splitter.next(); frame !== undefined; frame = this.splitter.next()) this.onObject(decodeValue(frame))
    } catch (err) {
      this.socket.destroy()
      this.fail(err instanceof RpcError ? err : new RpcError('ERR_RPC_DECODE', (err as Error).message, { cause: err }))
    }
  }

  private onObject(value: RpcValue): void {
    const pending = this.expecting
    if (pending === 'unknown') {
      this.expecting = null
      // A header of a Seq we do not track, followed by an object: a body unless it is itself a header.
      if (!isHeader(value)) return
    } else if (pending !== null) {
      this.expecting = null
      const w = pending.waiter
      if (w?.kind === 'call') {
        this.waiters.delete(pending.seq)
        w.resolve({ error: pending.error, body: value })
      } else if (w?.kind === 'stream') w.records.push(value)
      return
    }
    if (!isHeader(value)) throw new RpcError('ERR_RPC_DECODE', 'the agent sent an object where a response header was expected')
    const head = asRecord(value)
    const seq = asBigint(head.Seq)
    const error = asString(head.Error)
    const w = this.waiters.get(seq)
    if (w === undefined) {
      this.expecting = 'unknown'
      return
    }
    if (w.kind === 'call') {
      if (w.body && !SESSION_ERRORS.has(error)) this.expecting = { seq, waiter: w, error }
      else {
        this.waiters.delete(seq)
        w.resolve({ error, body: undefined })
      }
      return
    }
    if (!w.acked) {
      w.acked = true
      w.ack.resolve({ error, body: undefined })
      return
    }
    this.expecting = { seq, waiter: w, error }
  }

  private fail(err: RpcError): void {
    if (this.closedWith !== undefined) return
    this.closedWith = err
    for (const w of this.waiters.values()) {
      if (w.kind === 'call') w.reject(err)
      else if (!w.acked) w.ack.reject(err)
      else w.records.end(err)
    }
    this.waiters.clear()
  }
}

/** The structural test of a header: a map whose keys are exactly Seq and Error. */
function isHeader(v: RpcValue): boolean {
  const r = asRecord(v)
  if (r !== v) return false
  const keys = Object.keys(r)
  return keys.length === 2 && keys.includes('Seq') && keys.includes('Error')
}
