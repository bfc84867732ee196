/**
 * The node's event-layer surface over the serf-events actor and swim (serf-surface.ts says what a
 * surface covers): user events, queries and responses through serf-events' asks; each query's
 * results as its own bounded stream fed from serf-events' emitted `serf.query-result` and
 * `serf.query-closed`; coordinates from swim's `swim.coordinate`; user events, queries and
 * (coalesced) member events for `events()`; Serf's clocks for `stats()`.
 *
 * Query results are routed by (ltime, id). One subscription serves every query. The ask's reply
 * (which names the query) and its first results race across threads, so results for a query not
 * yet named wait in a small bounded buffer (the excess is dropped and counted) and are handed over
 * when the reply comes; the buffer only holds results while some query ask is in flight.
 */
import type { Unsubscribe } from '../runtime/types.ts'
import { ClusterError, fromWireError } from '../errors/index.ts'
import type { Coordinate } from '../coordinate/index.ts'
import type { ForceLeaveOptions, KeyResponse, NodeEvent, QueryOptions, QueryResult, QueryStream, UserEventOptions } from './api.ts'
import { QueueStream } from './bounded-stream.ts'
import type { EventSource } from './event-hub.ts'
import type { NodeActors } from './compose.ts'
import type { SerfSurface } from './serf-surface.ts'
import type { NameConflictLostEmitted, QueryClosedEmitted, QueryResultEmitted } from '../../actors/serf-events/protocol.ts'

/** Results buffered per query for its reader: the acks and responses of 2,048 members. */
export const QUERY_RESULTS_BUFFER = 4_096
/** Results held while their query's ask reply is on its way; past it they are dropped, counted. */
const EARLY_RESULTS_MAX = 1_024
/** How long an API ask to serf-events or swim may take (ms). */
const ASK_TIMEOUT_MS = 10_000
/** A key operation is a query to every member: its default timeout grows with log10(N) (12.8 s at 1,000 on LAN). */
const KEY_OPERATION_TIMEOUT_MS = 60_000
/** Beyond the broadcast timeout member-manager waits for a force-leave's intent to spread (ms). */
const FORCE_LEAVE_SLACK_MS = 5_000

const keyOf = (ltime: bigint, id: number): string => `${ltime}:${id}`

class OpenQuery extends QueueStream<QueryResult> implements QueryStream {
  constructor(
    readonly deadline: number,
    private readonly onAbort: () => void,
    signal: AbortSignal | undefined,
  ) {
    super(QUERY_RESULTS_BUFFER, signal)
  }

  abort(): void {
    if (this.ended) return
    this.onAbort()
    this.end()
  }
}

export interface SerfEventsSurfaceStats {
  /** Queries whose streams are open now. */
  openQueries: number
  /** Results that arrived for no open query (late, after an abort, or past the early buffer). */
  resultsUnrouted: number
}

export interface SerfEventsSurface extends SerfSurface {
  surfaceStats(): SerfEventsSurfaceStats
  /** Ends every open query stream (the node shuts down). */
  close(): void
  /** Serf's minority side of a name conflict shuts down: the node subscribes here. */
  onNameConflictLost(f: (lost: NameConflictLostEmitted) => void): Unsubscribe
}

/**
 * The surface over a node's actors. `clock` is the actor clock (serf-events' deadlines are on it; a
 * simulated one need not match the wall clock); deadlines handed to callers are wall-clock epoch ms.
 */
export function serfEventsSurface(actors: NodeActors, clock: { now(): number }): SerfEventsSurface {
  const { serfEvents, swim } = actors
  const open = new Map<string, OpenQuery>()
  let asksInFlight = 0
  let early: Array<QueryResultEmitted | QueryClosedEmitted> = []
  let resultsUnrouted = 0
  const toEpoch = (actorMs: number): number => Date.now() + (actorMs - clock.now())

  const route = (e: QueryResultEmitted | QueryClosedEmitted): void => {
    const q = open.get(keyOf(e.ltime, e.id))
    if (q === undefined) {
      if (asksInFlight > 0 && early.length < EARLY_RESULTS_MAX) early.push(e)
      else resultsUnrouted++
      return
    }
    if (e.type === 'serf.query-closed') {
      open.delete(keyOf(e.ltime, e.id))
      q.end()
    } else if (e.kind === 'ack') q.push({ type: 'ack', from: e.from })
    else q.push({ type: 'response', from: e.from, payload: e.payload })
  }
  const subscriptions: Unsubscribe[] = [serfEvents.on('serf.query-result', route), serfEvents.on('serf.query-closed', route)]

  const events: EventSource = (publish: (event: NodeEvent) => void) => {
    const offs = [
      serfEvents.on('serf.member-event', (e) => publish({ type: e.event, members: e.members })),
      serfEvents.on('serf.user-event', (e) => publish({ type: 'user', ltime: e.ltime, name: e.name, payload: e.payload, coalesce: e.coalesce })),
      serfEvents.on('serf.query', (e) =>
        publish({ type: 'query', ltime: e.ltime, id: e.id, name: e.name, payload: e.payload, sourceNode: e.sourceNode, deadline: toEpoch(e.deadline), key: e.key }),
      ),
    ]
    return () => {
      for (const off of offs) off()
    }
  }

  /**
   * Serf's KeyManager over the cluster: resolves with the KeyResponse whatever each node said (the
   * RPC's `N/M nodes reported failure` is derived from its counts); rejects only when the request
   * was refused before any query (a bad key text: ERR_KEY_BASE64, ERR_KEY_SIZE, with Go's text).
   */
  const keyOperation = async (kind: 'install' | 'use' | 'remove' | 'list', key?: string): Promise<KeyResponse> => {
    const reply = await serfEvents.ask({ type: 'serf.key-operation', kind, ...(key === undefined ? {} : { key }) }, { timeoutMs: KEY_OPERATION_TIMEOUT_MS })
    if (reply.code !== undefined) throw new ClusterError(reply.code, reply.error ?? `${kind} refused`, { details: { response: reply.response } })
    return reply.response
  }

  return {
    events,

    async userEvent(name: string, payload: Uint8Array | null, options: UserEventOptions): Promise<void> {
      await serfEvents.ask({ type: 'serf.user-event', name, payload, coalesce: options.coalesce === true }, { timeoutMs: ASK_TIMEOUT_MS })
    },

    async query(name: string, payload: Uint8Array | null, options: QueryOptions): Promise<QueryStream> {
      if (options.signal?.aborted === true) throw new ClusterError('ERR_QUERY_ABORTED', `query ${name}: aborted before it was sent`)
      asksInFlight++
      let started
      try {
        started = await serfEvents.ask(
          {
            type: 'serf.query',
            name,
            payload,
            ...(options.filterNodes === undefined ? {} : { filterNodes: [...options.filterNodes] }),
            ...(options.filterTags === undefined ? {} : { filterTags: { ...options.filterTags } }),
            requestAck: options.requestAck === true,
            relayFactor: options.relayFactor ?? 0,
            timeoutMs: options.timeoutMs ?? 0,
          },
          { timeoutMs: ASK_TIMEOUT_MS },
        )
      } finally {
        asksInFlight--
      }
      const key = keyOf(started.ltime, started.id)
      const abort = () => void serfEvents.send({ type: 'serf.query-abort', ltime: started.ltime, id: started.id })
      const stream = new OpenQuery(toEpoch(started.deadline), abort, options.signal)
      // The caller's AbortSignal ends the stream (QueueStream); the actor must stop collecting too.
      stream.onClose(() => {
        if (open.get(key) === stream) {
          open.delete(key)
          abort()
        }
      })
      if (!stream.ended) open.set(key, stream)
      const held = early
      early = []
      for (const e of held) {
        if (keyOf(e.ltime, e.id) === key || asksInFlight === 0) route(e)
        else early.push(e)
      }
      return stream
    },

    async respond(key: string, payload: Uint8Array | null): Promise<void> {
      await serfEvents.ask({ type: 'serf.respond', key, payload }, { timeoutMs: ASK_TIMEOUT_MS })
    },

    async coordinate(node: string | undefined): Promise<Coordinate | undefined> {
      const reply = await swim.ask({ type: 'swim.coordinate', ...(node === undefined ? {} : { node }) }, { timeoutMs: ASK_TIMEOUT_MS })
      return reply.coordinate
    },

    async clocks() {
      const s = await serfEvents.ask({ type: 'serf.stats' }, { timeoutMs: ASK_TIMEOUT_MS })
      return { eventTime: s.eventTime, queryTime: s.queryTime }
    },

    keys: {
      install: (key) => keyOperation('install', key),
      use: (key) => keyOperation('use', key),
      remove: (key) => keyOperation('remove', key),
      list: () => keyOperation('list'),
    },

    async forceLeave(node: string, options: ForceLeaveOptions): Promise<void> {
      // Serf waits for the leave intent to spread (its broadcast timeout) before it answers.
      const reply = await actors.memberManager.ask({ type: 'member.force-leave', node, prune: options.prune === true }, { timeoutMs: ASK_TIMEOUT_MS + FORCE_LEAVE_SLACK_MS })
      if (reply.error !== undefined) throw fromWireError(reply.error)
    },

    onNameConflictLost(f: (lost: NameConflictLostEmitted) => void): Unsubscribe {
      return serfEvents.on('serf.name-conflict-lost', f)
    },

    surfaceStats: () => ({ openQueries: open.size, resultsUnrouted }),

    close(): void {
      for (const off of subscriptions) off()
      for (const q of [...open.values()]) q.end()
      open.clear()
      early = []
    },
  }
}
