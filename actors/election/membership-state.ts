/**
 * The membership backend's state as the election actor keeps it (membership-core.ts steps it): one
 * lease core per group with the asks waiting on it, the Gossamer members, the partition status,
 * the counters, and the inputs and effects of a step. Plain data: the actor persists it in its
 * context.
 */
import type { ReplyTo } from '../../src/types/actor-env.ts'
import type { WireError } from '../../src/errors/index.ts'
import type { LeaderChange, LeaderView } from './backend.ts'
import type { ElectionConfig } from './config.ts'
import type { LeaseState, LeaseTimerKey, PartitionView } from './lease-types.ts'
import type { ElectionResultReply } from './protocol.ts'
import { NO_TERM, type Term } from './term.ts'
import type { PendingFence } from './fence-rules.ts'
import type { GossamerMembers, MemberSeen } from './gossamer-members.ts'
import type { PersistedPromise } from './voter.ts'

/** Groups one node keeps (each a lease core); a request or message for one more is refused and counted. */
export const MAX_GROUPS = 1024
/** Campaign asks waiting for a win, per group; more are answered ERR_ELECTION_BUSY. */
export const MAX_WAITERS = 256

/** The lease core's timers, the follower's view expiry, and the deadline of the fences that wait. */
export type MembershipTimerKey = LeaseTimerKey | 'observed' | 'fence'

export interface MembershipGroup {
  readonly lease: LeaseState
  readonly waiters: readonly ReplyTo<ElectionResultReply>[]
  /** The leader learned from its renewals (follower side), until when it is believed (own clock). */
  readonly observed: { readonly leader: string; readonly term: Term; readonly until: number } | undefined
  /** The view last reported (a change is reported when it differs). */
  readonly view: LeaderView
  /** The voter promise to persist (the newest the lease core asked to persist). */
  readonly promise: PersistedPromise | undefined
  /** fence asks not answered yet: waiting (until `until`, own clock) for news of a leader. */
  readonly fences: readonly PendingFence[]
}

export interface MembershipStats {
  messagesIn: number
  messagesSent: number
  /** Received bodies that did not decode (bad frame, bad message): dropped. */
  corrupt: number
  lastDecodeError: string
  /** Requests or messages for a group beyond MAX_GROUPS: refused. */
  groupsRefused: number
  /** Gossamer members beyond config.maxPeers: not asked. */
  membersDropped: number
  /** Campaign asks refused (more than MAX_WAITERS waiting). */
  waitersRefused: number
  /** Timer firings for a group not kept (raced a restart): ignored. */
  staleTimers: number
  restarts: number
}

export interface MembershipState {
  readonly self: string
  readonly config: ElectionConfig
  /** Gossamer members other than this node: alive, or failed (still expected). */
  readonly members: GossamerMembers
  readonly partition: PartitionView
  /** The partition detector's expected cluster size (configured or its persisted high-water mark); 0 before it spoke. */
  readonly detectorExpected: number
  readonly groups: Readonly<Record<string, MembershipGroup>>
  /** Own clock: until this, a new group's voter holds as after a restart (this run's first lease). */
  readonly holdAllUntil: number
  /** Seed of the next group's jitter stream. */
  readonly seed: number
  /** Id of the next fence check sent to a leader. */
  readonly nextCheck: number
  readonly stopped: boolean
  readonly stats: MembershipStats
}

export type MembershipInput =
  | { type: 'op'; op: 'campaign' | 'resign' | 'fence'; group: string; term?: number; replyTo?: ReplyTo<ElectionResultReply> | undefined; now: number }
  /** Keep (and report changes of) a group this node does not stand for. */
  | { type: 'follow'; group: string; now: number }
  /** A body received on the election channel (group frame + election message). */
  | { type: 'message'; from: string; body: Uint8Array; now: number }
  | { type: 'timer'; group: string; key: MembershipTimerKey; now: number }
  | { type: 'members'; event: string; members: readonly MemberSeen[]; now: number }
  | { type: 'partition'; status: PartitionView; expected?: number; now: number }
  /** The actor restarted: every group is rebuilt from its persisted promise (timers are gone). */
  | { type: 'restart'; now: number }
  | { type: 'stop'; now: number }

export type MembershipEffect =
  | { type: 'send'; to: string; bytes: Uint8Array }
  /** A voter promise changed in this step: this step's sends leave only once it is persisted. */
  | { type: 'persist' }
  | { type: 'set-timer'; group: string; key: MembershipTimerKey; ms: number }
  | { type: 'cancel-timer'; group: string; key: MembershipTimerKey }
  | { type: 'change'; change: LeaderChange }
  | { type: 'done'; op: 'campaign' | 'resign' | 'fence'; group: string; replyTo?: ReplyTo<ElectionResultReply> | undefined; term?: number; error?: WireError }

export interface MembershipStep {
  state: MembershipState
  effects: MembershipEffect[]
}

export function initialMembership(config: ElectionConfig, self: string, now: number, seed: number): MembershipState {
  return {
    self,
    config,
    members: {},
    partition: 'healthy',
    detectorExpected: 0,
    groups: {},
    holdAllUntil: now + config.leaseMs,
    seed: seed >>> 0,
    nextCheck: 1,
    stopped: false,
    stats: { messagesIn: 0, messagesSent: 0, corrupt: 0, lastDecodeError: '', groupsRefused: 0, membersDropped: 0, waitersRefused: 0, staleTimers: 0, restarts: 0 },
  }
}

/** The view a node has of `group` now (no group kept: vacant). */
export function membershipView(state: MembershipState, group: string): LeaderView {
  return state.groups[group]?.view ?? { group, leader: null, term: NO_TERM, isSelf: false }
}

