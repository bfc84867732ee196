/**
 * Gossamer's wire codec: HashiCorp memberlist 0.2.2 / Serf 0.9.4 packets and streams, byte for byte
 * as Go writes them (spec: ../shared/spec/memberlist-serf-wire.md §1-3, §5). Pure: no sockets, no
 * clock; randomness (nonces) only through an optional NonceSource.
 *
 * Receiving: `decodePacket(bytes, {keyring})` → a tree (encrypt/hasCrc/compress/compound wrappers
 * around messages); `flattenPacket(tree)` → the messages. Streams: `readStream` / `decodeStream`.
 * Serf payloads of user messages: `decodeSerfMessage(msg.Payload)`.
 * Sending: `encodeMessage(msg)` / `encodeSerfMessage(msg)`, `packCompound(encoded, budget)`,
 * `buildPacket(encoded, {compress, crc, keyring})`, `encodePushPull` / `buildStream`.
 * JSON (`gossamer decode`): `toJson(tree)`, `serfToJson(msg)`.
 */
export { WireCodecError, WIRE_ERROR_CODES } from './errors.ts'
export type { WireErrorCode } from './errors.ts'

export { MessageType, MESSAGE_TYPE_NAMES, NodeState, encodeMessage, decodeMessage } from './memberlist.ts'
export type {
  MessageTypeName,
  Ping,
  IndirectPing,
  Ack,
  Nack,
  Suspect,
  Alive,
  Dead,
  UserMsg,
  ErrResp,
  PushNodeState,
  PushPullHeader,
  GossipMessage,
  MemberlistMessage,
} from './memberlist.ts'

export { SerfMessageType, QueryFlag, MemberStatus, encodeSerfMessage, decodeSerfMessage, encodeFilter, decodeFilter } from './serf.ts'
export type {
  SerfMessageTypeName,
  SerfMessage,
  SerfLeave,
  SerfJoin,
  SerfPushPull,
  SerfUserEvent,
  SerfQuery,
  SerfQueryResponse,
  SerfConflictResponse,
  SerfKeyRequest,
  SerfKeyResponse,
  SerfRelay,
  SerfMember,
  QueryFilter,
  UserEventEntry,
  UserEventsSlot,
  UdpAddr,
} from './serf.ts'

export { decodePacket, encodePacket, flattenPacket } from './packet.ts'
export type { PacketNode, CompoundNode, CrcNode, InvalidNode, FlatPacket } from './packet.ts'
export { compressMessage, wrapCrc, DEFAULT_MAX_NESTING } from './wrappers.ts'
export type { CompressNode, EncryptNode, DecodeOptions, EncodeOptions } from './wrappers.ts'
export { buildPacket } from './build-packet.ts'
export type { BuildPacketOptions } from './build-packet.ts'

export { readStream, decodeStream, encodeStream, encodePushPull, buildStream, MAX_PUSH_STATE_BYTES } from './stream.ts'
export type { StreamNode, StreamMessage, PushPullStream, UserStream, StreamDecodeOptions, StreamRead, BuildStreamOptions } from './stream.ts'

export {
  makeCompound,
  splitCompound,
  packCompound,
  COMPOUND_HEADER_OVERHEAD,
  COMPOUND_PART_OVERHEAD,
  MAX_COMPOUND_PARTS,
} from './compound.ts'
export type { PackResult, SplitCompound } from './compound.ts'

export { Keyring, decodeKeyText } from './keyring.ts'
export { encryptPayload, decryptPayload, randomNonce, ENCRYPT_OVERHEAD, ENCRYPT_OVERHEAD_V0 } from './crypto.ts'
export type { EncryptionVersion, NonceSource, Opened } from './crypto.ts'
export { lzwCompress, lzwDecompress, DEFAULT_MAX_DECOMPRESSED_BYTES } from './lzw.ts'
export { crc32 } from './crc.ts'
export { formatIp, parseIp, toIpv4 } from './address.ts'
export { decodeTags, encodeTags, TAG_MAGIC_BYTE, META_MAX_SIZE } from './tags.ts'
export type { Tags, EncodeTagsOptions } from './tags.ts'
export { encodeCoordinatePayload, decodeCoordinatePayload, newCoordinate, PING_VERSION } from './coordinate.ts'
export type { Coordinate } from './coordinate.ts'
export { toHex, fromHex } from './hex.ts'
export { toJson, serfToJson, errorJson, jsonErrors } from './json.ts'
export type { Json, JsonErrorAt } from './json.ts'
