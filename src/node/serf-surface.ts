/**
 * The part of the node that needs Serf's event layer and swim's newer asks: user events, queries
 * and responses (serf-events' `serf.user-event`, `serf.query`, `serf.respond`), the cluster-wide
 * key operations (swim's `swim.keyring` and the `_serf_*-key` internal queries), coordinates
 * (`swim.coordinate`) and force-leave (a member-manager ask). createNode takes any SerfSurface;
 * the one it uses until those actors answer is `notWiredSurface`, whose every call rejects with
 * ERR_NODE_NOT_WIRED, so nothing pretends to work. The event source slot lets the event layer feed
 * `events()` (user events and queries) next to member-manager's member events.
 */
import { ClusterError } from '../errors/index.ts'
import type { Coordinate } from '../coordinate/index.ts'
import type { ForceLeaveOptions, KeyOperations, QueryOptions, QueryStream, UserEventOptions } from './api.ts'
import type { EventSource } from './event-hub.ts'

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
}

/** ERR_NODE_NOT_WIRED: the operation needs an actor this node does not run yet. */
export class NodeNotWiredError extends ClusterError {
  static override name = 'NodeNotWiredError'
  constructor(operation: string, needs: string) {
    super('ERR_NODE_NOT_WIRED', `${operation} needs ${needs}, which this node does not run yet`, { details: { operation, needs } })
  }
}

const EVENTS = 'the serf-events actor'
const KEYRING = "swim's live keyring (swim.keyring) and the key queries"

/** The surface of a node without the event layer: every call rejects, coded. */
export function notWiredSurface(): SerfSurface {
  const no = (operation: string, needs: string) => Promise.reject(new NodeNotWiredError(operation, needs))
  return {
    userEvent: () => no('userEvent', EVENTS),
    query: () => no('query', EVENTS),
    respond: () => no('respond', EVENTS),
    keys: {
      install: () => no('keys.install', KEYRING),
      use: () => no('keys.use', KEYRING),
      remove: () => no('keys.remove', KEYRING),
      list: () => no('keys.list', KEYRING),
    },
    coordinate: () => no('coordinate', "swim's coordinates (swim.coordinate)"),
    forceLeave: () => no('forceLeave', "member-manager's force-leave"),
    events: undefined,
    clocks: () => Promise.resolve(undefined),
  }
}
