/**
 * The membership backend's body on Gossamer's `election` channel (src/wire/gossamer-message.ts):
 * the group the message is about, then one election message (messages.ts, its own magic, version
 * and bounded msgpack):
 *
 *   0 u16  group length in UTF-8 bytes (big endian, 1..MAX_GROUP_BYTES)
 *   2 ...  group (UTF-8)
 *   . ...  election message (encodeElectionMsg)
 *
 * Decoding checks the lengths before reading and never returns a half-checked value: anything else
 * is ERR_ELECTION_MESSAGE_CORRUPT or ERR_ELECTION_MESSAGE_OVERSIZED.
 */
import { encodeGossamerMessage } from '../../src/wire/gossamer-message.ts'
import { ElectionDecodeError } from './errors.ts'
import { DEFAULT_MAX_ELECTION_BYTES, decodeElectionMsg, encodeElectionMsg, type ElectionMsg } from './messages.ts'

/** Bound on a group name in UTF-8 bytes (the actor accepts names of 1-256 characters: at most 1024 bytes). */
export const MAX_GROUP_BYTES = 1024
/** Bound on one framed body: the group, its length and the largest election message. */
export const MAX_FRAMED_BYTES = 2 + MAX_GROUP_BYTES + DEFAULT_MAX_ELECTION_BYTES

const UTF8 = new TextEncoder()
const UTF8_STRICT = new TextDecoder('utf-8', { fatal: true })

export interface GroupMessage {
  group: string
  msg: ElectionMsg
}

export function encodeGroupMessage(group: string, msg: ElectionMsg): Uint8Array {
  const name = UTF8.encode(group)
  if (name.length === 0 || name.length > MAX_GROUP_BYTES) throw new ElectionDecodeError('ERR_ELECTION_MESSAGE_OVERSIZED', `a group name must be 1..${MAX_GROUP_BYTES} UTF-8 bytes (got ${name.length})`)
  const body = encodeElectionMsg(msg)
  const out = new Uint8Array(2 + name.length + body.length)
  out[0] = name.length >>> 8
  out[1] = name.length & 0xff
  out.set(name, 2)
  out.set(body, 2 + name.length)
  return out
}

/** The whole Gossamer envelope (type 200, channel election) for `swim.send-gossamer`. */
export function encodeElectionEnvelope(group: string, msg: ElectionMsg): Uint8Array {
  return encodeGossamerMessage('election', encodeGroupMessage(group, msg))
}

export function decodeGroupMessage(bytes: Uint8Array): GroupMessage {
  if (!(bytes instanceof Uint8Array)) throw corrupt('the body must be bytes')
  if (bytes.length > MAX_FRAMED_BYTES) throw new ElectionDecodeError('ERR_ELECTION_MESSAGE_OVERSIZED', `the body is ${bytes.length} bytes; the limit is ${MAX_FRAMED_BYTES}`, { details: { size: bytes.length, maxBytes: MAX_FRAMED_BYTES } })
  if (bytes.length < 3) throw corrupt(`${bytes.length} bytes is shorter than any framed election message`)
  const len = (bytes[0]! << 8) | bytes[1]!
  if (len === 0 || len > MAX_GROUP_BYTES) throw corrupt(`group length ${len} is out of range`)
  if (2 + len >= bytes.length) throw corrupt('the group runs past the body')
  let group: string
  try {
    group = UTF8_STRICT.decode(bytes.subarray(2, 2 + len))
  } catch (cause) {
    throw new ElectionDecodeError('ERR_ELECTION_MESSAGE_CORRUPT', 'the group is not valid UTF-8', { cause })
  }
  return { group, msg: decodeElectionMsg(bytes.subarray(2 + len)) }
}

function corrupt(message: string): ElectionDecodeError {
  return new ElectionDecodeError('ERR_ELECTION_MESSAGE_CORRUPT', message)
}
