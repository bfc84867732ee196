/**
 * A client of Serf's agent RPC (serf-rpc.md), for the `gossamer` verbs and for programs: works
 * against a real `serf agent` and against startRpcServer. Each method is one command with its body
 * typed and its reply decoded (records in client-records.ts); the socket, the Seq matching and the
 * stream plumbing are the connection's (client-connection.ts). `connect` sends the handshake
 * (Seq 1) and `auth` when a key is given. Streams (`stream`, `monitor`, `query`) are async
 * iterables with abort; breaking out of one sends `stop` (a query's end is its `done` record).
 */
import { AsyncQueue } from './async-queue.ts'
import { RpcError } from './errors.ts'
import { DEFAULT_CLIENT_MAX_FRAME_BYTES } from './frames.ts'
import { IPC_VERSION } from './protocol.ts'
import { asArray, asBytes, asNumber, asRecord, asString, asStringMap } from './values.ts'
import type { OutValue } from './values.ts'
import { toMember, toStreamRecord } from './client-records.ts'
import type { QueryRecord, RpcClientOptions, RpcCoordinate, RpcKeyResult, RpcMember, RpcQueryParams, RpcStream, StreamRecord } from './client-records.ts'
import { DEFAULT_DIAL_TIMEOUT_MS, RpcConnection, STREAM_BUFFER } from './client-connection.ts'

export type { QueryRecord, RpcClientOptions, RpcCoordinate, RpcKeyResult, RpcMember, RpcQueryParams, RpcStream, StreamRecord } from './client-records.ts'
export { DEFAULT_DIAL_TIMEOUT_MS } from './client-connection.ts'

export class RpcClient {
  private constructor(private readonly conn: RpcConnection) {}

  /** Dials, handshakes and authenticates; rejects ERR_RPC_CONNECT with the reason. */
  static async connect(options: RpcClientOptions): Promise<RpcClient> {
    const conn = await RpcConnection.dial(options.addr, options.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS, options.maxFrameBytes ?? DEFAULT_CLIENT_MAX_FRAME_BYTES)
    try {
      await conn.call('handshake', { Version: IPC_VERSION })
      if (options.authKey !== undefined && options.authKey !== '') await conn.call('auth', { AuthKey: options.authKey })
    } catch (err) {
      conn.close()
      throw new RpcError('ERR_RPC_CONNECT', (err as Error).message, { cause: err })
    }
    return new RpcClient(conn)
  }

  close(): void {
    this.conn.close()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close()
  }

  /** Authenticates this connection (connect does it when given `authKey`). */
  async auth(key: string): Promise<void> {
    await this.conn.call('auth', { AuthKey: key })
  }

  async members(): Promise<RpcMember[]> {
    return asArray(asRecord(await this.conn.call('members')).Members).map(toMember)
  }

  async membersFiltered(filter: { tags?: Record<string, string>; status?: string; name?: string }): Promise<RpcMember[]> {
    const body = await this.conn.call('members-filtered', { Tags: filter.tags ?? {}, Status: filter.status ?? '', Name: filter.name ?? '' })
    return asArray(asRecord(body).Members).map(toMember)
  }

  async join(addresses: string[], replay = false): Promise<number> {
    return asNumber(asRecord(await this.conn.call('join', { Existing: addresses, Replay: replay })).Num)
  }

  async leave(): Promise<void> {
    await this.conn.call('leave')
  }

  async forceLeave(node: string, prune = false): Promise<void> {
    await this.conn.call('force-leave', { Node: node, Prune: prune })
  }

  async updateTags(set: Record<string, string>, remove: string[]): Promise<void> {
    await this.conn.call('tags', { Tags: set, DeleteTags: remove })
  }

  async userEvent(name: string, payload: Uint8Array | null, coalesce: boolean): Promise<void> {
    await this.conn.call('event', { Name: name, Payload: payload, Coalesce: coalesce })
  }

  async respond(id: bigint, payload: Uint8Array | null): Promise<void> {
    await this.conn.call('respond', { ID: id, Payload: payload })
  }

  async stats(): Promise<Record<string, Record<string, string>>> {
    const out: Record<string, Record<string, string>> = {}
    for (const [k, v] of Object.entries(asRecord(await this.conn.call('stats')))) out[k] = asStringMap(v)
    return out
  }

  async getCoordinate(node: string): Promise<RpcCoordinate | undefined> {
    const body = asRecord(await this.conn.call('get-coordinate', { Node: node }))
    if (body.Ok !== true) return undefined
    const c = asRecord(body.Coord)
    return { vec: asArray(c.Vec).map(asNumber), error: asNumber(c.Error), adjustment: asNumber(c.Adjustment), height: asNumber(c.Height) }
  }

  /** Gossamer's own: the group's leader as a Gossamer agent knows it (a serf agent answers "Unsupported command"). */
  async leader(group: string): Promise<{ group: string; leader: string; term: number; isSelf: boolean }> {
    const b = asRecord(await this.conn.call('gossamer-leader', { Group: group }))
    return { group: asString(b.Group), leader: asString(b.Leader), term: asNumber(b.Term), isSelf: b.IsSelf === true }
  }

  /** Gossamer's own: the agent's worker assignment in `group` (version 0: none yet). */
  async assignments(group: string): Promise<{ group: string; version: number; term: number; leader: string; partitions: number[]; totalPartitions: number; workers: number }> {
    const b = asRecord(await this.conn.call('gossamer-assignments', { Group: group }))
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
    const { seq, records } = await this.conn.openStream('stream', { Type: filter })
    return this.conn.mapStream(seq, records, true, (v) => toStreamRecord(asRecord(v)))
  }

  /** Opens the agent's log stream at `level` (trace/debug/info/warn/err): the backlog, then live lines. */
  async monitor(level: string): Promise<RpcStream<string>> {
    const { seq, records } = await this.conn.openStream('monitor', { LogLevel: level })
    return this.conn.mapStream(seq, records, true, (v) => asString(asRecord(v).Log))
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
    const { seq, records } = await this.conn.openStream('query', body)
    const out = new AsyncQueue<QueryRecord>(STREAM_BUFFER, () => this.conn.forget(seq))
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
        this.conn.forget(seq)
      }
    })()
    return Object.assign(out, { stop: () => out[Symbol.asyncIterator]().return?.() }) as unknown as RpcStream<QueryRecord>
  }

  private async keyCall(command: 'install-key' | 'use-key' | 'remove-key' | 'list-keys', body?: OutValue): Promise<RpcKeyResult> {
    const reply = await this.conn.request(command, body)
    if (reply.body === undefined) throw new RpcError('ERR_RPC_REMOTE', reply.error, { details: { command } })
    const r = asRecord(reply.body)
    const keys = r.Keys === null || r.Keys === undefined ? null : Object.fromEntries(Object.entries(asRecord(r.Keys)).map(([k, v]) => [k, asNumber(v)]))
    return { error: reply.error, messages: asStringMap(r.Messages), keys, numNodes: asNumber(r.NumNodes), numErr: asNumber(r.NumErr), numResp: asNumber(r.NumResp) }
  }
}
