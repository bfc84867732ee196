/**
 * A client of Serf's agent RPC (serf-rpc.md), for the `gossamer` verbs and for programs: works
 * against a real `serf agent` and against startRpcServer. One TCP connection; `connect` sends the
 * handshake (Seq 1) and `auth` when a key is given. Requests may overlap: replies are matched by
 * Seq, and a header whose Seq is not (or no longer) ours is told from a body by its key set
 * (exactly {Seq, Error}), so a late stream record or the agent's doubled auth reply is consumed
 * cleanly. Streams (`stream`, `monitor`, `query`) are async iterables with abort; breaking out of
 * one sends `stop` (a query's end is its `done` record).
 */
import { connect as netConnect } from 'node:net'
import type { Socket } from 'node:net'
import { AsyncQueue } from './async-queue.ts'
import { RpcError, SERF_ERRORS } from './errors.ts'
import { DEFAULT_CLIENT_MAX_FRAME_BYTES, FrameSplitter } from './frames.ts'
import { IPC_VERSION } from './protocol.ts'
import type { CommandName } from './protocol.ts'
import { parseHostPort } from './address.ts'
import { asArray, asBigint, asBytes, asNumber, asRecord, asString, asStringMap, decodeValue, encodeObjects } from './values.ts'
import type { OutValue, RpcValue } from './values.ts'
import { toMember, toStreamRecord } from './client-records.ts'
import type { QueryRecord, RpcClientOptions, RpcCoordinate, RpcKeyResult, RpcMember, RpcQueryParams, RpcStream, StreamRecord } from './client-records.ts'

export type { QueryRecord, RpcClientOptions, RpcCoordinate, RpcKeyResult, RpcMember, RpcQueryParams, RpcStream, StreamRecord } from './client-records.ts'

/** Serf's reference client dials with a 10 s timeout. */
export const DEFAULT_DIAL_TIMEOUT_MS = 10_000
/** Records buffered per client stream before new ones are dropped (counted in `dropped`). */
const STREAM_BUFFER = 4096

type Reply = { error: string; body: RpcValue | undefined }
type Waiter =
  | { kind: 'call'; body: boolean; resolve: (r: Reply) => void; reject: (err: unknown) => void }
  | { kind: 'stream'; acked: boolean; ack: { resolve: (r: Reply) => void; reject: (err: unknown) => void }; records: AsyncQueue<RpcValue> }

/** Errors of the session checks, which never carry a body (serf-rpc.md §1.4). */
const SESSION_ERRORS: ReadonlySet<string> = new Set([SERF_ERRORS.handshakeRequired, SERF_ERRORS.authRequired, SERF_ERRORS.unsupportedCommand, SERF_ERRORS.unsupportedVersion, SERF_ERRORS.duplicateHandshake, SERF_ERRORS.invalidAuthToken])
/** Responses that carry a body (serf-rpc.md §1.4). */
const WITH_BODY: ReadonlySet<string> = new Set(['join', 'members', 'members-filtered', 'install-key', 'use-key', 'remove-key', 'list-keys', 'stats', 'get-coordinate', 'gossamer-leader', 'gossamer-assignments'])

export class RpcClient {
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

  /** Dials, handshakes and authenticates; rejects ERR_RPC_CONNECT with the reason. */
  static async connect(options: RpcClientOptions): Promise<RpcClient> {
    let host: string
    let port: number
    try {
      ;({ host, port } = parseHostPort(options.addr, 'rpc-addr'))
    } catch (err) {
      throw new RpcError('ERR_RPC_CONNECT', (err as Error).message, { cause: err })
    }
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = netConnect({ host, port, noDelay: true })
      const timer = setTimeout(() => {
        s.destroy()
        reject(new RpcError('ERR_RPC_CONNECT', `dial tcp ${options.addr}: i/o timeout`))
      }, options.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS)
      s.once('connect', () => {
        clearTimeout(timer)
        s.removeAllListeners('error')
        resolve(s)
      })
      s.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer)
        const reason = err.code === 'ECONNREFUSED' ? 'connect: connection refused' : err.message
        reject(new RpcError('ERR_RPC_CONNECT', `dial tcp ${options.addr}: ${reason}`, { cause: err }))
      })
    })
    const client = new RpcClient(socket, options.maxFrameBytes ?? DEFAULT_CLIENT_MAX_FRAME_BYTES)
    try {
      await client.call('handshake', { Version: IPC_VERSION })
      if (options.authKey !== undefined && options.authKey !== '') await client.call('auth', { AuthKey: options.authKey })
    } catch (err) {
      client.close()
      throw new RpcError('ERR_RPC_CONNECT', (err as Error).message, { cause: err })
    }
    return client
  }

  close(): void {
    this.socket.destroy()
    this.fail(new RpcError('ERR_RPC_CLOSED', 'client closed'))
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close()
  }

  // ---- commands -------------------------------------------------------------------------------

  /** Authenticates this connection (connect does it when given `authKey`). */
  async auth(key: string): Promise<void> {
    await this.call('auth', { AuthKey: key })
  }

  async members(): Promise<RpcMember[]> {
    return asArray(asRecord(await this.call('members')).Members).map(toMember)
  }

  async membersFiltered(filter: { tags?: Record<string, string>; status?: string; name?: string }): Promise<RpcMember[]> {
    const body = await this.call('members-filtered', { Tags: filter.tags ?? {}, Status: filter.status ?? '', Name: filter.name ?? '' })
    return asArray(asRecord(body).Members).map(toMember)
  }

  async join(addresses: string[], replay = false): Promise<number> {
    return asNumber(asRecord(await this.call('join', { Existing: addresses, Replay: replay })).Num)
  }

  async leave(): Promise<void> {
    await this.call('leave')
  }

  async forceLeave(node: string, prune = false): Promise<void> {
    await this.call('force-leave', { Node: node, Prune: prune })
  }

  async updateTags(set: Record<string, string>, remove: string[]): Promise<void> {
    await this.call('tags', { Tags: set, DeleteTags: remove })
  }

  async userEvent(name: string, payload: Uint8Array | null, coalesce: boolean): Promise<void> {
    await this.call('event', { Name: name, Payload: payload, Coalesce: coalesce })
  }

  async respond(id: bigint, payload: Uint8Array | null): Promise<void> {
    await this.call('respond', { ID: id, Payload: payload })
  }

  async stats(): Promise<Record<string, Record<string, string>>> {
    const out: Record<string, Record<string, string>> = {}
    for (const [k, v] of Object.entries(asRecord(await this.call('stats')))) out[k] = asStringMap(v)
    return out
  }

  async getCoordinate(node: string): Promise<RpcCoordinate | undefined> {
    const body = asRecord(await this.call('get-coordinate', { Node: node }))
    if (body.Ok !== true) return undefined
    const c = asRecord(body.Coord)
    return { vec: asArray(c.Vec).map(asNumber), error: asNumber(c.Error), adjustment: asNumber(c.Adjustment), height: asNumber(c.Height) }
  }

  /** Gossamer's own: the group's leader as a Gossamer agent knows it (a serf agent answers "Unsupported command"). */
  async leader(group: string): Promise<{ group: string; leader: string; term: number; isSelf: boolean }> {
    const b = asRecord(await this.call('gossamer-leader', { Group: group }))
    return { group: asString(b.Group), leader: asString(b.Leader), term: asNumber(b.Term), isSelf: b.IsSelf === true }
  }

  /** Gossamer's own: the agent's worker assignment in `group` (version 0: none yet). */
  async assignments(group: string): Promise<{ group: string; version: number; term: number; leader: string; partitions: number[]; totalPartitions: number; workers: number }> {
    const b = asRecord(await this.call('gossamer-assignments', { Group: group }))
    return {
      group: asString(b.Group),
      version: asNumber(b.Version),
      term: asNumber(b.Term),
      leader: asString(b.Leader),
      partitions: asArray(b.Partitions).map(asNumber),
      totalPartitions: asNumber(b.TotalPartitions),
      workers: asNumber(b.Workers),
    }
  }

  installKey(key: string): Promise<RpcKeyResult> {
    return this.keyCall('install-key', { Key: key })
  }
  useKey(key: string): Promise<RpcKeyResult> {
    return this.keyCall('use-key', { Key: key })
  }
  removeKey(key: string): Promise<RpcKeyResult> {
    return this.keyCall('remove-key', { Key: key })
  }
  listKeys(): Promise<RpcKeyResult> {
    return this.keyCall('list-keys')
  }

  /** Opens an event stream with Serf's filter syntax (`*`, `member-join`, `user:deploy`, ...). */
  async stream(filter: string): Promise<RpcStream<StreamRecord>> {
    const { seq, records } = await this.openStream('stream', { Type: filter })
    return this.mapStream(seq, records, true, (v) => toStreamRecord(asRecord(v)))
  }

  /** Opens the agent's log stream at `level` (trace/debug/info/warn/err): the backlog, then live lines. */
  async monitor(level: string): Promise<RpcStream<string>> {
    const { seq, records } = await this.openStream('monitor', { LogLevel: level })
    return this.mapStream(seq, records, true, (v) => asString(asRecord(v).Log))
  }

  /** Sends a query; the stream yields acks and responses and ends at the agent's `done` record. */
  async query(params: RpcQueryParams): Promise<RpcStream<QueryRecord>> {
    const body: OutValue = {
      FilterNodes: params.filterNodes ?? [],
      FilterTags: params.filterTags ?? {},
      RequestAck: params.requestAck ?? false,
      RelayFactor: params.relayFactor ?? 0,
      Timeout: params.timeoutNs ?? 0n,
      Name: params.name,
      Payload: params.payload ?? null,
    }
    const { seq, records } = await this.openStream('query', body)
    const out = new AsyncQueue<QueryRecord>(STREAM_BUFFER, () => this.forget(seq))
    void (async () => {
      try {
        for await (const v of records) {
          const r = asRecord(v)
          const type = asString(r.Type)
          const from = asString(r.From)
          // The agent ends with `done`; an ack/response without a sender is the same end (Go's CLI rule).
          if (type === 'done' || from === '') break
          if (type === 'ack') out.push({ type: 'ack', from })
          else if (type === 'response') out.push({ type: 'response', from, payload: asBytes(r.Payload) })
        }
        out.end()
      } catch (err) {
        out.end(err)
      } finally {
        this.forget(seq)
      }
    })()
    return Object.assign(out, { stop: () => out[Symbol.asyncIterator]().return?.() }) as unknown as RpcStream<QueryRecord>
  }

  // ---- plumbing -------------------------------------------------------------------------------

  private nextSeq(): bigint {
    this.seq += 1n
    return this.seq
  }

  private write(command: CommandName, seq: bigint, body: OutValue | undefined): void {
    const head = { Command: command, Seq: seq }
    this.socket.write(body === undefined ? encodeObjects(head) : encodeObjects(head, body))
  }

  /** One request and its reply; rejects ERR_RPC_REMOTE with the agent's text when Error is set. */
  private async call(command: CommandName, body?: OutValue): Promise<RpcValue | undefined> {
    const reply = await this.request(command, body)
    if (reply.error !== '') throw new RpcError('ERR_RPC_REMOTE', reply.error, { details: { command } })
    return reply.body
  }

  private request(command: CommandName, body?: OutValue): Promise<Reply> {
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith)
    const seq = this.nextSeq()
    return new Promise<Reply>((resolve, reject) => {
      this.waiters.set(seq, { kind: 'call', body: WITH_BODY.has(command), resolve, reject })
      this.write(command, seq, body)
    })
  }

  private async keyCall(command: 'install-key' | 'use-key' | 'remove-key' | 'list-keys', body?: OutValue): Promise<RpcKeyResult> {
    const reply = await this.request(command, body)
    if (reply.body === undefined) throw new RpcError('ERR_RPC_REMOTE', reply.error, { details: { command } })
    const r = asRecord(reply.body)
    const keys = r.Keys === null || r.Keys === undefined ? null : Object.fromEntries(Object.entries(asRecord(r.Keys)).map(([k, v]) => [k, asNumber(v)]))
    return { error: reply.error, messages: asStringMap(r.Messages), keys, numNodes: asNumber(r.NumNodes), numErr: asNumber(r.NumErr), numResp: asNumber(r.NumResp) }
  }

  private openStream(command: 'stream' | 'monitor' | 'query', body: OutValue): Promise<{ seq: bigint; records: AsyncQueue<RpcValue> }> {
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

  private mapStream<T>(seq: bigint, records: AsyncQueue<RpcValue>, sendStop: boolean, map: (v: RpcValue) => T): RpcStream<T> {
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

  private forget(seq: bigint): void {
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
