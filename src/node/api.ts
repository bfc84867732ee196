/**
 * The node's public API: what `createNode(options)` returns, and what the Serf RPC server
 * (src/rpc/), the `gossamer agent` (src/agent/) and the tests program against. One interface so the
 * RPC server can be tested against any implementation and the facade can change inside.
 *
 * Conventions:
 * - Every method returns a promise that rejects only with a ClusterError (a stable `code`); none
 *   leaves an unhandled rejection behind.
 * - Streams (`events`, `query`, `logs`) are async iterables that end when the node shuts down, when
 *   the caller breaks out of the loop, or when the caller's AbortSignal fires; each is bounded and
 *   counts what it drops for a slow reader (`dropped`).
 * - Lamport times are u64 on the wire, so they are `bigint` here.
 */
import type { Member, MemberStatus } from '../../actors/member-manager/protocol.ts'
import type { Coordinate } from '../coordinate/index.ts'
import type { KeyOperationResponse } from '../../actors/serf-events/protocol.ts'
import type { LeaderChange, LeaderView } from '../../actors/election/protocol.ts'
import type { MyAssignmentView } from '../../actors/assignment/protocol.ts'

export type { Member, MemberStatus }
export type { LeaderChange, LeaderView }

/** `members()` filters, with `members-filtered` semantics (each pattern anchored `^...$`, RE2). */
export interface MemberFilter {
  /** Tag name -> pattern that the tag's value must match; a missing tag tests as "". */
  tags?: Readonly<Record<string, string>>
  /** Pattern the status string must match; empty or absent: any. */
  status?: string
  /** Pattern the node name must match; empty or absent: any. */
  name?: string
}

export type MemberEventType = 'member-join' | 'member-leave' | 'member-failed' | 'member-update' | 'member-reap'

export interface MemberEvent {
  type: MemberEventType
  members: Member[]
}

export interface UserEvent {
  type: 'user'
  ltime: bigint
  name: string
  payload: Uint8Array | null
  coalesce: boolean
}

/** A query from the cluster for the application to answer (internal `_serf_` queries never appear). */
export interface QueryEvent {
  type: 'query'
  ltime: bigint
  /** The query's id as the originator chose it (Serf's query ID, u32). */
  id: number
  name: string
  payload: Uint8Array | null
  /** Who asked. */
  sourceNode: string
  /** Epoch ms after which a response is refused (`ERR_QUERY_PAST_DEADLINE`). */
  deadline: number
  /** The key to pass to `node.respond(...)`: unique per received query on this node. */
  key: string
}

export type NodeEvent = MemberEvent | UserEvent | QueryEvent

/** Filter names of Serf's `stream` command: `member-join`, `user`, `user:NAME`, `query:NAME`, `*`. */
export interface EventsOptions {
  signal?: AbortSignal
  /** Serf filter syntax, comma-separated; default `*`. A bad filter throws ERR_INVALID_EVENT_FILTER from `events()` itself. */
  filter?: string
  /** Events buffered for this reader before new ones are dropped (counted). Default 512, as Serf. */
  buffer?: number
}

/** An async iterable that says how many items it dropped for a slow reader. */
export interface BoundedStream<T> extends AsyncIterable<T> {
  readonly dropped: number
}

export interface UserEventOptions {
  /** Serf's coalesce flag: receivers that coalesce keep only the newest event per name. Default false. */
  coalesce?: boolean
}

export interface QueryOptions {
  /** Only these nodes answer. */
  filterNodes?: string[]
  /** Tag name -> RE2 pattern, unanchored (Go's MatchString). */
  filterTags?: Readonly<Record<string, string>>
  /** Ask every recipient for an ack as well. Default false. */
  requestAck?: boolean
  /** Relay each response through this many random alive members (0-5). Default 0. */
  relayFactor?: number
  /** Milliseconds; default Serf's formula (gossip interval x query timeout mult x ceil(log10(N+1))). */
  timeoutMs?: number
  signal?: AbortSignal
}

export type QueryResult =
  | { type: 'ack'; from: string }
  | { type: 'response'; from: string; payload: Uint8Array | null }

/** The results of one query: acks and responses (deduped by sender) until the deadline or an abort. */
export interface QueryStream extends BoundedStream<QueryResult> {
  /** Epoch ms of the deadline. */
  readonly deadline: number
  /** Ends the stream now; later results are dropped. Idempotent. */
  abort(): void
}

/** Serf's key-operation result (serf-rpc.md 2.4): serf-events' reply body, as it is. */
export type KeyResponse = KeyOperationResponse

export interface KeyOperations {
  install(base64Key: string): Promise<KeyResponse>
  use(base64Key: string): Promise<KeyResponse>
  remove(base64Key: string): Promise<KeyResponse>
  list(): Promise<KeyResponse>
}

/** One log line, for `monitor`. */
export interface LogLine {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error'
  /** Epoch ms. */
  time: number
  /** The subsystem, e.g. `serf`, `memberlist`, `agent.ipc`. */
  subsystem: string
  message: string
}

/**
 * `stats()`: Serf's figures (serf-rpc.md 2.5, as numbers) and each actor's runtime figures.
 */
export interface NodeStats {
  name: string
  serf: {
    members: number
    failed: number
    left: number
    healthScore: number
    memberTime: bigint
    eventTime: bigint
    queryTime: bigint
    intentQueue: number
    eventQueue: number
    queryQueue: number
    encrypted: boolean
    coordinateResets: number
  }
  tags: Record<string, string>
  /** Per actor id: mailbox depth, restarts, overflows, and the actor's own counters. */
  actors: Record<string, { mailboxDepth: number; restarts: number; overflows: number; counters: Record<string, unknown> }>
  /** The node facade's own figures (createNode fills it; optional so other implementations may omit it). */
  node?: NodeFacadeStats
}

/** What the facade itself counts: its streams (and what they dropped) and its joins. */
export interface NodeFacadeStats {
  /** Events published to `events()` readers, events lost to full readers, readers open now. */
  eventsPublished: number
  eventsDropped: number
  eventReaders: number
  /** `logs()` readers open now, and lines pushed out of the 512-line ring by newer ones. */
  logReaders: number
  logLinesOverwritten: number
  /** `join` calls (options.join included) and those that reached no one (ERR_JOIN_FAILED). */
  joins: number
  joinsFailed: number
  /** Serf's retry-join as swim runs it: 'off' | 'joining' | 'waiting' | 'joined' | 'exhausted', and attempts made. */
  retryJoin: { status: string; attempts: number }
  /** With a snapshot: the members it offered for rejoin, the joins tried, and whether one answered. */
  snapshotRejoin?: { previousNodes: number; attempts: number; joined: boolean }
  /**
   * The member list kept on the node's thread (`members()` reads it): reads it answered, reads that
   * asked member-manager instead, events applied, gaps and member-manager restarts that set it back.
   */
  memberView?: { reads: number; asks: number; applied: number; gaps: number; resets: number }
}

export interface JoinOptions {
  /** Serf's replay: deliver user events older than the join. Default false (ignore old). */
  replay?: boolean
}

export interface ForceLeaveOptions {
  /** Erase the member from the list instead of marking it left. */
  prune?: boolean
}

/**
 * Why a node stopped: `shutdown()` was called, it left gracefully, it lost a name-conflict vote
 * (Serf's minority side shuts down), or an actor failed beyond its restarts.
 */
export interface NodeStopped {
  reason: 'shutdown' | 'left' | 'name-conflict' | 'failed'
  /** What went wrong, for 'name-conflict' and 'failed'. */
  error?: { code: string; message: string }
}

export interface GossamerNode extends AsyncDisposable, CoordinationSurface, InspectSurface {
  /** This node's name in the cluster. */
  readonly name: string
  /** The bound gossip address, "ip:port" ("[v6]:port" for IPv6). */
  readonly address: string
  members(filter?: MemberFilter): Promise<Member[]>
  events(options?: EventsOptions): BoundedStream<NodeEvent>
  userEvent(name: string, payload?: Uint8Array | null, options?: UserEventOptions): Promise<void>
  query(name: string, payload?: Uint8Array | null, options?: QueryOptions): Promise<QueryStream>
  /** Answers a received query (QueryEvent.key) once, before its deadline. */
  respond(key: string, payload: Uint8Array | null): Promise<void>
  /** New tags = (current minus `remove`) merged with `set`, as Serf's `tags` command. */
  setTags(set: Readonly<Record<string, string>>, remove?: readonly string[]): Promise<void>
  /** Resolves with how many addresses were reached; rejects ERR_JOIN_FAILED (with each reason) if none. */
  join(addresses: readonly string[], options?: JoinOptions): Promise<number>
  /** Graceful: resolves once peers were told (or the leave timeout passed); the node then stops. */
  leave(): Promise<void>
  forceLeave(node: string, options?: ForceLeaveOptions): Promise<void>
  /** Stops every actor and timer; idempotent (a second call resolves with the first). */
  shutdown(): Promise<void>
  stats(): Promise<NodeStats>
  /** This node's coordinate (no argument) or a member's; undefined when none is known. */
  coordinate(node?: string): Promise<Coordinate | undefined>
  readonly keys: KeyOperations
  /** The node's log lines at `level` and above, the last 512 first (as Serf's monitor). */
  logs(options?: { level?: LogLine['level']; signal?: AbortSignal }): BoundedStream<LogLine>
  /** Resolves (never rejects) once the node has stopped, for whatever reason, after every actor ended. */
  readonly stopped: Promise<NodeStopped>
}

export type { NodeOptions, CoordinationOptions, AssignmentTiming, InspectOptions } from './node-options.ts'

/** `node.election(group)`: this node's handle on one election group. */
export interface ElectionHandle {
  readonly group: string
  /** Stand for leader until resign(); resolves with the term when this node wins. */
  campaign(options?: { signal?: AbortSignal }): Promise<number>
  resign(): Promise<void>
  /** The leader and term as this node knows them now. */
  view(): Promise<LeaderView>
  /** Every change of the group's leadership from now on (up to 1,024 waiting for a slow reader; past that the newest are dropped, counted in `dropped`). */
  changes(options?: { signal?: AbortSignal }): BoundedStream<LeaderChange>
}

/** `node.assignments(group, options)`: take part as a worker; the group's leader assigns partitions. */
export interface AssignmentsOptions {
  partitions: number
  strategy?: 'consistent-hash' | 'rendezvous' | 'round-robin'
  /** This worker's weight (0: draining). Default 1. */
  weight?: number
  signal?: AbortSignal
}

/** One accepted assignment, as this worker sees it: the assignment actor's view (its protocol owns the shape). */
export type MyAssignment = MyAssignmentView

/**
 * What GossamerNode gains with coordination (issue 14). Without `coordination` each throws
 * ERR_COORDINATION_OFF; a bad group is ERR_INVALID_GROUP, bad assignments options an
 * InvalidConfigError naming the field (`assignment.partitions`, `assignments.weight`), thrown
 * before any stream exists.
 */
export interface CoordinationSurface {
  election(group: string): ElectionHandle
  assignments(group: string, options: AssignmentsOptions): BoundedStream<MyAssignment>
}

/** What GossamerNode gains with the live page (issue 15). */
export interface InspectSurface {
  /** "http://ip:port/" of the live page, or undefined without `inspect`. */
  readonly inspectUrl: string | undefined
}
