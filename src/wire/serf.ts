/**
 * Serf 0.9.4 messages (spec §5.1-5.2, §2.5): carried after memberlist's `0x08` user byte, in the
 * push/pull user state, and inside query (response) payloads. Each is `[serf type][msgpack body]`,
 * except relay, which wraps a whole inner Serf message after its header.
 */
import { wireError } from './errors.ts'
import { MsgpackReader } from './msgpack/reader.ts'
import { MsgpackWriter } from './msgpack/writer.ts'
import { decodeStruct, defineStruct, encodeStruct } from './schema.ts'
import type { Struct } from './schema.ts'
import { checkAddr } from './memberlist.ts'
import { decodeFilter, encodeFilter, TAG_FILTER } from './serf-filter.ts'
import type { QueryFilter } from './serf-filter.ts'

export { decodeFilter, encodeFilter } from './serf-filter.ts'
export type { QueryFilter } from './serf-filter.ts'

/** Serf message type bytes (append-only). */
export const SerfMessageType = {
  leave: 0,
  join: 1,
  pushPull: 2,
  userEvent: 3,
  query: 4,
  queryResponse: 5,
  conflictResponse: 6,
  keyRequest: 7,
  keyResponse: 8,
  relay: 9,
} as const
export type SerfMessageTypeName = keyof typeof SerfMessageType

/** Query flags (bit set). */
export const QueryFlag = { ack: 1, noBroadcast: 2 } as const
/** Serf member status in conflict responses. */
export const MemberStatus = { none: 0, alive: 1, leaving: 2, left: 3, failed: 4 } as const

export interface SerfLeave {
  type: 'leave'
  LTime: bigint
  Node: string
  Prune: boolean
}
export interface SerfJoin {
  type: 'join'
  LTime: bigint
  Node: string
}
export interface UserEventEntry {
  Name: string
  Payload: Uint8Array | null
}
/** One slot of Serf's event ring buffer (nil slots are null). */
export interface UserEventsSlot {
  LTime: bigint
  Events: UserEventEntry[] | null
}
/** Serf's push/pull user state (after the `2` type byte). */
export interface SerfPushPull {
  type: 'pushPull'
  LTime: bigint
  StatusLTimes: Map<string, bigint>
  LeftMembers: string[] | null
  EventLTime: bigint
  Events: (UserEventsSlot | null)[] | null
  QueryLTime: bigint
}
export interface SerfUserEvent {
  type: 'userEvent'
  LTime: bigint
  Name: string
  Payload: Uint8Array | null
  /** May be coalesced. */
  CC: boolean
}
export interface SerfQuery {
  type: 'query'
  LTime: bigint
  ID: number
  /** Originator IP (4 or 16 bytes): responses go to Addr:Port. */
  Addr: Uint8Array
  Port: number
  SourceNode: string
  Filters: QueryFilter[] | null
  Flags: number
  RelayFactor: number
  /** Nanoseconds (Go time.Duration). */
  Timeout: bigint
  Name: string
  Payload: Uint8Array | null
}
export interface SerfQueryResponse {
  type: 'queryResponse'
  LTime: bigint
  ID: number
  From: string
  Flags: number
  Payload: Uint8Array | null
}
/** serf.Member as sent in a `_serf_conflict` response. */
export interface SerfMember {
  Name: string
  Addr: Uint8Array
  Port: number
  Tags: Map<string, string>
  Status: number
  ProtocolMin: number
  ProtocolMax: number
  ProtocolCur: number
  DelegateMin: number
  DelegateMax: number
  DelegateCur: number
}
export interface SerfConflictResponse {
  type: 'conflictResponse'
  Member: SerfMember | null
}
export interface SerfKeyRequest {
  type: 'keyRequest'
  Key: Uint8Array | null
}
export interface SerfKeyResponse {
  type: 'keyResponse'
  Result: boolean
  Message: string
  Keys: string[] | null
  PrimaryKey: string
}
export interface UdpAddr {
  IP: Uint8Array
  Port: number
  Zone: string
}
/** Relay: forward `Message` (a whole Serf message, type byte included) to DestAddr as a user message. */
export interface SerfRelay {
  type: 'relay'
  DestAddr: UdpAddr
  DestName: string
  Message: Uint8Array
}

export type SerfMessage =
  | SerfLeave
  | SerfJoin
  | SerfPushPull
  | SerfUserEvent
  | SerfQuery
  | SerfQueryResponse
  | SerfConflictResponse
  | SerfKeyRequest
  | SerfKeyResponse
  | SerfRelay

const userEventEntry = defineStruct('userEvent', [
  { name: 'Name', type: 'str' },
  { name: 'Payload', type: 'nbytes' },
])
const userEventsSlot = defineStruct('userEvents', [
  { name: 'LTime', type: 'u64' },
  { name: 'Events', type: { array: { struct: userEventEntry }, nullable: true } },
])
const member = defineStruct('Member', [
  { name: 'Name', type: 'str' },
  { name: 'Addr', type: 'bytes' },
  { name: 'Port', type: 'u16' },
  { name: 'Tags', type: { map: 'str' } },
  { name: 'Status', type: 'int' },
  { name: 'ProtocolMin', type: 'u8' },
  { name: 'ProtocolMax', type: 'u8' },
  { name: 'ProtocolCur', type: 'u8' },
  { name: 'DelegateMin', type: 'u8' },
  { name: 'DelegateMax', type: 'u8' },
  { name: 'DelegateCur', type: 'u8' },
])
const udpAddr = defineStruct('UDPAddr', [
  { name: 'IP', type: 'bytes' },
  { name: 'Port', type: 'int' },
  { name: 'Zone', type: 'str' },
])

export const SERF_SCHEMAS = {
  leave: defineStruct('leave', [
    { name: 'LTime', type: 'u64' },
    { name: 'Node', type: 'str' },
    { name: 'Prune', type: 'bool' },
  ]),
  join: defineStruct('join', [
    { name: 'LTime', type: 'u64' },
    { name: 'Node', type: 'str' },
  ]),
  pushPull: defineStruct('pushPull', [
    { name: 'LTime', type: 'u64' },
    { name: 'StatusLTimes', type: { map: 'u64' } },
    { name: 'LeftMembers', type: { array: 'str', nullable: true } },
    { name: 'EventLTime', type: 'u64' },
    { name: 'Events', type: { array: { struct: userEventsSlot, nullable: true }, nullable: true } },
    { name: 'QueryLTime', type: 'u64' },
  ]),
  userEvent: defineStruct('userEvent', [
    { name: 'LTime', type: 'u64' },
    { name: 'Name', type: 'str' },
    { name: 'Payload', type: 'nbytes' },
    { name: 'CC', type: 'bool' },
  ]),
  query: defineStruct('query', [
    { name: 'LTime', type: 'u64' },
    { name: 'ID', type: 'u32' },
    { name: 'Addr', type: 'bytes' },
    { name: 'Port', type: 'u16' },
    { name: 'SourceNode', type: 'str' },
    { name: 'Filters', type: { array: 'bytes', nullable: true } },
    { name: 'Flags', type: 'u32' },
    { name: 'RelayFactor', type: 'u8' },
    { name: 'Timeout', type: 'i64' },
    { name: 'Name', type: 'str' },
    { name: 'Payload', type: 'nbytes' },
  ]),
  queryResponse: defineStruct('queryResponse', [
    { name: 'LTime', type: 'u64' },
    { name: 'ID', type: 'u32' },
    { name: 'From', type: 'str' },
    { name: 'Flags', type: 'u32' },
    { name: 'Payload', type: 'nbytes' },
  ]),
  keyRequest: defineStruct('keyRequest', [{ name: 'Key', type: 'nbytes' }]),
  keyResponse: defineStruct('keyResponse', [
    { name: 'Result', type: 'bool' },
    { name: 'Message', type: 'str' },
    { name: 'Keys', type: { array: 'str', nullable: true } },
    { name: 'PrimaryKey', type: 'str' },
  ]),
  relayHeader: defineStruct('relayHeader', [
    { name: 'DestAddr', type: { struct: udpAddr } },
    { name: 'DestName', type: 'str' },
  ]),
  member,
  tagFilter: TAG_FILTER,
}

/** Encodes a Serf message as `[serf type][body]`. */
const SCRATCH = new MsgpackWriter(1024)

export function encodeSerfMessage(msg: SerfMessage): Uint8Array {
  const w = SCRATCH.reset()
  const code = SerfMessageType[msg.type]
  if (code === undefined) throw wireError('ERR_WIRE_ENCODE', `not a Serf message type: ${String((msg as { type: unknown }).type)}`)
  w.byte(code)
  switch (msg.type) {
    case 'query': {
      checkAddr('query.Addr', msg.Addr, false)
      const filters = msg.Filters === null ? null : msg.Filters.map(encodeFilter)
      encodeStruct(w, SERF_SCHEMAS.query, { ...msg, Filters: filters } as unknown as Struct)
      break
    }
    case 'conflictResponse':
      if (msg.Member === null) w.nil()
      else encodeStruct(w, member, msg.Member as unknown as Struct)
      break
    case 'relay':
      if (msg.Message.length === 0) throw wireError('ERR_WIRE_ENCODE', 'relay with an empty inner message')
      encodeStruct(w, SERF_SCHEMAS.relayHeader, msg as unknown as Struct)
      w.raw(msg.Message)
      break
    default:
      encodeStruct(w, SERF_SCHEMAS[msg.type], msg as unknown as Struct)
  }
  return w.finish()
}

const SERF_TYPES = Object.fromEntries(Object.entries(SerfMessageType).map(([k, v]) => [v, k])) as Record<number, SerfMessageTypeName>

/** Decodes `[serf type][body]` (trailing bytes after the body are ignored, except relay's inner message). */
export function decodeSerfMessage(bytes: Uint8Array, maxDepth?: number): SerfMessage {
  if (bytes.length === 0) throw wireError('ERR_WIRE_EMPTY', 'empty Serf message')
  const t = bytes[0]!
  const type = SERF_TYPES[t]
  if (type === undefined) throw wireError('ERR_WIRE_UNKNOWN_TYPE', `unknown Serf message type ${t}`, { messageType: t })
  const r = new MsgpackReader(bytes, 1, bytes.length, maxDepth)
  switch (type) {
    case 'query': {
      const s = decodeStruct(r, SERF_SCHEMAS.query)
      checkAddr('query.Addr', s['Addr'] as Uint8Array, false)
      const raw = s['Filters'] as Uint8Array[] | null
      return { type, ...s, Filters: raw === null ? null : raw.map(decodeFilter) } as unknown as SerfQuery
    }
    case 'conflictResponse': {
      if (r.isNil()) return { type, Member: null }
      return { type, Member: decodeStruct(r, member) as unknown as SerfMember }
    }
    case 'relay': {
      const s = decodeStruct(r, SERF_SCHEMAS.relayHeader)
      const Message = bytes.slice(r.pos)
      if (Message.length === 0) throw wireError('ERR_WIRE_TRUNCATED', 'relay without an inner message')
      return { type, ...s, Message } as unknown as SerfRelay
    }
    default:
      return decodeStruct(r, SERF_SCHEMAS[type], 0, type) as unknown as SerfMessage
  }
}
