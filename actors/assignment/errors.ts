/**
 * Coded errors of the assignment calculator and its value. Across threads only `{ code, message }`
 * survives (src/errors), so callers match on `code`; the codes are stable once published.
 */
import { ClusterError } from '../../src/errors/index.ts'

export type AssignmentInputCode =
  /** The partition count is not an integer in 1..MAX_PARTITIONS. */
  | 'ERR_ASSIGNMENT_INVALID_PARTITIONS'
  /** A worker id is empty, too long or repeated, or a weight is negative, NaN or infinite. */
  | 'ERR_ASSIGNMENT_INVALID_WORKER'
  /** More workers than the assignment format (or the configured maxWorkers) can hold. */
  | 'ERR_ASSIGNMENT_TOO_MANY_WORKERS'
  /** No worker, or every worker has weight 0: nobody can own a partition. */
  | 'ERR_ASSIGNMENT_NO_CAPACITY'
  /** A term or version that is not a non-negative safe integer. */
  | 'ERR_ASSIGNMENT_INVALID_TERM'
  /** A compute-pool round request without its round, term or version (a defect of the host). */
  | 'ERR_ASSIGNMENT_INVALID_REQUEST'

/** Thrown when a strategy, the calculator or the Assignment constructor is given input it cannot use. */
export class AssignmentInputError extends ClusterError {
  static override name = 'AssignmentInputError'
  constructor(code: AssignmentInputCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details === undefined ? {} : { details })
  }
}

export type AssignmentDecodeCode =
  /** Bad magic, unknown format version, checksum mismatch, a field out of range, trailing bytes. */
  | 'ERR_ASSIGNMENT_CORRUPT'
  /** Longer than the decoder's byte limit (checked before anything is parsed or allocated). */
  | 'ERR_ASSIGNMENT_OVERSIZED'

/** Thrown when encoded assignment bytes cannot be decoded (or an encoding would exceed its limit). */
export class AssignmentDecodeError extends ClusterError {
  static override name = 'AssignmentDecodeError'
  constructor(code: AssignmentDecodeCode, message: string, options: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(code, message, options)
  }
}

/**
 * Thrown when a calculator is started with a term older than the term of the last published
 * assignment: a newer leader has published since, so this one must not publish at all.
 */
export class StaleTermError extends ClusterError {
  static override name = 'StaleTermError'
  constructor(term: number, newest: number) {
    super('ERR_ASSIGNMENT_STALE_TERM', `term ${term} is older than the last published term ${newest}`, { details: { term, newest } })
  }
}
