/**
 * assignment protocol: what the assignment actor accepts and emits.
 *
 * The actor is both sides of partition assignment for every group this node takes part in:
 * - worker: `assignment.register` (a local worker: partitions, strategy, weight) makes the node
 *   stand for the group's leader (an `election.campaign` to its election peer) and tell the leader
 *   about itself; every published assignment it receives passes the term guard (term-guard.ts),
 *   and each one accepted is emitted as `assignment.changed` with this node's partitions;
 * - leader: while the election says this node leads the group (`election.changed` with isSelf),
 *   it runs the calculator (calculator.ts) in its context and publishes each assignment through
 *   the backend (the `nats` KV store, or Gossamer's own reliable message to every member with
 *   GOSSAMER_TAG through swim's `swim.send-gossamer`).
 * Worker failure and leave come from member-manager's `member.event`.
 *
 * This is the only file of the actor that other actors may import. The unions are APPEND-ONLY.
 */
import type { ReplyTo } from '../../src/types/actor-env.ts'
import type { WireError } from '../../src/errors/index.ts'
import type { MemberEventMsg } from '../member-manager/protocol.ts'
import type { ElectionChangedMsg } from '../election/protocol.ts'
import type { GossamerMessageIn } from '../swim/protocol.ts'
import type { Assignment } from './assignment.ts'
import type { CalculatorPhase, CalculatorStats, RoundResult, TimerKey } from './calculator-types.ts'
import type { RefusalReason, TermGuardConfig } from './term-guard.ts'
import type { AssignmentInit } from './config.ts'
import type { StrategyName } from './strategies/strategy.ts'

/** The actor's spawn input. */
export interface AssignmentInput {
  /** This node's name: its worker id in every group. */
  self: string
  /** 'membership' (default): publications as Gossamer messages through swim; 'nats': the KV store. */
  backend?: 'membership' | 'nats'
  /** The `nats` store: servers and the assignment bucket (created without a max age when missing). */
  nats?: { servers: string[]; bucket: string; requestTimeoutMs?: number; connectTimeoutMs?: number }
  /** Calculator settings besides partitions and strategy (windows, grace, move cap; config.ts). */
  calculator?: Omit<AssignmentInit, 'partitions' | 'strategy'>
  guard?: Partial<TermGuardConfig>
  maxGroups?: number
  maxMembers?: number
  peers?: { swim?: string; election?: string; events?: string }
}

/** Ask: take part in `group` as a worker (this node's name is the worker id). */
export interface AssignmentRegisterMsg {
  type: 'assignment.register'
  group: string
  partitions: number
  strategy?: StrategyName
  /** 0 = draining (owns nothing once drained). Default 1. */
  weight?: number
  replyTo?: ReplyTo<AssignmentResultReply>
}

/** Ask or tell: stop taking part in `group` (resigns the group's election too). */
export interface AssignmentUnregisterMsg {
  type: 'assignment.unregister'
  group: string
  replyTo?: ReplyTo<AssignmentResultReply>
}

/** Ask: what this node knows of the group now. */
export interface AssignmentViewMsg {
  type: 'assignment.view'
  group: string
  replyTo?: ReplyTo<AssignmentViewReply>
}

/** Internal: a timer of a group's calculator is due. */
export interface AssignmentTimerMsg {
  type: 'assignment.timer'
  group: string
  key: TimerKey | 'announce'
}

/** Internal: the compute pool's answer to a group's computation. */
export interface AssignmentComputedMsg {
  type: 'assignment.computed'
  group: string
  requestId: number
  /** The strategy's answer to a plain request (checked by the calculator, O(P)). */
  assignment?: Assignment
  error?: WireError
  /** The pool's whole round (a request with `round`): checked, capped and encoded there. */
  round?: RoundResult
}

/** Internal: the compute pool's encoding of a large assignment about to be published. */
export interface AssignmentEncodedMsg {
  type: 'assignment.encoded'
  group: string
  version: number
  term: number
  bytes?: Uint8Array
  error?: WireError
}

/** Internal (the store in this thread): opened, or not (its coded error). */
export interface AssignmentStoreOpenedMsg {
  type: 'assignment.store-opened'
  error?: WireError
}

/** Internal (the store): an entry of the store, as watched. `bytes` null: the key was deleted. */
export interface AssignmentStoreEntryMsg {
  type: 'assignment.store-entry'
  kind: 'assignment' | 'worker'
  group: string
  /** For kind 'worker': whose registration. */
  node?: string
  bytes: Uint8Array | null
}

/** Internal (the store): the group's last published assignment, read when this node starts leading. */
export interface AssignmentStoreReadMsg {
  type: 'assignment.store-read'
  group: string
  term: number
  bytes: Uint8Array | null
  error?: WireError
}

/** Internal (the store): how a publication ended; `newerTerm` when the store holds a newer leader's. */
export interface AssignmentStoreDoneMsg {
  type: 'assignment.store-done'
  group: string
  version: number
  error?: WireError
  newerTerm?: number
}

/** Internal (the store): a registration write or delete failed (counted). */
export interface AssignmentStoreFailedMsg {
  type: 'assignment.store-failed'
  op: 'register' | 'unregister'
  group: string
  error: WireError
}

/** Internal (the store): a registration key was deleted (this node's own, or a departed worker's). */
export interface AssignmentStoreWithdrawnMsg {
  type: 'assignment.store-withdrawn'
  group: string
  node: string
}

/**
 * Internal: the election's view of a group, asked after a restore (a restored actor heard no
 * `election.changed` while it was down): handled as a change; `error` when the ask failed.
 */
export interface AssignmentLeaderViewMsg {
  type: 'assignment.leader-view'
  group: string
  leader: string | null
  term: number
  isSelf: boolean
  error?: WireError
}

export type AssignmentInbound =
  | AssignmentRegisterMsg
  | AssignmentUnregisterMsg
  | AssignmentViewMsg
  | AssignmentTimerMsg
  | AssignmentComputedMsg
  | AssignmentStoreOpenedMsg
  | AssignmentStoreEntryMsg
  | AssignmentStoreReadMsg
  | AssignmentStoreDoneMsg
  | ElectionChangedMsg
  | MemberEventMsg
  | GossamerMessageIn
  | AssignmentStoreFailedMsg
  | AssignmentEncodedMsg
  | AssignmentLeaderViewMsg
  | AssignmentStoreWithdrawnMsg

export interface AssignmentResultReply {
  type: 'assignment.result'
  group: string
  ok: boolean
  error?: WireError
}

/** One accepted assignment, as this worker sees it (the node API's MyAssignment). */
export interface MyAssignmentView {
  group: string
  version: number
  /** The publishing leader's term (its fencing token). */
  term: number
  leader: string
  /** Partitions this node owns, ascending. */
  partitions: number[]
  /** Total partitions and workers of the whole assignment. */
  totalPartitions: number
  workers: number
}

export interface AssignmentViewReply {
  type: 'assignment.view-reply'
  group: string
  registered: boolean
  leader: string | null
  term: number
  /** The calculator's phase while this node leads the group; null otherwise. */
  leading: CalculatorPhase | 'reading' | null
  mine: MyAssignmentView | null
  /** Workers the leader counts (registered and alive); 0 when not leading. */
  liveWorkers: number
  refused: Readonly<Record<RefusalReason, number>>
  lastRefusal: WireError | null
  calculator: CalculatorStats | null
}

/** Emitted (and told to the `events` peer) for every assignment this node accepts. */
export interface AssignmentChangedMsg {
  type: 'assignment.changed'
  assignment: MyAssignmentView
}

export type AssignmentOutbound = AssignmentResultReply | AssignmentViewReply | AssignmentChangedMsg
