/**
 * Errors of the Serf RPC layer. Two kinds:
 * - `RpcError` (a ClusterError with a stable `code`) for what this process raises: a frame over the
 *   size limit, a body that does not decode, a closed connection, a server-side error reply seen by
 *   the client (`ERR_RPC_REMOTE`, the agent's text in the message, unchanged).
 * - `SERF_ERRORS`: the exact strings Serf's agent puts in a response header's `Error` field
 *   (serf-rpc.md §5). They are protocol, not prose: never reword them.
 */
import { ClusterError } from '../errors/index.ts'

export const RPC_ERROR_CODES = [
  /** A message (header or body) larger than the configured frame limit. */
  'ERR_RPC_FRAME_TOO_LARGE',
  /** A header or body that is not what the command takes (wrong msgpack type, not a map). */
  'ERR_RPC_DECODE',
  /** The connection closed (or was never open) while a call was waiting. */
  'ERR_RPC_CLOSED',
  /** The agent answered with a non-empty `Error`; the message is the agent's text. */
  'ERR_RPC_REMOTE',
  /** Could not connect, or the handshake/auth failed. */
  'ERR_RPC_CONNECT',
  /** The connection limit was reached; the new connection was closed. */
  'ERR_RPC_TOO_MANY_CONNECTIONS',
  /** An argument the client was given cannot be sent (bad address, out-of-range value). */
  'ERR_RPC_BAD_ARGUMENT',
  /** The server could not listen on its address. */
  'ERR_RPC_LISTEN',
] as const
export type RpcErrorCode = (typeof RPC_ERROR_CODES)[number]

export class RpcError extends ClusterError {
  static override name = 'RpcError'
  declare readonly code: RpcErrorCode
  constructor(code: RpcErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options)
  }
}

/** The agent's error texts (serf-rpc.md §5), byte for byte. */
export const SERF_ERRORS = {
  handshakeRequired: 'Handshake required',
  unsupportedVersion: 'Unsupported IPC version',
  duplicateHandshake: 'Handshake already performed',
  authRequired: 'Authentication required',
  invalidAuthToken: 'Invalid authentication token',
  unsupportedCommand: 'Unsupported command',
  invalidFilter: 'Invalid event filter',
  streamExists: 'Stream with given sequence exists',
  monitorExists: 'Monitor already exists',
  queryPrefix: "Queries cannot contain the '_serf_' prefix",
  noPendingQuery: 'No pending queries matching ID',
  joinAfterLeave: "Serf can't Join after Leave or Shutdown",
  leaveInProgress: 'Leave already in progress',
} as const
