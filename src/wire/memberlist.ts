/**
 * memberlist 0.2.2 messages (spec §1.1, §1.7): type bytes, Go field names and types, and the
 * encoder/decoder of a single `[type][msgpack body]` message. Field names are Go's, so the same
 * object serves the swim actor and `gossamer decode`'s JSON.
 */
import { wireError } from './errors.ts'
import { MsgpackReader } from './msgpack/reader.ts'
import { MsgpackWriter } from './msgpack/writer.ts'
import { decodeStruct, defineStruct, encodeStruct } from './schema.ts'
import type { Struct, StructSchema } from './schema.ts'

/** memberlist message type bytes. Append-only: the numbers are the protocol. */
export const MessageType = {
  ping: 0,
  indirectPing: 1,
  ack: 2,
  suspect: 3,
  alive: 4,
  dead: 5,
  pushPull: 6,
  compound: 7,
  user: 8,
  compress: 9,
  encrypt: 10,
  nack: 11,
  hasCrc: 12,
  err: 13,
} as const
export type MessageTypeName = keyof typeof MessageType

export const MESSAGE_TYPE_NAMES: readonly MessageTypeName[] = Object.keys(MessageType) as MessageTypeName[]

/** Node states in pushNodeState.State. */
export const NodeState = { alive: 0, suspect: 1, dead: 2, left: 3 } as const

/** Probe (type 0). SourceAddr/SourceNode/SourcePort are omitempty. */
export interface Ping {
  type: 'ping'
  SeqNo: number
  Node: string
  SourceAddr: Uint8Array
  SourceNode: string
  SourcePort: number
}
/** Indirect probe request (type 1). */
export interface IndirectPing {
  type: 'indirectPing'
  SeqNo: number
  Target: Uint8Array
  Port: number
  Node: string
  Nack: boolean
  SourceAddr: Uint8Array
  SourceNode: string
  SourcePort: number
}
/** Ack (type 2). Payload is nil (null) unless the ping delegate adds one (Serf: coordinate). */
export interface Ack {
  type: 'ack'
  SeqNo: number
  Payload: Uint8Array | null
}
/** Nack (type 11). */
export interface Nack {
  type: 'nack'
  SeqNo: number
}
/** Suspect (type 3). */
export interface Suspect {
  type: 'suspect'
  Incarnation: number
  Node: string
  From: string
}
/** Alive (type 4). Addr is 4 or 16 bytes; Vsn is always 6 bytes on send. */
export interface Alive {
  type: 'alive'
  Incarnation: number
  Node: string
  Addr: Uint8Array
  Port: number
  Meta: Uint8Array
  Vsn: Uint8Array
}
/** Dead (type 5). From === Node is a graceful leave. */
export interface Dead {
  type: 'dead'
  Incarnation: number
  Node: string
  From: string
}
/** User (type 8): the delegate's (Serf's) bytes, unframed. */
export interface UserMsg {
  type: 'user'
  Payload: Uint8Array
}
/** Error reply on a stream (type 13). */
export interface ErrResp {
  type: 'err'
  Error: string
}

/** One entry of a push/pull (note `Name`, where alive says `Node`). */
export interface PushNodeState {
  Name: string
  Addr: Uint8Array
  Port: number
  Meta: Uint8Array
  Incarnation: number
  State: number
  Vsn: Uint8Array
}
export interface PushPullHeader {
  Nodes: number
  UserStateLen: number
  Join: boolean
}

/** The messages that travel as a single UDP message (wrappers are in packet.ts and wrappers.ts). */
export type GossipMessage = Ping | IndirectPing | Ack | Nack | Suspect | Alive | Dead | UserMsg
/** Every single (non-wrapper) memberlist message, including the stream-only err. */
export type MemberlistMessage = GossipMessage | ErrResp

export const SCHEMAS = {
  ping: defineStruct('ping', [
    { name: 'SeqNo', type: 'u32' },
    { name: 'Node', type: 'str' },
    { name: 'SourceAddr', type: 'bytes', omitempty: true },
    { name: 'SourcePort', type: 'u16', omitempty: true },
    { name: 'SourceNode', type: 'str', omitempty: true },
  ]),
  indirectPing: defineStruct('indirectPing', [
    { name: 'SeqNo', type: 'u32' },
    { name: 'Target', type: 'bytes' },
    { name: 'Port', type: 'u16' },
    { name: 'Node', type: 'str' },
    { name: 'Nack', type: 'bool' },
    { name: 'SourceAddr', type: 'bytes', omitempty: true },
    { name: 'SourcePort', type: 'u16', omitempty: true },
    { name: 'SourceNode', type: 'str', omitempty: true },
  ]),
  ack: defineStruct('ack', [
    { name: 'SeqNo', type: 'u32' },
    { name: 'Payload', type: 'nbytes' },
  ]),
  nack: defineStruct('nack', [{ name: 'SeqNo', type: 'u32' }]),
  suspect: defineStruct('suspect', [
    { name: 'Incarnation', type: 'u32' },
    { name: 'Node', type: 'str' },
    { name: 'From', type: 'str' },
  ]),
  alive: defineStruct('alive', [
    { name: 'Incarnation', type: 'u32' },
    { name: 'Node', type: 'str' },
    { name: 'Addr', type: 'bytes' },
    { name: 'Port', type: 'u16' },
    { name: 'Meta', type: 'bytes' },
    { name: 'Vsn', type: 'bytes' },
  ]),
  dead: defineStruct('dead', [
    { name: 'Incarnation', type: 'u32' },
    { name: 'Node', type: 'str' },
    { name: 'From', type: 'str' },
  ]),
  err: defineStruct('err', [{ name: 'Error', type: 'str' }]),
  compress: defineStruct('compress', [
    { name: 'Algo', type: 'u8' },
    { name: 'Buf', type: 'bytes' },
  ]),
  pushPullHeader: defineStruct('pushPullHeader', [
    { name: 'Nodes', type: 'int' },
    { name: 'UserStateLen', type: 'int' },
    { name: 'Join', type: 'bool' },
  ]),
  pushNodeState: defineStruct('pushNodeState', [
    { name: 'Name', type: 'str' },
    { name: 'Addr', type: 'bytes' },
    { name: 'Port', type: 'u16' },
    { name: 'Meta', type: 'bytes' },
    { name: 'Incarnation', type: 'u32' },
    { name: 'State', type: 'int' },
    { name: 'Vsn', type: 'bytes' },
  ]),
  userMsgHeader: defineStruct('userMsgHeader', [{ name: 'UserMsgLen', type: 'int' }]),
} satisfies Record<string, StructSchema>

export type StructMessageType = Exclude<MemberlistMessage['type'], 'user'>

/** Why an encoder or decoder refuses a message for its shape: the code it throws and its message. */
export interface WireRefusal {
  code: 'ERR_WIRE_BAD_LENGTH' | 'ERR_WIRE_ENCODE'
  message: string
}

/** Why `addr` is not an IP Go can hold (4 or 16 bytes; none either when `optional`), or undefined. */
export function addrRefusal(what: string, addr: Uint8Array, optional: boolean): WireRefusal | undefined {
  if (addr.length === 4 || addr.length === 16 || (optional && addr.length === 0)) return undefined
  return { code: 'ERR_WIRE_BAD_LENGTH', message: `${what}: an IP is 4 or 16 bytes, got ${addr.length}` }
}

/** Checks the sizes Go relies on: IPs of 4 or 16 bytes. Used on encode and decode. */
export function checkAddr(what: string, addr: Uint8Array, optional: boolean): void {
  const r = addrRefusal(what, addr, optional)
  if (r !== undefined) throw wireError(r.code, r.message)
}

function messageRefusal(msg: MemberlistMessage, encoding: boolean): WireRefusal | undefined {
  switch (msg.type) {
    case 'ping':
      return addrRefusal('ping.SourceAddr', msg.SourceAddr, true)
    case 'indirectPing':
      return addrRefusal('indirectPing.Target', msg.Target, false) ?? addrRefusal('indirectPing.SourceAddr', msg.SourceAddr, true)
    case 'alive': {
      const addr = addrRefusal('alive.Addr', msg.Addr, false)
      if (addr !== undefined || !encoding) return addr
      // Go panics on a 1-5 byte Vsn for a known node: never send anything but 6 bytes.
      return msg.Vsn.length === 6 ? undefined : { code: 'ERR_WIRE_ENCODE', message: `alive.Vsn must be 6 bytes, got ${msg.Vsn.length}` }
    }
    case 'user':
      return encoding && msg.Payload.length === 0 ? { code: 'ERR_WIRE_ENCODE', message: 'user message with an empty payload' } : undefined
    default:
      return undefined
  }
}

/**
 * Why encodeMessage would refuse `msg` for its shape (IPs of 4 or 16 bytes, a 6-byte Vsn, a
 * non-empty user payload), or undefined. encodeMessage runs exactly this before it writes, so a
 * receiver that screens what it accepts with it cannot disagree with the encoder (issue 10: an
 * alive without Vsn was accepted, and its re-broadcast threw). Field ranges (u16, u32) are the
 * schema's: values a decoder produced always fit them.
 */
export function encodeRefusal(msg: MemberlistMessage): WireRefusal | undefined {
  return messageRefusal(msg, true)
}

/** Scratch writer reused by encodeMessage (encoding never re-enters, and finish() copies out). */
const SCRATCH = new MsgpackWriter(1024)

/** Encodes one message as `[type][msgpack body]` (user: `[8][payload]`). */
export function encodeMessage(msg: MemberlistMessage, w: MsgpackWriter = SCRATCH.reset()): Uint8Array {
  const code = MessageType[msg.type]
  if (code === undefined) throw wireError('ERR_WIRE_ENCODE', `not a memberlist message type: ${String((msg as { type: unknown }).type)}`)
  const refusal = messageRefusal(msg, true)
  if (refusal !== undefined) throw wireError(refusal.code, refusal.message)
  if (msg.type === 'user') {
    const out = new Uint8Array(1 + msg.Payload.length)
    out[0] = code
    out.set(msg.Payload, 1)
    return out
  }
  w.byte(code)
  encodeStruct(w, SCHEMAS[msg.type], msg as unknown as Struct)
  return w.finish()
}

/** Decodes the msgpack body of a struct message whose type byte has been read. */
export function decodeBody<T extends StructMessageType>(type: T, r: MsgpackReader): Extract<MemberlistMessage, { type: T }> {
  const msg = decodeStruct(r, SCHEMAS[type], 0, type) as unknown as Extract<MemberlistMessage, { type: T }>
  const refusal = messageRefusal(msg, false)
  if (refusal !== undefined) throw wireError(refusal.code, refusal.message)
  return msg
}

/**
 * The single (non-wrapper) message types with a msgpack body, indexed by type byte (an array, not
 * a Map: the lookup is on every received message). `err` is a stream-only reply: packets refuse it.
 */
export const BODY_TYPES: readonly (StructMessageType | undefined)[] = (() => {
  const table: (StructMessageType | undefined)[] = []
  for (const name of ['ping', 'indirectPing', 'ack', 'nack', 'suspect', 'alive', 'dead', 'err'] as const) table[MessageType[name]] = name
  return table
})()

/**
 * Decodes one non-wrapper message `[type][body]`. Trailing bytes after the body are ignored, as
 * Go's decoder does. Wrapper types (compound, compress, hasCrc, encrypt) and pushPull are refused
 * here with ERR_WIRE_UNKNOWN_TYPE: packet.ts and stream.ts handle them.
 */
export function decodeMessage(bytes: Uint8Array, maxDepth?: number): MemberlistMessage {
  if (bytes.length === 0) throw wireError('ERR_WIRE_EMPTY', 'empty message')
  const t = bytes[0]!
  if (t === MessageType.user) return { type: 'user', Payload: bytes.slice(1) }
  const type = BODY_TYPES[t]
  if (type === undefined) throw wireError('ERR_WIRE_UNKNOWN_TYPE', `message type ${t} is not a single message`, { messageType: t })
  return decodeBody(type, new MsgpackReader(bytes, 1, bytes.length, maxDepth))
}
