/**
 * Gossamer's own messages inside memberlist's user message (memberlist type 8, the payload Serf
 * reads as its own message: first byte the Serf message type). Serf's types are 0..9 today; ours
 * use one byte far from them, then a channel byte, then the channel's body (the election's
 * messages, published assignments). A real `serf agent` logs an unknown type as a warning, so a
 * node sends these only to members that advertise GOSSAMER_TAG (the caller checks; swim only sends).
 *
 * Layout: [GOSSAMER_MESSAGE_TYPE, channel, ...body]. Bodies are bounded by their channel's codec.
 */
import { WireCodecError } from './errors.ts'

/** The Serf message-type byte of every Gossamer message. */
export const GOSSAMER_MESSAGE_TYPE = 200

/** The reserved tag a Gossamer node that runs coordination advertises (value: the channel protocol version). */
export const GOSSAMER_TAG = 'gossamer'
export const GOSSAMER_TAG_VERSION = '1'

/** Which actor reads the body. Append-only; the byte values never change. */
export const GOSSAMER_CHANNELS = { election: 1, assignment: 2 } as const
export type GossamerChannel = keyof typeof GOSSAMER_CHANNELS

const CHANNEL_BY_BYTE = new Map<number, GossamerChannel>(Object.entries(GOSSAMER_CHANNELS).map(([name, byte]) => [byte, name as GossamerChannel]))

export function encodeGossamerMessage(channel: GossamerChannel, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 2)
  out[0] = GOSSAMER_MESSAGE_TYPE
  out[1] = GOSSAMER_CHANNELS[channel]
  out.set(body, 2)
  return out
}

export function isGossamerMessage(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes[0] === GOSSAMER_MESSAGE_TYPE
}

/** Splits a Gossamer message; throws WireError ERR_WIRE_TRUNCATED or ERR_WIRE_UNKNOWN_TYPE (an unknown channel). */
export function decodeGossamerMessage(bytes: Uint8Array): { channel: GossamerChannel; body: Uint8Array } {
  if (bytes.length < 2 || bytes[0] !== GOSSAMER_MESSAGE_TYPE) throw new WireCodecError('ERR_WIRE_TRUNCATED', 'a Gossamer message needs its type and channel bytes')
  const channel = CHANNEL_BY_BYTE.get(bytes[1]!)
  if (channel === undefined) throw new WireCodecError('ERR_WIRE_UNKNOWN_TYPE', `unknown Gossamer channel ${bytes[1]}`)
  return { channel, body: bytes.subarray(2) }
}
