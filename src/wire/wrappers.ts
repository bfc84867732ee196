/**
 * The wrappers that UDP packets (packet.ts) and TCP streams (stream.ts) share: compress
 * (`[9]{Algo, Buf}`, LZW), the CRC wrapper (`[12][crc32 BE][inner]`, packets only) and the
 * AES-GCM seal, with the node shapes of compress and encrypt and the decode/encode options that
 * bound and key them. Separate from the packet codec so the stream codec depends on these
 * wrappers and not on packet decoding.
 */
import { packetBytes } from './byte-pool.ts'
import { crc32 } from './crc.ts'
import { encryptPayload } from './crypto.ts'
import type { EncryptionVersion, NonceSource } from './crypto.ts'
import { wireError } from './errors.ts'
import type { Keyring } from './keyring.ts'
import { lzwCompress, lzwDecompress } from './lzw.ts'
import { MessageType, SCHEMAS } from './memberlist.ts'
import type { MsgpackReader } from './msgpack/reader.ts'
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

/** Seals `plain` as `node` says (its version, nonce if it has one, key), with `options`' keyring. */
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
