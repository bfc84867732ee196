/**
 * UDP packets (spec §1.2): decoding a datagram into a tree of wrappers and messages, encoding such
 * a tree back, and flattening it into its messages. The wrappers it shares with streams are in
 * wrappers.ts; Go's send pipeline (compound → compress if smaller → CRC → encrypt) is
 * build-packet.ts.
 *
 * Receive order, as Go's ingestPacket: decrypt (when a keyring is set), strip a top-level hasCrc,
 * then dispatch; compound and compress recurse (any nesting, bounded by `maxNesting`). A compound
 * part that fails to decode becomes an `invalid` node and its siblings still decode, as Go handles
 * each part on its own.
 */
import { crc32 } from './crc.ts'
import { decryptPayload } from './crypto.ts'
import { guarded, wireError, WireCodecError } from './errors.ts'
import type { WireErrorCode } from './errors.ts'
import { BODY_TYPES, decodeBody, encodeMessage, MessageType } from './memberlist.ts'
import type { GossipMessage } from './memberlist.ts'
import { makeCompound, splitCompound } from './compound.ts'
import { MsgpackReader } from './msgpack/reader.ts'
import { compressMessage, decompressBody, DEFAULT_MAX_NESTING, sealWith, wrapCrc } from './wrappers.ts'
import type { CompressNode, DecodeOptions, EncodeOptions, EncryptNode } from './wrappers.ts'
import { DEFAULT_MAX_DECOMPRESSED_BYTES } from './lzw.ts'

// Importers outside wire/ (swim, the simulator's and fuzzers' packet makers) name these from here.
export { compressMessage, wrapCrc } from './wrappers.ts'
export { buildPacket } from './build-packet.ts'

export interface CompoundNode {
  type: 'compound'
  parts: PacketNode[]
  /** Parts declared but cut off by the end of the buffer. */
  truncated: number
}
export interface CrcNode {
  type: 'hasCrc'
  /** The CRC-32 found (verified on decode; recomputed on encode). */
  crc: number
  inner: PacketNode
}
/** A compound part that failed to decode; re-encoding writes `bytes` back unchanged. */
export interface InvalidNode {
  type: 'invalid'
  code: WireErrorCode
  message: string
  bytes: Uint8Array
}

export type PacketNode = GossipMessage | CompoundNode | CompressNode<PacketNode> | CrcNode | EncryptNode<PacketNode> | InvalidNode

interface Ctx {
  /** Decompression budget left for this packet (shared by nested compress wrappers). */
  budget: { remaining: number }
  maxNesting: number
  maxDepth: number | undefined
}

function ctxOf(o: DecodeOptions): Ctx {
  return {
    budget: { remaining: o.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES },
    maxNesting: o.maxNesting ?? DEFAULT_MAX_NESTING,
    maxDepth: o.maxDepth,
  }
}

/** Decodes one UDP datagram. Every failure is a WireCodecError with a stable code. */
export function decodePacket(bytes: Uint8Array, options: DecodeOptions = {}): PacketNode {
  return guarded('decodePacket', () => {
    if (bytes.length === 0) throw wireError('ERR_WIRE_EMPTY', 'empty packet')
    const ctx = ctxOf(options)
    const keyring = options.keyring ?? null
    if (keyring !== null) {
      try {
        const opened = decryptPayload(keyring, bytes)
        const { plain, version, nonce, keyIndex } = opened
        return { type: 'encrypt', vsn: version, nonce, keyIndex, inner: decodeTop(plain, ctx) }
      } catch (err) {
        if (options.verifyIncoming !== false || !(err instanceof WireCodecError)) throw err
        // staged rollout: not decryptable, treat it as plaintext
      }
    }
    return decodeTop(bytes, ctx)
  })
}

function decodeTop(buf: Uint8Array, ctx: Ctx): PacketNode {
  if (buf.length === 0) throw wireError('ERR_WIRE_EMPTY', 'empty payload')
  if (buf[0] === MessageType.hasCrc) {
    if (buf.length < 5) throw wireError('ERR_WIRE_TRUNCATED', 'hasCrc shorter than 5 bytes')
    const expected = ((buf[1]! << 24) | (buf[2]! << 16) | (buf[3]! << 8) | buf[4]!) >>> 0
    const body = buf.subarray(5)
    const actual = crc32(body)
    if (actual !== expected) {
      throw wireError('ERR_WIRE_BAD_CRC', `CRC mismatch: header ${hex32(expected)}, computed ${hex32(actual)}`)
    }
    return { type: 'hasCrc', crc: expected, inner: decodeInner(body, ctx, 0) }
  }
  return decodeInner(buf, ctx, 0)
}

function hex32(n: number): string {
  return n.toString(16).padStart(8, '0')
}

function decodeInner(buf: Uint8Array, ctx: Ctx, depth: number): PacketNode {
  if (buf.length === 0) throw wireError('ERR_WIRE_EMPTY', 'empty message')
  if (depth > ctx.maxNesting) throw wireError('ERR_WIRE_TOO_DEEP', `wrappers nested deeper than ${ctx.maxNesting}`)
  const t = buf[0]!
  if (t === MessageType.compound) {
    const { parts, truncated } = splitCompound(buf.subarray(1))
    return { type: 'compound', parts: parts.map((p) => decodePart(p, ctx, depth + 1)), truncated }
  }
  if (t === MessageType.compress) {
    const inner = decompressBody(new MsgpackReader(buf, 1, buf.length, ctx.maxDepth), ctx.budget)
    return { type: 'compress', Algo: 0, inner: decodeInner(inner, ctx, depth + 1) }
  }
  if (t === MessageType.user) return { type: 'user', Payload: buf.slice(1) }
  const type = BODY_TYPES[t]
  // err is a stream-only reply: not in a packet.
  if (type === undefined || type === 'err') throw wireError('ERR_WIRE_UNKNOWN_TYPE', `message type ${t} is not supported in a packet`, { messageType: t })
  return decodeBody(type, new MsgpackReader(buf, 1, buf.length, ctx.maxDepth))
}

function decodePart(part: Uint8Array, ctx: Ctx, depth: number): PacketNode {
  try {
    return decodeInner(part, ctx, depth)
  } catch (err) {
    if (!(err instanceof WireCodecError)) throw err
    // Nesting and the decompression budget are about the whole packet, not one part.
    if (err.code === 'ERR_WIRE_TOO_DEEP' || err.code === 'ERR_WIRE_TOO_LARGE') throw err
    return { type: 'invalid', code: err.code, message: err.message, bytes: part.slice() }
  }
}

/** Encodes a packet tree back to bytes (the inverse of decodePacket). */
export function encodePacket(node: PacketNode, options: EncodeOptions = {}): Uint8Array {
  return guarded('encodePacket', () => encodeNode(node, options))
}

function encodeNode(node: PacketNode, options: EncodeOptions): Uint8Array {
  switch (node.type) {
    case 'compound':
      return makeCompound(node.parts.map((p) => encodeNode(p, options)))
    case 'compress':
      if (node.Algo !== 0) throw wireError('ERR_WIRE_ENCODE', `unknown compression algorithm ${node.Algo}`)
      return compressMessage(encodeNode(node.inner, options))
    case 'hasCrc':
      return wrapCrc(encodeNode(node.inner, options))
    case 'encrypt':
      return sealWith(options, node, encodeNode(node.inner, options), new Uint8Array(0))
    case 'invalid':
      return node.bytes
    default:
      return encodeMessage(node)
  }
}


export interface FlatPacket {
  /** Messages in wire order, wrappers removed. */
  messages: GossipMessage[]
  /** Compound parts that failed to decode (Go logs and drops them; count them). */
  invalid: InvalidNode[]
  /** Compound parts cut off by the end of the datagram. */
  truncated: number
}

/** Flattens a decoded packet into its messages, for the receiving actor. */
export function flattenPacket(node: PacketNode): FlatPacket {
  const out: FlatPacket = { messages: [], invalid: [], truncated: 0 }
  const walk = (n: PacketNode): void => {
    switch (n.type) {
      case 'compound':
        out.truncated += n.truncated
        n.parts.forEach(walk)
        return
      case 'compress':
      case 'hasCrc':
      case 'encrypt':
        return walk(n.inner)
      case 'invalid':
        out.invalid.push(n)
        return
      default:
        out.messages.push(n)
    }
  }
  walk(node)
  return out
}
