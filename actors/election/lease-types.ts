/**
 * The lease core's protocol with its host: inputs in, effects out, and the state it threads
 * through. Effects are data; the host (the election actor, membership-core.ts) performs them in order:
 * a `persist` before the `send`s of the same step (a grant must never leave before its promise is
 * durable), timers on the actor clock, events to subscribers. All unions are append-only.
 */
import type { ElectionConfig } from './config.ts'
import type { ElectionMsg, RefusalReason } from './messages.ts'
import type { Term } from './term.ts'
import type { PersistedPromise, VoterState } from './voter.ts'

export type Role = 'follower' | 'candidate' | 'leader'

/**
 * campaign: try for a term; campaign-timeout: give up a round; renew: next renewal; lease-end: step
 * down; campaign-retry: ask again, halfway through a round, the peers that have not answered.
 */
export type LeaseTimerKey = 'campaign' | 'campaign-timeout' | 'renew' | 'lease-end' | 'campaign-retry'

/** The partition detector's published status (actors/partition-detector). */
export type PartitionView = 'healthy' | 'degraded' | 'minority'

export type LeaseInput =
  /** A decoded message from a peer (messages.ts; the host drops and counts undecodable bytes). */
  | { type: 'message'; msg: ElectionMsg; now: number }
  | { type: 'timer-fired'; key: LeaseTimerKey; now: number }
  /** The members to ask (alive Gossamer members, self excluded) and the detector's expected size. */
  | { type: 'membership'; peers: readonly string[]; expected: number; now: number }
  | { type: 'partition-status'; status: PartitionView; now: number }
  /** The node stops: a leader resigns, every timer is cancelled, nothing more is sent. */
  | { type: 'stop'; now: number }
  /**
   * Whether this node stands for leader (campaigns when the lease lapses). A node that does not
   * stand still votes. Standing down resigns a lease held (`resigned`) and gives up a campaign.
   */
  | { type: 'stand'; standing: boolean; now: number }

export type StepDownReason = 'lease-expired' | 'minority' | 'stopped' | 'resigned'

export type LeaseEvent =
  | { type: 'election.won'; term: Term; leaseEnd: number; grants: number; quorum: number; at: number }
  | { type: 'election.lost'; term: Term; reason: StepDownReason; at: number }

export type LeaseEffect =
  | { type: 'persist'; promise: PersistedPromise }
  | { type: 'send'; to: string; msg: ElectionMsg }
  | { type: 'set-timer'; key: LeaseTimerKey; ms: number }
  | { type: 'cancel-timer'; key: LeaseTimerKey }
  | { type: 'emit'; event: LeaseEvent }

/** One request round (a campaign or a renewal): when it was sent (own clock) and who granted it. */
export interface Round {
  readonly round: number
  readonly sentAt: number
  readonly grants: readonly string[]
  /** Members that refused it (a campaign gives up as soon as a majority is out of reach). */
  readonly refusals: readonly string[]
}

export interface LeaseStats {
  campaigns: number
  won: number
  lost: Record<StepDownReason, number>
  /** Campaign rounds that ended without a majority. */
  campaignsFailed: number
  /** Vote requests sent again to peers that had not answered halfway through a round. */
  voteRetries: number
  /** Renewal rounds that reached a majority (each extends the lease). */
  renewals: number
  granted: number
  refused: Record<RefusalReason, number>
  /** Grants for a round or term no longer open (late, duplicated or reordered). */
  /** Campaigns put off by a live leader's renewal of a term older than our failed campaign's. */
  campaignsDeferred: number
  lateGrants: number
  /** Campaign timers that found this node on the minority side (no campaign). */
  skippedMinority: number
  /** Messages claiming to come from this node's own name. */
  fromSelf: number
  /** Peers beyond maxPeers in a membership input (not asked). */
  peersDropped: number
  /** Timer firings for a key not armed (raced a cancel). */
  staleTimers: number
  /** Timer firings before their due time (re-armed for the rest). */
  earlyTimers: number
  ignoredAfterStop: number
}

export interface LeaseState {
  readonly config: ElectionConfig
  readonly self: string
  readonly role: Role
  readonly stopped: boolean
  /** Campaigns when a lease lapses (the election's campaign(group)); false: votes only. */
  readonly standing: boolean
  readonly voter: VoterState
  readonly peers: readonly string[]
  readonly expected: number
  readonly partition: PartitionView
  /** The newest term heard of (refusals carry the voter's promise); the next campaign goes past it. */
  readonly highestSeen: Term
  /** role candidate: the term asked for and its round. */
  readonly campaign: { readonly term: Term; readonly round: Round } | undefined
  /** role leader: the term held, the lease end (own clock), and the open renewal rounds (newest last, at most 3). */
  readonly lead: { readonly term: Term; readonly leaseEnd: number; readonly rounds: readonly Round[] } | undefined
  readonly nextRound: number
  /** Campaigns in a row that failed (widens the campaign jitter); 0 after a win or a leader's renew. */
  readonly failedInARow: number
  /** Seed of the jitter stream (a pure PRNG step: same seed, same choices). */
  readonly rng: number
  readonly timers: readonly { key: LeaseTimerKey; dueAt: number }[]
  readonly stats: LeaseStats
}

export interface LeaseStep {
  state: LeaseState
  effects: LeaseEffect[]
}
