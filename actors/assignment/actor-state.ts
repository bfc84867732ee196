/**
 * The assignment actor's core state (the machine's context IS this) and its effects. Pure data:
 * one entry per group this node takes part in (bounded by maxGroups), each with the worker side
 * (the local registration, the term guard, the newest accepted assignment) and, while this node
 * leads the group, the leader side (the calculator's state and the registrations it knows).
 */
import type { ReplyTo } from '../../src/types/actor-env.ts'
import type { WireError } from '../../src/errors/index.ts'
import type { Assignment } from './assignment.ts'
import { emptyBucketMap, type BucketMap } from './bucket-map.ts'
import type { CalculatorState, ComputeRequest, TimerKey } from './calculator-types.ts'
import type { AssignmentInit } from './config.ts'
import type { Registration } from './group-message.ts'
import type { AssignmentChangedMsg, AssignmentResultReply, AssignmentViewReply } from './protocol.ts'
import type { TermGuardConfig, TermGuardState } from './term-guard.ts'

export type AssignmentBackend = 'nats' | 'membership'

/** The calculator's timers, and the worker's own: 'announce' (tell the leader again, membership). */
export type ActorTimerKey = TimerKey | 'announce'

/**
 * membership: a worker that has no assignment of its leader's term this long after it told the
 * leader about itself tells it again (the message or the leader's answer may have been lost: a
 * leader mid-restart, a broken stream), until one arrives.
 */
export const ANNOUNCE_RETRY_MS = 5_000

/** Timing and bounds of the actor (the calculator's own config comes from each registration). */
export interface AssignmentActorConfig {
  /** Calculator settings besides partitions and strategy (windows, grace, move cap, ...). */
  calculator: Omit<AssignmentInit, 'partitions' | 'strategy'>
  guard: TermGuardConfig
  /** Groups this node may take part in at once; more registrations are refused. */
  maxGroups: number
  /** Alive members tracked; members past it are counted and not tracked. */
  maxMembers: number
}

export const DEFAULT_ASSIGNMENT_ACTOR_CONFIG: Readonly<Omit<AssignmentActorConfig, 'calculator'>> = Object.freeze({
  guard: { maxTermLead: 1_000_000, maxBytes: 4 * 1024 * 1024 },
  maxGroups: 256,
  maxMembers: 100_000,
})

export interface LeaderSide {
  readonly term: number
  /** 'reading': waiting for the store's last published assignment before the calculator starts. */
  readonly calc: CalculatorState | undefined
}

export interface GroupState {
  readonly group: string
  /** This node's own registration. */
  readonly local: Registration
  /** The group's leader as the election last reported it. */
  readonly leader: { name: string; term: number } | null
  readonly guard: TermGuardState
  readonly accepted: Assignment | undefined
  /** Who published the accepted one. */
  readonly acceptedFrom: string
  /** This node's partitions in `accepted`, listed once when it was accepted (O(P) at P = 100,000). */
  readonly acceptedMine?: readonly number[]
  /** Registrations this node knows (by node name): used while it leads. */
  readonly registrations: BucketMap<Registration>
  readonly lead: LeaderSide | undefined
}

export interface AssignmentActorStats {
  registers: number
  unregisters: number
  /** Assignments accepted by this node's workers. */
  accepted: number
  /** Assignments emitted by this node as a leader (to the store, or sent to members). */
  published: number
  /** Gossamer sends of assignments (one per member and publication). */
  sends: number
  leaderships: number
  /** Leaderships given up because the store held a newer leader's assignment. */
  fenced: number
  memberEvents: number
  electionChanges: number
  /** Refusals that are not the term guard's: by code (config mismatch, unknown group, corrupt message, ...). */
  refused: Record<string, number>
  lastRefusal: WireError | null
  /** Store operations that failed (the last error in lastStoreError). */
  storeErrors: number
  lastStoreError: WireError | null
  /** Tells (to swim, election, the events peer) that were not delivered. */
  undelivered: number
  /** Computations answered after their group or leadership was gone. */
  staleComputations: number
  /** membership: registrations sent again because no assignment of the leader's term came. */
  reannounced: number
  /** Restores from the persisted snapshot after a crash (each group followed again). */
  restores: number
  /** Asks of the election's view (after a restore) that failed. */
  viewFailures: number
  /** nats: registration keys of departed workers (left or reaped) this node deleted as the leader. */
  keysDeleted: number
}

export interface AssignmentActorState {
  readonly self: string
  readonly backend: AssignmentBackend
  readonly config: AssignmentActorConfig
  /** The store (nats): opening, running, failed. The membership backend has none: always running. */
  readonly store: 'opening' | 'running' | 'failed'
  readonly storeError: WireError | null
  /** Alive members other than self: name -> advertises GOSSAMER_TAG. */
  readonly members: BucketMap<boolean>
  readonly memberCount: number
  /**
   * The alive members of `members` that advertise GOSSAMER_TAG (value always true): who a
   * publication is sent to. A publication walks these (G, a few in a mixed cluster) rather than
   * every registration and every worker of the assignment (W, 1,000 and more), in a turn of its own.
   */
  readonly gossamerMembers: BucketMap<true>
  readonly groups: Readonly<Record<string, GroupState>>
  readonly eventsPeer: string | null
  /**
   * The peers' ids and the nats store's init, kept for a restore: a restored machine never sees its
   * input again. Server URLs with credentials in them would show here.
   */
  readonly peers: { readonly swim: string; readonly election: string }
  readonly nats: AssignmentNatsInit | null
  readonly stats: AssignmentActorStats
}

export interface AssignmentNatsInit {
  readonly servers: readonly string[]
  readonly bucket: string
  readonly requestTimeoutMs?: number
  readonly connectTimeoutMs?: number
}

export type AssignmentEffect =
  | { type: 'reply'; to: ReplyTo<AssignmentResultReply> | ReplyTo<AssignmentViewReply> | undefined; msg: AssignmentResultReply | AssignmentViewReply }
  | { type: 'emit'; msg: AssignmentChangedMsg }
  /** To swim: the whole Gossamer envelope to one member, reliable (TCP). */
  | { type: 'send-gossamer'; to: string; bytes: Uint8Array }
  /** To the election peer. */
  | { type: 'election'; op: 'campaign' | 'resign'; group: string }
  | { type: 'store'; op: 'publish'; group: string; version: number; term: number; bytes: Uint8Array }
  | { type: 'store'; op: 'register'; group: string; bytes: Uint8Array }
  /** Deletes a registration key: this node's own, or `node`'s (a leader, for a worker that left or was reaped). */
  | { type: 'store'; op: 'unregister'; group: string; node?: string }
  | { type: 'store'; op: 'read'; group: string; term: number }
  | { type: 'set-timer'; group: string; key: ActorTimerKey; ms: number }
  | { type: 'cancel-timer'; group: string; key: ActorTimerKey }
  | { type: 'compute'; group: string; requestId: number; request: ComputeRequest }
  /** Encode a large assignment on the compute pool (answered by `assignment.encoded`). */
  | { type: 'encode'; group: string; assignment: Assignment }
  /** Ask the election peer for the group's leader (answered by `assignment.leader-view`). */
  | { type: 'ask-view'; group: string }

export function emptyActorStats(): AssignmentActorStats {
  return {
    registers: 0,
    unregisters: 0,
    accepted: 0,
    published: 0,
    sends: 0,
    leaderships: 0,
    fenced: 0,
    memberEvents: 0,
    electionChanges: 0,
    refused: {},
    lastRefusal: null,
    storeErrors: 0,
    lastStoreError: null,
    undelivered: 0,
    staleComputations: 0,
    reannounced: 0,
    restores: 0,
    viewFailures: 0,
    keysDeleted: 0,
  }
}

export function initialAssignmentActor(init: {
  self: string
  backend: AssignmentBackend
  config: AssignmentActorConfig
  eventsPeer: string | null
  peers?: { swim?: string | undefined; election?: string | undefined }
  nats?: AssignmentNatsInit | undefined
}): AssignmentActorState {
  return {
    self: init.self,
    backend: init.backend,
    config: init.config,
    store: init.backend === 'nats' ? 'opening' : 'running',
    storeError: null,
    members: emptyBucketMap(),
    memberCount: 0,
    gossamerMembers: emptyBucketMap(),
    groups: {},
    eventsPeer: init.eventsPeer,
    peers: { swim: init.peers?.swim ?? 'swim', election: init.peers?.election ?? 'election' },
    nats: init.nats ?? null,
    stats: emptyActorStats(),
  }
}
