/**
 * TCP streams (spec §2): one request message, optionally compressed (`[9]{Algo, Buf}`, always when
 * compression is on) and then encrypted (`[10][len:u32 BE][vsn][nonce][ct||tag]`, additional data =
 * the 5 header bytes). Plaintext has no length prefix: the reader decodes msgpack values in order,
 * so `readStream` reports how many bytes one message took, and ERR_WIRE_TRUNCATED means "more bytes
 * are needed" to a connection that is still receiving.
 */
import { decryptPayload, encryptPayload } from './crypto.ts'
import type { EncryptionVersion, NonceSource } from './crypto.ts'
import { guarded, wireError } from './errors.ts'
import type { Keyring } from './keyring.ts'
import { checkAddr, decodeBody, encodeMessage, MessageType, SCHEMAS } from './memberlist.ts'
import type { Ack, ErrResp, Ping, PushNodeState } from './memberlist.ts'
import { MsgpackReader } from './msgpack/reader.ts'
import { MsgpackWriter } from './msgpack/writer.ts'
import { compressMessage, decompressBody, sealWith, DEFAULT_MAX_NESTING } from './wrappers.ts'
import type { CompressNode, EncodeOptions, EncryptNode, DecodeOptions } from './wrappers.ts'
import { DEFAULT_MAX_DECOMPRESSED_BYTES } from './lzw.ts'
import { decodeStruct, encodeStruct } from './schema.ts'
import type { Struct } from './schema.ts'

/** Go's maxPushStateBytes: the largest encrypted stream frame accepted. */
export const MAX_PUSH_STATE_BYTES = 20 * 1024 * 1024

/** push/pull: header, node states, then the delegate's raw user state. */
export interface PushPullStream {
  type: 'pushPull'
  Join: boolean
  /** Equals NodeStates.length (recomputed on encode). */
  Nodes: number
  /** Equals UserState.length (recomputed on encode). */
  UserStateLen: number
  NodeStates: PushNodeState[]
  /** Serf: `[2][msgpack pushPull]`. */
  UserState: Uint8Array
}
/** Reliable user message: `[8]{UserMsgLen}[bytes]`. */
export interface UserStream {
  type: 'user'
  UserMsgLen: number
  Payload: Uint8Array
}

export type StreamMessage = PushPullStream | UserStream | Ping | Ack | ErrResp
export type StreamNode = StreamMessage | CompressNode<StreamMessage> | EncryptNode<StreamMessage | CompressNode<StreamMessage>>

export interface StreamDecodeOptions extends DecodeOptions {
  /** Largest encrypted frame accepted, bytes (Go: 20 MiB). */
  maxEncryptedBytes?: number
}

export interface StreamRead {
  node: StreamNode
  /** Bytes of the input the message took (later bytes belong to whatever follows). */
  bytesRead: number
}

/** Decodes one stream message from the start of `bytes`. */
export function readStream(bytes: Uint8Array, options: StreamDecodeOptions = {}): StreamRead {
  return guarded('readStream', () => {
    if (bytes.length === 0) throw wireError('ERR_WIRE_TRUNCATED', 'empty stream')
    const keyring = options.keyring ?? null
    const maxBytes = options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES
    if (bytes[0] === MessageType.encrypt) {
      if (bytes.length < 5) throw wireError('ERR_WIRE_TRUNCATED', 'encrypted frame header is 5 bytes')
      const len = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1)
      const max = options.maxEncryptedBytes ?? MAX_PUSH_STATE_BYTES
      if (len > max) throw wireError('ERR_WIRE_TOO_LARGE', `encrypted frame of ${len} bytes passes ${max}`)
      if (bytes.length < 5 + len) throw wireError('ERR_WIRE_TRUNCATED', `encrypted frame of ${len} bytes, ${bytes.length - 5} present`)
      if (keyring === null) throw wireError('ERR_WIRE_ENCRYPTION_REQUIRED', 'encrypted stream and no keyring')
      const opened = decryptPayload(keyring, bytes.subarray(5, 5 + len), bytes.subarray(0, 5))
      const inner = readPlain(opened.plain, maxBytes, options.maxDepth, true).node
      const node: EncryptNode<StreamMessage | CompressNode<StreamMessage>> = {
        type: 'encrypt',
        vsn: opened.version,
        nonce: opened.nonce,
        keyIndex: opened.keyIndex,
        inner,
      }
      return { node, bytesRead: 5 + len }
    }
    if (keyring !== null && options.verifyIncoming !== false) {
      throw wireError('ERR_WIRE_ENCRYPTION_REQUIRED', 'plaintext stream while encryption is required')
    }
    return readPlain(bytes, maxBytes, options.maxDepth, true)
  })
}

/** Decodes one stream message; bytes after it are ignored. */
export function decodeStream(bytes: Uint8Array, options: StreamDecodeOptions = {}): StreamNode {
  return readStream(bytes, options).node
}

function readPlain(
  buf: Uint8Array,
  maxBytes: number,
  maxDepth: number | undefined,
  allowCompress: boolean,
): { node: StreamMessage | CompressNode<StreamMessage>; bytesRead: number } {
  if (buf.length === 0) throw wireError('ERR_WIRE_EMPTY', 'empty stream message')
  const t = buf[0]!
  const r = new MsgpackReader(buf, 1, buf.length, maxDepth)
  switch (t) {
    case MessageType.compress: {
      if (!allowCompress) throw wireError('ERR_WIRE_UNKNOWN_TYPE', 'compress inside compress on a stream')
      const plain = decompressBody(r, { remaining: maxBytes })
      const inner = readPlain(plain, maxBytes, maxDepth, false).node as StreamMessage
      return { node: { type: 'compress', Algo: 0, inner }, bytesRead: r.pos }
    }
    case MessageType.pushPull: {
      const h = decodeStruct(r, SCHEMAS.pushPullHeader)
      const nodes = h['Nodes'] as number
      const userLen = h['UserStateLen'] as number
      if (nodes < 0 || userLen < 0) throw wireError('ERR_WIRE_BAD_LENGTH', `negative push/pull counts (${nodes}, ${userLen})`)
      if (nodes > r.remaining) throw wireError('ERR_WIRE_TRUNCATED', `push/pull declares ${nodes} nodes in ${r.remaining} bytes`)
      const NodeStates: PushNodeState[] = []
      for (let i = 0; i < nodes; i++) {
        const s = decodeStruct(r, SCHEMAS.pushNodeState) as unknown as PushNodeState
        checkAddr('pushNodeState.Addr', s.Addr, false)
        NodeStates.push(s)
      }
      const UserState = r.take(userLen, 'push/pull user state')
      const node: PushPullStream = { type: 'pushPull', Join: h['Join'] as boolean, Nodes: nodes, UserStateLen: userLen, NodeStates, UserState }
      return { node, bytesRead: r.pos }
    }
    case MessageType.user: {
      const h = decodeStruct(r, SCHEMAS.userMsgHeader)
      const len = h['UserMsgLen'] as number
      if (len < 0) throw wireError('ERR_WIRE_BAD_LENGTH', `negative user message length ${len}`)
      const Payload = r.take(len, 'user message')
      return { node: { type: 'user', UserMsgLen: len, Payload }, bytesRead: r.pos }
    }
    case MessageType.ping:
      return { node: decodeBody('ping', r), bytesRead: r.pos }
    case MessageType.ack:
      return { node: decodeBody('ack', r), bytesRead: r.pos }
    case MessageType.err:
      return { node: decodeBody('err', r), bytesRead: r.pos }
    default:
      throw wireError('ERR_WIRE_UNKNOWN_TYPE', `message type ${t} is not supported on a stream`, { messageType: t })
  }
}

export interface StreamEncodeOptions extends EncodeOptions {}

/** Encodes a stream tree (the inverse of decodeStream). */
export function encodeStream(node: StreamNode, options: StreamEncodeOptions = {}): Uint8Array {
  return guarded('encodeStream', () => encodeStreamNode(node, options, 0))
}

function encodeStreamNode(node: StreamNode, options: StreamEncodeOptions, depth: number): Uint8Array {
  if (depth > DEFAULT_MAX_NESTING) throw wireError('ERR_WIRE_TOO_DEEP', 'stream wrappers nested too deep')
  switch (node.type) {
    case 'encrypt': {
      const plain = encodeStreamNode(node.inner, options, depth + 1)
      return frameEncrypted((header) => sealWith(options, node, plain, header), plain.length, node.vsn)
    }
    case 'compress':
      return compressMessage(encodeStreamNode(node.inner, options, depth + 1))
    case 'pushPull':
      return encodePushPull(node)
    case 'user': {
      const w = new MsgpackWriter(node.Payload.length + 24)
      w.byte(MessageType.user)
      encodeStruct(w, SCHEMAS.userMsgHeader, { UserMsgLen: node.Payload.length })
      w.raw(node.Payload)
      return w.finish()
    }
    default:
      return encodeMessage(node)
  }
}

/** `[6]{Join, Nodes, UserStateLen}` + node states + raw user state. */
export function encodePushPull(msg: Pick<PushPullStream, 'Join' | 'NodeStates' | 'UserState'>): Uint8Array {
  const w = new MsgpackWriter(256 + msg.UserState.length)
  w.byte(MessageType.pushPull)
  encodeStruct(w, SCHEMAS.pushPullHeader, { Join: msg.Join, Nodes: msg.NodeStates.length, UserStateLen: msg.UserState.length })
  for (const s of msg.NodeStates) {
    checkAddr('pushNodeState.Addr', s.Addr, false)
    if (s.Vsn.length !== 6) throw wireError('ERR_WIRE_ENCODE', `pushNodeState.Vsn must be 6 bytes, got ${s.Vsn.length}`)
    encodeStruct(w, SCHEMAS.pushNodeState, s as unknown as Struct)
  }
  w.raw(msg.UserState)
  return w.finish()
}

function frameEncrypted(seal: (header: Uint8Array) => Uint8Array, plainLength: number, vsn: EncryptionVersion): Uint8Array {
  // The length is known before sealing: v1 adds 29 bytes; v0 pads to the next multiple of 16 first.
  const sealedLength = 29 + (vsn === 0 ? plainLength + (16 - (plainLength % 16)) : plainLength)
  const header = new Uint8Array(5)
  header[0] = MessageType.encrypt
  new DataView(header.buffer).setUint32(1, sealedLength)
  const sealed = seal(header)
  const out = new Uint8Array(5 + sealed.length)
  out.set(header)
  out.set(sealed, 5)
  return out
}

export interface BuildStreamOptions {
  /** memberlist EnableCompression: on streams, compress always (even when bigger). */
  compress?: boolean
  keyring?: Keyring | null
  encryptionVersion?: EncryptionVersion
  nonce?: NonceSource
}

/** Go's stream send path for an encoded plaintext message: compress (if on), then encrypt (if a keyring). */
export function buildStream(plain: Uint8Array, options: BuildStreamOptions = {}): Uint8Array {
  return guarded('buildStream', () => {
    if (plain.length === 0) throw wireError('ERR_WIRE_ENCODE', 'empty stream message')
    let buf = options.compress === true ? compressMessage(plain) : plain
    const keyring = options.keyring ?? null
    if (keyring === null) return buf
    const vsn = options.encryptionVersion ?? 1
    const nonce = options.nonce?.()
    const body = buf
    buf = frameEncrypted(
      (header) => encryptPayload(keyring.primary, body, { version: vsn, additionalData: header, ...(nonce === undefined ? {} : { nonce }) }),
      body.length,
      vsn,
    )
    return buf
  })
}
