/**
 * UDP packets (spec §1.2): decoding a datagram into a tree of wrappers and messages, encoding such
 * a tree back, and Go's send pipeline (compound → compress if smaller → CRC → encrypt).
 *
 * Receive order, as Go's ingestPacket: decrypt (when a keyring is set), strip a top-level hasCrc,
 * then dispatch; compound and compress recurse (any nesting, bounded by `maxNesting`). A compound
 * part that fails to decode becomes an `invalid` node and its siblings still decode, as Go handles
 * each part on its own.
 */
import { packetBytes } from './byte-pool.ts'
import { crc32 } from './crc.ts'
import { decryptPayload, encryptPayload } from './crypto.ts'
import type { EncryptionVersion, NonceSource } from './crypto.ts'
import { guarded, wireError, WireCodecError } from './errors.ts'
import type { WireErrorCode } from './errors.ts'
import type { Keyring } from './keyring.ts'
import { DEFAULT_MAX_DECOMPRESSED_BYTES, lzwCompress, lzwDecompress } from './lzw.ts'
import { BODY_TYPES, decodeBody, encodeMessage, MessageType, SCHEMAS } from './memberlist.ts'
import type { GossipMessage } from './memberlist.ts'
import { makeCompound, splitCompound } from './compound.ts'
import { MsgpackReader } from './msgpack/reader.ts'
import { MsgpackWriter } from './msgpack/writer.ts'
import { decodeStruct, encodeStruct } from './schema.ts'

/** compress{Algo, Buf} with Buf decompressed and decoded as `inner`. Algo 0 is LZW, the only one. */
export interface CompressNode<T> {
  type: 'compress'
  Algo: number
  inner: T
}
/** AES-GCM envelope (no type byte on UDP; `[10][len]` frame on streams). */
export interface EncryptNode<T> {
  type: 'encrypt'
  vsn: EncryptionVersion
  nonce: Uint8Array
  /** Which keyring key opened it (on encode: which key seals it; default the primary). */
  keyIndex: number
  inner: T
}
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

export interface DecodeOptions {
  /** Keys to try. When set, packets must be encrypted unless `verifyIncoming` is false. */
  keyring?: Keyring | null
  /** Go's GossipVerifyIncoming (default true): refuse what does not decrypt. */
  verifyIncoming?: boolean
  /**
   * Bound on the bytes all LZW expansions of one packet or stream may produce together (Go 0.2.2
   * has none). Default 32 MiB; a UDP receiver may set far less (a datagram is at most 64 KiB).
   */
  maxDecompressedBytes?: number
  /** Bound on wrapper nesting (compound/compress inside each other). Default 8. */
  maxNesting?: number
  /** Bound on msgpack container nesting. Default 32. */
  maxDepth?: number
}

export const DEFAULT_MAX_NESTING = 8

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

/** Reads a compress{Algo, Buf} body and returns the decompressed bytes, charged to `budget`. */
export function decompressBody(r: MsgpackReader, budget: { remaining: number }): Uint8Array {
  const c = decodeStruct(r, SCHEMAS.compress)
  if (c['Algo'] !== 0) throw wireError('ERR_WIRE_UNKNOWN_TYPE', `unknown compression algorithm ${String(c['Algo'])}`)
  const out = lzwDecompress(c['Buf'] as Uint8Array, budget.remaining)
  budget.remaining -= out.length
  return out
}

/** `[9]{Algo: 0, Buf: lzw(plain)}`. */
export function compressMessage(plain: Uint8Array): Uint8Array {
  const w = new MsgpackWriter(plain.length + 16)
  w.byte(MessageType.compress)
  encodeStruct(w, SCHEMAS.compress, { Algo: 0, Buf: lzwCompress(plain) })
  return w.finish()
}

/** `[12][crc32 BE][inner]`. */
export function wrapCrc(inner: Uint8Array): Uint8Array {
  const out = packetBytes(5 + inner.length)
  out[0] = MessageType.hasCrc
  const crc = crc32(inner)
  out[1] = crc >>> 24
  out[2] = (crc >>> 16) & 0xff
  out[3] = (crc >>> 8) & 0xff
  out[4] = crc & 0xff
  out.set(inner, 5)
  return out
}

export interface EncodeOptions {
  /** Needed to encode `encrypt` nodes (and by buildPacket to encrypt). */
  keyring?: Keyring | null
  /** Nonces for encryption when a node has none (default: crypto random). */
  nonce?: NonceSource
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

export function sealWith(
  options: EncodeOptions,
  node: { vsn: EncryptionVersion; nonce: Uint8Array; keyIndex: number },
  plain: Uint8Array,
  additionalData: Uint8Array,
): Uint8Array {
  const keyring = options.keyring ?? null
  if (keyring === null) throw wireError('ERR_WIRE_ENCRYPTION_REQUIRED', 'encrypting needs a keyring')
  const key = keyring.keys[node.keyIndex] ?? keyring.primary
  const nonce = node.nonce.length === 12 ? node.nonce : (options.nonce?.() ?? undefined)
  return encryptPayload(key, plain, { version: node.vsn, additionalData, ...(nonce === undefined ? {} : { nonce }) })
}

export interface BuildPacketOptions {
  /** memberlist EnableCompression: compress when the result is strictly smaller. */
  compress?: boolean
  /** Add the CRC wrapper (the destination's PMax ≥ 5). */
  crc?: boolean
  /** Encrypt with the primary key (GossipVerifyOutgoing). */
  keyring?: Keyring | null
  /** Encryption version: 1 (Serf) unless memberlist protocol 1 is in use. */
  encryptionVersion?: EncryptionVersion
  nonce?: NonceSource
}

/**
 * Go's rawSendMsgPacket for already-encoded messages: one message goes bare, several become a
 * compound (the caller keeps them within the budget, see packCompound); then compress when
 * smaller, CRC, encrypt.
 */
export function buildPacket(messages: readonly Uint8Array[], options: BuildPacketOptions = {}): Uint8Array {
  return guarded('buildPacket', () => {
    if (messages.length === 0) throw wireError('ERR_WIRE_ENCODE', 'no message to send')
    for (const m of messages) if (m.length === 0) throw wireError('ERR_WIRE_ENCODE', 'an empty message')
    let buf = messages.length === 1 ? messages[0]! : makeCompound(messages)
    if (options.compress === true) {
      const c = compressMessage(buf)
      if (c.length < buf.length) buf = c
    }
    if (options.crc === true) buf = wrapCrc(buf)
    const keyring = options.keyring ?? null
    if (keyring !== null) {
      const nonce = options.nonce?.()
      buf = encryptPayload(keyring.primary, buf, { version: options.encryptionVersion ?? 1, ...(nonce === undefined ? {} : { nonce }) })
    }
    return buf
  })
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
