/**
 * Coded errors of the election's membership backend. Across threads and the network only
 * `{ code, message }` survives (src/errors), so callers match on `code`; codes are stable once published.
 */
import { ClusterError } from '../../src/errors/index.ts'

export type ElectionInputCode =
  /** A term that is not a non-negative safe integer. */
  | 'ERR_ELECTION_INVALID_TERM'
  /** A message or an input the core cannot use (a bad field, an unknown type). */
  | 'ERR_ELECTION_INVALID_INPUT'

/** Thrown when the election core or a message constructor is given a value it cannot use. */
export class ElectionInputError extends ClusterError {
  static override name = 'ElectionInputError'
  constructor(code: ElectionInputCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details === undefined ? {} : { details })
  }
}

export type ElectionDecodeCode =
  /** Bad magic, unknown format version, undecodable msgpack, an unknown type, a field out of range. */
  | 'ERR_ELECTION_MESSAGE_CORRUPT'
  /** Longer than the decoder's byte limit (checked before anything is parsed). */
  | 'ERR_ELECTION_MESSAGE_OVERSIZED'

/** Thrown when encoded election message bytes cannot be decoded. */
export class ElectionDecodeError extends ClusterError {
  static override name = 'ElectionDecodeError'
  constructor(code: ElectionDecodeCode, message: string, options: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(code, message, options)
  }
}

export type ElectionBackendCode =
  /** A campaign's AbortSignal fired before it won. */
  | 'ERR_ELECTION_ABORTED'
  /** The backend was closed. */
  | 'ERR_ELECTION_CLOSED'
  /** fence(): an older term than the group's current one (a deposed leader's). */
  | 'ERR_ELECTION_STALE_TERM'
  /** fence(): a newer term than any the backend granted. */
  | 'ERR_ELECTION_FUTURE_TERM'
  /** fence(): no leader holds the lease now. */
  | 'ERR_ELECTION_NO_LEADER'
  /** A changes() consumer fell more than its buffer behind. */
  | 'ERR_ELECTION_CHANGES_OVERFLOW'
  /** nats: no server answered at start. */
  | 'ERR_ELECTION_NATS_UNREACHABLE'
  /** nats: the bucket does not exist. */
  | 'ERR_ELECTION_BUCKET_MISSING'
  /** nats: the bucket's max age is not the configured lease (ttlMs). */
  | 'ERR_ELECTION_BUCKET_TTL'
  /** nats: a request failed (timeout, connection lost, server error); counted and retried with backoff. */
  | 'ERR_ELECTION_NATS_REQUEST'

/** An election backend's coded failure (see ElectionBackendCode). */
export class ElectionBackendError extends ClusterError {
  static override name = 'ElectionBackendError'
  constructor(code: ElectionBackendCode, message: string, options: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(code, message, options)
  }
}
