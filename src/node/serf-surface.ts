/**
 * The part of the node that needs Serf's event layer and swim's newer asks: user events, queries
 * and responses (serf-events' `serf.user-event`, `serf.query`, `serf.respond`), the cluster-wide
 * key operations (serf-events' `serf.key-operation`: the `_serf_*-key` internal queries against
 * every member's live keyring in swim), coordinates (`swim.coordinate`) and force-leave
 * (member-manager's `member.force-leave`). createNode takes any SerfSurface (tests pass their
 * own); the real one is serf-events-surface.ts. Its event source feeds `events()`.
 */
import type { Coordinate } from '../coordinate/index.ts'
import type { ForceLeaveOptions, KeyOperations, QueryOptions, QueryStream, UserEventOptions } from './api.ts'
import type { EventSource } from './event-hub.ts'
import type { Unsubscribe } from '../runtime/types.ts'

export interface SerfSurface {
  userEvent(name: string, payload: Uint8Array | null, options: UserEventOptions): Promise<void>
  query(name: string, payload: Uint8Array | null, options: QueryOptions): Promise<QueryStream>
  respond(key: string, payload: Uint8Array | null): Promise<void>
  readonly keys: KeyOperations
  coordinate(node: string | undefined): Promise<Coordinate | undefined>
  forceLeave(node: string, options: ForceLeaveOptions): Promise<void>
  /** User events and queries for `events()`; undefined while there is no event layer. */
  readonly events: EventSource | undefined
  /** Serf's event and query clocks for stats(); undefined while there is no event layer. */
  clocks(): Promise<{ eventTime: bigint; queryTime: bigint } | undefined>
  /** Ends what the surface holds open (query streams, subscriptions); the node is shutting down. */
  close?(): void
  /** Calls `f` when this node lost a name-conflict vote (Serf's minority side shuts down). */
  onNameConflictLost?(f: (lost: { name: string; log: string }) => void): Unsubscribe
}
