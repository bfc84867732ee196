/**
 * Coded errors of Serf's key operations (spec §5.10; serf-rpc.md §2.4, §3): the base64 key text,
 * its size, a key query's request and response. Kept apart from errors.ts (user events and queries)
 * so the key modules stay self-contained. Each `message` is Go's text where Serf has one, so the
 * RPC server can pass it through unchanged (`illegal base64 data at input byte 3`).
 */
import { ClusterError } from '../../src/errors/index.ts'

export type KeyErrorCode =
  /** The key text is not standard padded base64 (Go's CorruptInputError; details.offset, bytes). */
  | 'ERR_KEY_BASE64'
  /** The raw key is not 16, 24 or 32 bytes (memberlist ValidateKey; details.size). */
  | 'ERR_KEY_SIZE'
  /** A key query's payload is not `[7][msgpack {Key}]` (Serf: "Failed to decode key request"). */
  | 'ERR_KEY_REQUEST_INVALID'
  /** Not one of the four `_serf_*-key(s)` query names. */
  | 'ERR_KEY_QUERY_UNKNOWN'
  /** Even one listed key does not fit the response limit (Serf: "Failed to truncate response…"). */
  | 'ERR_KEY_RESPONSE_TOO_LARGE'

export class KeyError extends ClusterError {
  static override name = 'KeyError'
  declare readonly code: KeyErrorCode
  constructor(code: KeyErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, { details })
  }
}
