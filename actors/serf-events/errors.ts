/**
 * Coded errors of the serf-events actor (user events and queries). Each has a stable `code`; across
 * a thread they travel as `{ code, message, details }` (src/errors toWireError).
 *
 * Actor status: issue 12 groundwork. The concept files of actors/serf-events are pure cores in the
 * shape issue 11 introduces ("input + state → new state + effects as data"); protocol.ts,
 * machine.ts and worker.ts come after that refactor.
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

/** Thrown (or returned) when a user event, a query or a query response is refused. */
export class SerfEventsError extends ClusterError {
  static override name = 'SerfEventsError'
  declare readonly code: SerfEventsErrorCode
  constructor(code: SerfEventsErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, { details })
  }
}
