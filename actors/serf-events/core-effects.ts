/**
 * The serf-events core's vocabulary (core.ts): the inputs of `step`, the effects it returns
 * (the concept files' effects plus the snapshotter's clock records) and the result an API ask gets.
 * Plain data; the machine (machine.ts) turns messages and timers into inputs and runs the effects.
 * Append-only, keyed on `type`.
 */
import type { LamportTime } from '../member-manager/protocol.ts'
import type { EventClockMsg, QueryClockMsg } from '../snapshotter/protocol.ts'
import type { RandomSource } from '../../src/types/random.ts'
import type { SerfEventsEffect } from './effects.ts'
import type { SerfEventsError } from './errors.ts'
import type { MemberEventKind } from './effects.ts'
import type { EventSlot, SerfEventsMember } from './protocol.ts'
import type { QueryRequest } from './query-originator.ts'
import type { SerfEventsConfig } from './config.ts'
import type { MemberFeed } from './member-feed.ts'
import type { SerfEventsState } from './serf-events-state.ts'
import type { UserEventRequest } from './user-event-send.ts'
import type { KeyResponse } from '../../src/node/api.ts'
export type { KeyOperationDoneEffect, LogEffect, NameConflictLostEffect } from './internal-ops.ts'
import type { InternalOpsState, KeyOperationDoneEffect, LogEffect, NameConflictLostEffect } from './internal-ops.ts'
import type { KeyOperationKind, KeyringOp, KeyringReply } from './key-ring-ops.ts'


/** The actor's own counters (the concept files count their own). */
export interface SerfEventsCounters {
  /** Serf messages that did not decode (or were empty). */
  malformedMessages: number
  /** Decoded, but of a type this actor does not handle (member-manager's intents, conflict/key responses). */
  foreignMessages: number
  /** Relays we forwarded as the relay member (Serf: "relay" user messages). */
  relaysForwarded: number
  /** `_serf_ping` queries handled (acked when asked, no response). */
  internalPing: number
  /** `_serf_` queries answered with a response (`_serf_conflict`). */
  internalAnswered: number
  /** `_serf_` queries not answered: the key queries until they are plugged in, and unknown names. */
  internalUnhandled: number
  /** Acks and responses to our own queries taken in without a UDP round trip. */
  localResults: number
  /** `serf.query-abort` for a query that is not open (unknown or already closed). */
  abortsUnknown: number
  /** Timers that fired with an id no core knows (stale after a restore). */
  unknownTimers: number
  /** Starts after a crash whose clocks came back from member-manager's copy (they were ahead of ours). */
  clocksRestored: number
  /** Key queries received whose operation went to swim's keyring (`ask-keyring`). */
  keyringAsks: number
  /** Key queries answered (a keyring reply, or `Result: false` for an undecodable request). */
  keyQueriesAnswered: number
  /** Key queries whose request did not decode (answered `Result: false`). */
  keyRequestsUndecodable: number
  /** Key responses that did not fit the response limit even trimmed: nothing sent (Serf logs it). */
  keyResponsesTooLarge: number
  /** Keyring replies that came after the query was answered or forgotten (its deadline passed). */
  keyringRepliesLate: number
  /** Cluster-wide key operations started (a key query sent). */
  keyOperations: number
  /** `_serf_conflict` queries about our own name: not answered (we are a claimant). */
  conflictQueriesAboutUs: number
  /** Votes about our name held, and how each ended. */
  conflictVotes: number
  conflictMajority: number
  conflictMinority: number
  conflictInconclusive: number
  /** Reports of a conflict about our name while one was being resolved (merged into it). */
  conflictReportsMerged: number
  /** Reports after we lost a vote (the node is shutting down; no new vote). */
  conflictReportsAfterLoss: number
  /** A vote that could not start (our own record unknown, or the query refused); logged. */
  conflictVotesNotStarted: number
  /** Votes cut short by the actor's shutdown (no decision). */
  conflictVotesAborted: number
}

export interface SerfEventsCoreState {
  config: SerfEventsConfig
  nodeName: string
  ev: SerfEventsState<SerfEventsMember>
  feed: MemberFeed
  /** Key operations and the conflict vote this node originated (internal-ops.ts). */
  ops: InternalOpsState
  counters: SerfEventsCounters
  /** The highest event / query LTime told to the snapshotter (0: none). */
  told: { eventClock: LamportTime; queryClock: LamportTime }
}

/** `now`: the actor clock (ms). `random`: the actor's seeded source (query IDs, relay picks). */
export type CoreInput =
  /** A Serf message received (`serf.message`): `[serfType][msgpack]`, exactly as it arrived. */
  | { type: 'message'; bytes: Uint8Array; now: number; random: RandomSource }
  | { type: 'user-event'; request: UserEventRequest; now: number }
  | { type: 'query'; request: QueryRequest; now: number; random: RandomSource }
  | { type: 'abort'; ltime: LamportTime; id: number; now: number }
  | { type: 'respond'; key: string; payload: Uint8Array | null; now: number; random: RandomSource }
  /** One of member-manager's member events: the member feed, then the member coalescer. */
  | { type: 'member-event'; event: MemberEventKind; members: SerfEventsMember[]; now: number }
  /** member-manager's table as a whole: replaces the member feed's view. */
  | { type: 'members'; members: SerfEventsMember[]; clocks?: { eventLTime: LamportTime; queryLTime: LamportTime } }
  /** The event part of a remote push/pull. */
  | { type: 'merge-remote'; eventLTime: LamportTime; events: Array<EventSlot | null> | null; queryLTime: LamportTime; join: boolean; now: number }
  /** A timer armed by a `set-timer` effect fired (`random`: a conflict vote may start). */
  | { type: 'timer'; id: string; now: number; random?: RandomSource }
  /** swim's keyring answered the `ask-keyring` of the key query `key` (a pendingKey). */
  | { type: 'keyring-reply'; key: string; kind: KeyOperationKind; reply: KeyringReply; now: number; random: RandomSource }
  /** Start a cluster-wide key operation; its outcome comes as a `key-operation-done` effect with `token`. */
  | { type: 'key-operation'; token: string; kind: KeyOperationKind; key: string | null; relayFactor?: number; now: number; random: RandomSource }
  /** member-manager: another node (`other`) claims our name; resolve it by a `_serf_conflict` vote. */
  | { type: 'name-conflict'; other: { addr: Uint8Array; port: number }; now: number; random: RandomSource }
  /** The actor stops: every open query is closed ('aborted'), so each gets its one close. */
  | { type: 'shutdown'; now: number }

/** To the snapshotter: `event-clock:` / `query-clock:` lines (spec §6). */
export interface SnapshotEffect {
  type: 'snapshot'
  msg: EventClockMsg | QueryClockMsg
}

/** Apply a key query's operation to swim's live keyring (an ask, off the packet path); the reply comes back as `keyring-reply`. */
export interface AskKeyringEffect {
  type: 'ask-keyring'
  /** The pending query (pendingKey) the answer is for. */
  key: string
  kind: KeyOperationKind
  op: KeyringOp
}

export type CoreEffect = SerfEventsEffect | SnapshotEffect | AskKeyringEffect | KeyOperationDoneEffect | NameConflictLostEffect | LogEffect

/** What an API ask is answered with. */
export type CoreValue =
  | { kind: 'user-event'; ltime: LamportTime }
  | { kind: 'query'; ltime: LamportTime; id: number; deadlineMs: number }
  | { kind: 'none' }
  /** A key operation refused before any query (bad key text): the answer now. */
  | { kind: 'key-operation'; response: KeyResponse; error: string; code: string }
  /** A key operation sent: its answer comes as a `key-operation-done` effect. */
  | { kind: 'key-operation-pending'; ltime: LamportTime }

export type CoreResult = { ok: true; value: CoreValue } | { ok: false; error: SerfEventsError }

export interface CoreStep {
  state: SerfEventsCoreState
  effects: CoreEffect[]
  /** Set for the API inputs (user-event, query, abort, respond). */
  result: CoreResult | undefined
}
