/**
 * The effects the serf-events cores return as data (issue 11's shape): the actor's machine carries
 * them out (enqueue on a gossip queue, send a datagram through swim, publish an event, arm or
 * cancel a timer on the actor clock). Append-only, keyed on `type`.
 */
import type { LamportTime } from '../member-manager/protocol.ts'

/** Queue the exact bytes (Serf type byte first) on one of Serf's transmit-limited queues. */
export interface BroadcastEffect {
  type: 'broadcast'
  queue: 'serf-event' | 'serf-query'
  message: Uint8Array
}

/** A UDP user message (memberlist `SendTo`) to one address: a query ack, response or relay. */
export interface SendEffect {
  type: 'send'
  addr: Uint8Array
  port: number
  /** The node we mean to reach (the query's SourceNode, or the relay member). */
  name: string
  /** relay-forward: we are the relay; the inner message goes on to its destination. */
  kind: 'ack' | 'response' | 'relay-ack' | 'relay-response' | 'relay-forward'
  message: Uint8Array
}

/** A user event for subscribers (Serf UserEvent). */
export interface UserEventOut {
  type: 'user-event'
  ltime: LamportTime
  name: string
  payload: Uint8Array | null
  coalesce: boolean
}

/** A query for the application (or, for `_serf_` names, for the internal-query handler). */
export interface QueryEventOut {
  type: 'query' | 'internal-query'
  ltime: LamportTime
  id: number
  name: string
  payload: Uint8Array | null
  sourceNode: string
  /** Actor-clock time (ms) after which a response is refused. */
  deadlineMs: number
}

/** An ack or a response collected by the originator of a query. */
export interface QueryResultOut {
  type: 'query-result'
  ltime: LamportTime
  id: number
  kind: 'ack' | 'response'
  from: string
  payload: Uint8Array | null
}

/** The originator's query ended: at its deadline, or aborted. Sent exactly once per query. */
export interface QueryClosedOut {
  type: 'query-closed'
  ltime: LamportTime
  id: number
  reason: 'deadline' | 'aborted'
  acks: number
  responses: number
}

/** Member events after coalescing: one per event type per flush (Serf MemberEvent). */
export interface MemberEventOut<M = unknown> {
  type: 'member-event'
  event: MemberEventKind
  members: M[]
}

export type MemberEventKind = 'member-join' | 'member-leave' | 'member-failed' | 'member-update' | 'member-reap'

export interface EmitEffect {
  type: 'emit'
  event: UserEventOut | QueryEventOut | QueryResultOut | QueryClosedOut | MemberEventOut
}

/** Arm (or re-arm: same id replaces) a timer that fires at `atMs` on the actor clock. */
export interface SetTimerEffect {
  type: 'set-timer'
  id: string
  atMs: number
}

export interface CancelTimerEffect {
  type: 'cancel-timer'
  id: string
}

export type SerfEventsEffect = BroadcastEffect | SendEffect | EmitEffect | SetTimerEffect | CancelTimerEffect

/** The result shape every core returns. */
export interface Step<S> {
  state: S
  effects: SerfEventsEffect[]
}
