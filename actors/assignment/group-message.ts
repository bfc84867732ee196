/**
 * The assignment channel's bodies (inside Gossamer's envelope, src/wire/gossamer-message.ts, channel
 * 'assignment') and the registration value the `nats` store keeps under a worker's key:
 *
 *   0  u8  kind            1 = a published assignment, 2 = a worker's registration, 3 = its withdrawal
 *   1  u8  group length    1..255 bytes of UTF-8
 *   2  group
 *      u8  sender length   1..255 bytes of UTF-8: the sending node's name (swim names the sender of
 *      sender              a reliable message by its TCP peer "ip:port", not its member name)
 *      kind 1: the encoded Assignment (assignment-codec.ts; it carries its own CRC)
 *      kind 2: f64 weight, u32 partitions, u8 strategy (index into STRATEGY_NAMES)
 *      kind 3: nothing
 *
 * Decoding is bounded (maxBytes before anything is read) and total: anything else is a coded
 * GroupMessageError, never a crash. The assignment bytes of kind 1 are decoded by the receiver's
 * term guard (offerEncoded), which counts a corrupt or oversized one as a refusal.
 */
import { ClusterError } from '../../src/errors/index.ts'
import { STRATEGY_NAMES } from './strategies/registry.ts'
import type { StrategyName } from './strategies/strategy.ts'

/** What a worker tells the group's leader about itself (its node name is the worker id). */
export interface Registration {
  weight: number
  partitions: number
  strategy: StrategyName
}

export type GroupMessage =
  | { kind: 'assignment'; group: string; sender: string; bytes: Uint8Array }
  | { kind: 'register'; group: string; sender: string; registration: Registration }
  | { kind: 'unregister'; group: string; sender: string }

const KIND = { assignment: 1, register: 2, unregister: 3 } as const
const UTF8 = new TextEncoder()
const UTF8_STRICT = new TextDecoder('utf-8', { fatal: true })
/** Largest group name in bytes (one length byte). */
export const MAX_GROUP_BYTES = 255

export class GroupMessageError extends ClusterError {
  static override name = 'GroupMessageError'
  constructor(code: 'ERR_ASSIGNMENT_MESSAGE_CORRUPT' | 'ERR_ASSIGNMENT_OVERSIZED', message: string) {
    super(code, message)
  }
}

export function encodeGroupMessage(m: GroupMessage): Uint8Array {
  const group = UTF8.encode(m.group)
  const sender = UTF8.encode(m.sender)
  if (group.length === 0 || group.length > MAX_GROUP_BYTES) throw new GroupMessageError('ERR_ASSIGNMENT_MESSAGE_CORRUPT', `group must be 1-${MAX_GROUP_BYTES} UTF-8 bytes`)
  if (sender.length === 0 || sender.length > MAX_GROUP_BYTES) throw new GroupMessageError('ERR_ASSIGNMENT_MESSAGE_CORRUPT', `sender must be 1-${MAX_GROUP_BYTES} UTF-8 bytes`)
  const tail = m.kind === 'assignment' ? m.bytes.length : m.kind === 'register' ? 13 : 0
  const out = new Uint8Array(3 + group.length + sender.length + tail)
  out[0] = KIND[m.kind]
  out[1] = group.length
  out.set(group, 2)
  out[2 + group.length] = sender.length
  out.set(sender, 3 + group.length)
  const off = 3 + group.length + sender.length
  if (m.kind === 'assignment') out.set(m.bytes, off)
  else if (m.kind === 'register') {
    const view = new DataView(out.buffer)
    view.setFloat64(off, m.registration.weight, true)
    view.setUint32(off + 8, m.registration.partitions, true)
    out[off + 12] = STRATEGY_NAMES.indexOf(m.registration.strategy)
  }
  return out
}

export function decodeGroupMessage(bytes: Uint8Array, maxBytes: number): GroupMessage {
  if (bytes.length > maxBytes) throw new GroupMessageError('ERR_ASSIGNMENT_OVERSIZED', `an assignment message of ${bytes.length} bytes; the limit is ${maxBytes}`)
  if (bytes.length < 5) throw corrupt(`${bytes.length} bytes is shorter than any message`)
  const kind = bytes[0]!
  const len = bytes[1]!
  if (len === 0 || 3 + len > bytes.length) throw corrupt(`bad group length ${len}`)
  const senderLen = bytes[2 + len]!
  if (senderLen === 0 || 3 + len + senderLen > bytes.length) throw corrupt(`bad sender length ${senderLen}`)
  let group: string
  let sender: string
  try {
    group = UTF8_STRICT.decode(bytes.subarray(2, 2 + len))
    sender = UTF8_STRICT.decode(bytes.subarray(3 + len, 3 + len + senderLen))
  } catch {
    throw corrupt('the group or the sender is not UTF-8')
  }
  const rest = bytes.subarray(3 + len + senderLen)
  switch (kind) {
    case KIND.assignment:
      return { kind: 'assignment', group, sender, bytes: rest }
    case KIND.register: {
      if (rest.length !== 13) throw corrupt(`a registration of ${rest.length} bytes (13 expected)`)
      const view = new DataView(rest.buffer, rest.byteOffset, rest.byteLength)
      const weight = view.getFloat64(0, true)
      const partitions = view.getUint32(8, true)
      const strategy = STRATEGY_NAMES[rest[12]!]
      if (!Number.isFinite(weight) || weight < 0) throw corrupt(`weight ${weight}`)
      if (strategy === undefined) throw corrupt(`unknown strategy #${rest[12]}`)
      return { kind: 'register', group, sender, registration: { weight, partitions, strategy } }
    }
    case KIND.unregister:
      if (rest.length !== 0) throw corrupt('trailing bytes after a withdrawal')
      return { kind: 'unregister', group, sender }
    default:
      throw corrupt(`unknown kind ${kind}`)
  }
}

function corrupt(message: string): GroupMessageError {
  return new GroupMessageError('ERR_ASSIGNMENT_MESSAGE_CORRUPT', `corrupt assignment message: ${message}`)
}
