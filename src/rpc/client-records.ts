/**
 * What the RPC client (client.ts) hands its callers: the options, members, stream and query
 * records, key results and coordinates, and the decoding of the agent's member and stream records
 * (serf-rpc.md §2) into them.
 */
import { asArray, asBigint, asBytes, asNumber, asRecord, asString, asStringMap } from './values.ts'
import type { RpcValue } from './values.ts'

export interface RpcClientOptions {
  /** `host:port` of the agent's RPC listener. */
  addr: string
  /** The agent's rpc_auth key; empty or absent: no auth. */
  authKey?: string
  dialTimeoutMs?: number
  maxFrameBytes?: number
}

export interface RpcMember {
  name: string
  addr: Uint8Array
  port: number
  tags: Record<string, string>
  status: string
  protocolMin: number
  protocolMax: number
  protocolCur: number
  delegateMin: number
  delegateMax: number
  delegateCur: number
}

export type StreamRecord =
  | { event: 'member-join' | 'member-leave' | 'member-failed' | 'member-update' | 'member-reap'; members: RpcMember[]; raw: Record<string, RpcValue> }
  | { event: 'user'; ltime: bigint; name: string; payload: Uint8Array | null; coalesce: boolean; raw: Record<string, RpcValue> }
  | { event: 'query'; id: bigint; ltime: bigint; name: string; payload: Uint8Array | null; raw: Record<string, RpcValue> }

export type QueryRecord = { type: 'ack'; from: string } | { type: 'response'; from: string; payload: Uint8Array | null }

export interface RpcQueryParams {
  name: string
  payload?: Uint8Array | null
  filterNodes?: string[]
  filterTags?: Record<string, string>
  requestAck?: boolean
  relayFactor?: number
  /** Nanoseconds; 0 or absent: the agent's default. */
  timeoutNs?: bigint
}

export interface RpcKeyResult {
  /** The agent's Error text ('' on success). */
  error: string
  messages: Record<string, string>
  keys: Record<string, number> | null
  numNodes: number
  numErr: number
  numResp: number
}

export interface RpcCoordinate {
  vec: number[]
  error: number
  adjustment: number
  height: number
}

/** A client stream: records until stopped, the agent ends it, or the connection closes. */
export interface RpcStream<T> extends AsyncIterable<T> {
  readonly dropped: number
  /** Stops the stream (sends `stop` for stream/monitor); idempotent. */
  stop(): void
}

export function toMember(v: RpcValue): RpcMember {
  const m = asRecord(v)
  return {
    name: asString(m.Name),
    addr: asBytes(m.Addr) ?? new Uint8Array(0),
    port: asNumber(m.Port),
    tags: asStringMap(m.Tags),
    status: asString(m.Status),
    protocolMin: asNumber(m.ProtocolMin),
    protocolMax: asNumber(m.ProtocolMax),
    protocolCur: asNumber(m.ProtocolCur),
    delegateMin: asNumber(m.DelegateMin),
    delegateMax: asNumber(m.DelegateMax),
    delegateCur: asNumber(m.DelegateCur),
  }
}

/** A `stream` record (serf-rpc.md §2.9): a member event, a user event or a query. */
export function toStreamRecord(r: Record<string, RpcValue>): StreamRecord {
  const event = asString(r.Event)
  if (event === 'user') return { event, ltime: asBigint(r.LTime), name: asString(r.Name), payload: asBytes(r.Payload), coalesce: r.Coalesce === true, raw: r }
  if (event === 'query') return { event, id: asBigint(r.ID), ltime: asBigint(r.LTime), name: asString(r.Name), payload: asBytes(r.Payload), raw: r }
  return { event: event as 'member-join', members: asArray(r.Members).map(toMember), raw: r }
}
