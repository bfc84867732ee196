/**
 * Coded errors of the serf-events actor (user events and queries). Each has a stable `code`; across
 * a thread they travel as `{ code, message, details }` (src/errors toWireError).
 */
import { ClusterError } from '../../src/errors/index.ts'

export type SerfEventsErrorCode =
  | 'ERR_EVENT_TOO_LARGE'
  | 'ERR_EVENT_INVALID'
  | 'ERR_QUERY_TOO_LARGE'
  | 'ERR_QUERY_INVALID'
  | 'ERR_QUERY_BAD_FILTER'
  | 'ERR_QUERY_RESERVED_NAME'
  | 'ERR_QUERY_UNSUPPORTED_PROTOCOL'
  | 'ERR_QUERY_TOO_MANY_OPEN'
  | 'ERR_QUERY_UNKNOWN'
  | 'ERR_QUERY_ALREADY_RESPONDED'
  | 'ERR_QUERY_PAST_DEADLINE'
  | 'ERR_QUERY_RESPONSE_TOO_LARGE'
  /** The node's own member record (address, port, tags) is not known yet: swim has not started. */
  | 'ERR_EVENTS_NOT_READY'

/** Thrown (or returned) when a user event, a query or a query response is refused. */
export class SerfEventsError extends ClusterError {
  static override name = 'SerfEventsError'
  declare readonly code: SerfEventsErrorCode
  constructor(code: SerfEventsErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, { details })
  }
}
