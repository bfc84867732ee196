/**
 * Between swim's message objects and the wire (src/wire): single messages, whole UDP packets and
 * TCP stream messages, in memberlist's real encoding. Pure (the codec does no I/O).
 */
import { buildPacket, decodePacket, flattenPacket } from '../../src/wire/packet.ts'
import { encodeMessage } from '../../src/wire/memberlist.ts'
import type { Alive, Dead, GossipMessage, PushNodeState as WirePushNodeState, Suspect } from '../../src/wire/memberlist.ts'
import { buildStream, encodePushPull, readStream } from '../../src/wire/stream.ts'
import type { StreamMessage, StreamNode } from '../../src/wire/stream.ts'
import { ENCRYPT_OVERHEAD } from '../../src/wire/crypto.ts'
import type { NonceSource } from '../../src/wire/crypto.ts'
import type { Keyring } from '../../src/wire/keyring.ts'
import type { AliveMsg, DeadMsg, PushNodeState, SuspectMsg } from './messages.ts'
import { NODE_STATE_FROM_WIRE, NODE_STATE_WIRE } from './messages.ts'

export type { GossipMessage, StreamMessage }

/** Encryption settings of one node (spec §3): what to seal with, what to accept. */
export interface WireSecurity {
  keyring: Keyring | null
  /** Refuse what does not decrypt (GossipVerifyIncoming). */
  verifyIncoming: boolean
  /** Seal what we send (GossipVerifyOutgoing). */
  verifyOutgoing: boolean
  /** Nonces (the simulator's seeded source); default: crypto-random. */
  nonce?: NonceSource
}

export const PLAINTEXT: WireSecurity = { keyring: null, verifyIncoming: true, verifyOutgoing: true }

export function securityOf(c: { keyring: Keyring | null; gossipVerifyIncoming: boolean; gossipVerifyOutgoing: boolean }, nonce?: NonceSource): WireSecurity {
  return { keyring: c.keyring, verifyIncoming: c.gossipVerifyIncoming, verifyOutgoing: c.gossipVerifyOutgoing, ...(nonce === undefined ? {} : { nonce }) }
}

/** The keyring outgoing data is sealed with (null: plaintext). */
export function sendKeyring(sec: WireSecurity): Keyring | null {
  return sec.verifyOutgoing ? sec.keyring : null
}

/** Bytes encryption adds to an outgoing packet (0 or 29, spec §3.2). */
export function encryptionOverhead(sec: WireSecurity): number {
  return sendKeyring(sec) === null ? 0 : ENCRYPT_OVERHEAD
}

function encodeOpts(sec: WireSecurity): { keyring: Keyring | null; nonce?: NonceSource } {
  return { keyring: sendKeyring(sec), ...(sec.nonce === undefined ? {} : { nonce: sec.nonce }) }
}

/** The wire form of swim's alive (Go's field names). */
export const aliveToWire = (a: AliveMsg): Alive => ({ type: 'alive', Incarnation: a.incarnation, Node: a.node, Addr: a.addr, Port: a.port, Meta: a.meta, Vsn: a.vsn })

export const suspectToWire = (s: SuspectMsg): Suspect => ({ type: 'suspect', Incarnation: s.incarnation, Node: s.node, From: s.from })

export const deadToWire = (d: DeadMsg): Dead => ({ type: 'dead', Incarnation: d.incarnation, Node: d.node, From: d.from })

export const encodeAlive = (a: AliveMsg): Uint8Array => encodeMessage(aliveToWire(a))

export const encodeSuspect = (s: SuspectMsg): Uint8Array => encodeMessage(suspectToWire(s))

export const encodeDead = (d: DeadMsg): Uint8Array => encodeMessage(deadToWire(d))

export interface PingFields {
  seqNo: number
  node: string
  sourceAddr: Uint8Array
  sourcePort: number
  sourceNode: string
}

export const encodePing = (p: PingFields): Uint8Array =>
  encodeMessage({ type: 'ping', SeqNo: p.seqNo, Node: p.node, SourceAddr: p.sourceAddr, SourcePort: p.sourcePort, SourceNode: p.sourceNode })

export const encodeIndirectPing = (p: PingFields & { target: Uint8Array; port: number; nack: boolean }): Uint8Array =>
  encodeMessage({
    type: 'indirectPing',
    SeqNo: p.seqNo,
    Target: p.target,
    Port: p.port,
    Node: p.node,
    Nack: p.nack,
    SourceAddr: p.sourceAddr,
    SourcePort: p.sourcePort,
    SourceNode: p.sourceNode,
  })

export const encodeAck = (seqNo: number, payload: Uint8Array | null = null): Uint8Array => encodeMessage({ type: 'ack', SeqNo: seqNo, Payload: payload })

export const encodeNack = (seqNo: number): Uint8Array => encodeMessage({ type: 'nack', SeqNo: seqNo })

export const encodeUser = (payload: Uint8Array): Uint8Array => encodeMessage({ type: 'user', Payload: payload })

/** The messages of one datagram, wrappers removed; bad parts are counted, not thrown. */
export interface DecodedPacket {
  messages: GossipMessage[]
  invalidParts: number
  truncatedParts: number
}

/** Decodes a datagram; throws WireCodecError (with a code) only when nothing in it is usable. */
export function decodeDatagram(bytes: Uint8Array, sec: WireSecurity = PLAINTEXT): DecodedPacket {
  const flat = flattenPacket(decodePacket(bytes, { keyring: sec.keyring, verifyIncoming: sec.verifyIncoming }))
  return { messages: flat.messages, invalidParts: flat.invalid.length, truncatedParts: flat.truncated }
}

/** Go's rawSendMsgPacket: bare or compound, compress if smaller, CRC if asked, encrypt with a keyring. */
export function assemblePacket(parts: readonly Uint8Array[], options: { compress: boolean; crc: boolean; security?: WireSecurity }): Uint8Array {
  return buildPacket(parts, { compress: options.compress, crc: options.crc, ...encodeOpts(options.security ?? PLAINTEXT) })
}

export function toWireState(s: PushNodeState): WirePushNodeState {
  return { Name: s.name, Addr: s.addr, Port: s.port, Meta: s.meta, Incarnation: s.incarnation, State: NODE_STATE_WIRE[s.state], Vsn: s.vsn }
}

/** A remote node state; an unknown State number is mapped to undefined (skipped by the caller). */
export function fromWireState(s: WirePushNodeState): PushNodeState | undefined {
  const state = NODE_STATE_FROM_WIRE[s.State]
  if (state === undefined) return undefined
  return { name: s.Name, addr: s.Addr, port: s.Port, meta: s.Meta, incarnation: s.Incarnation, state, vsn: s.Vsn }
}

/** A complete push/pull stream message, compressed when asked (streams always compress then). */
export function encodePushPullStream(join: boolean, states: readonly PushNodeState[], userState: Uint8Array, compress: boolean, sec: WireSecurity = PLAINTEXT): Uint8Array {
  const plain = encodePushPull({ Join: join, NodeStates: states.map(toWireState), UserState: userState })
  return buildStream(plain, { compress, ...encodeOpts(sec) })
}

/** A stream message of a single memberlist message (TCP ping, its ack, err). */
export function encodeStreamMessage(message: Uint8Array, compress: boolean, sec: WireSecurity = PLAINTEXT): Uint8Array {
  return buildStream(message, { compress, ...encodeOpts(sec) })
}

export type StreamReadResult = { done: false } | { done: true; message: StreamMessage; bytesRead: number }

/**
 * Tries to read one stream message from what arrived so far. `done: false` means more bytes are
 * needed (ERR_WIRE_TRUNCATED); any other codec error is thrown with its code.
 */
export function tryReadStream(bytes: Uint8Array, sec: WireSecurity = PLAINTEXT): StreamReadResult {
  try {
    const r = readStream(bytes, { keyring: sec.keyring, verifyIncoming: sec.verifyIncoming })
    return { done: true, message: unwrapStream(r.node), bytesRead: r.bytesRead }
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_WIRE_TRUNCATED') return { done: false }
    throw err
  }
}

function unwrapStream(node: StreamNode): StreamMessage {
  let n: StreamNode = node
  while (n.type === 'compress' || n.type === 'encrypt') n = n.inner as StreamNode
  return n
}
