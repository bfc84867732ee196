/**
 * The `nats` backend's lease core (nats-lease-core.ts): its inputs, effects, state, counters and
 * the initial state. Times are ms on the backend clock; revisions and terms are JetStream stream
 * sequences.
 */
import type { ArmedTimer } from '../../src/types/armed-timers.ts'
import type { LeaderChange } from './backend.ts'
import type { NatsElectionConfig } from './nats-config.ts'

export type NatsTimerKey = 'renew' | 'lease-end' | 'compete'

/** A KV entry as the host read it (get or watch). holder null: a value this backend did not write (counted). */
export interface KeyEntry {
  revision: number
  op: 'PUT' | 'DEL' | 'PURGE'
  holder: string | null
  /** The term in the value (0: the entry's own revision). */
  term: number
}

export type NatsLeaseInput =
  | { type: 'campaign'; now: number }
  | { type: 'resign'; now: number }
  /** A read or a watched entry; null: the key has no entry (never written, or expired and gone). */
  | { type: 'observed'; entry: KeyEntry | null; now: number }
  | { type: 'created'; revision: number; now: number }
  | { type: 'create-failed'; reason: 'exists' | 'error'; now: number }
  | { type: 'updated'; revision: number; now: number }
  | { type: 'update-failed'; reason: 'conflict' | 'error'; now: number }
  | { type: 'deleted'; now: number }
  | { type: 'delete-failed'; reason: 'conflict' | 'error'; now: number }
  | { type: 'get-failed'; now: number }
  | { type: 'timer'; key: NatsTimerKey; now: number }
  /** The backend closes: a leader releases the key; nothing more is started. */
  | { type: 'close'; now: number }

export interface LeaseValue {
  holder: string
  term: number
}

export type NatsLeaseEffect =
  | { type: 'create'; value: LeaseValue }
  | { type: 'update'; revision: number; value: LeaseValue }
  | { type: 'delete'; revision: number }
  | { type: 'get' }
  | { type: 'set-timer'; key: NatsTimerKey; ms: number }
  | { type: 'cancel-timer'; key: NatsTimerKey }
  | { type: 'changed'; change: LeaderChange }

export interface NatsLeaseStats {
  creates: number
  createsWon: number
  /** Creates refused because the key existed (another holder, or not yet expired). */
  createsExisting: number
  renewals: number
  /** Updates refused at their revision (someone else wrote, or our own write's reply was lost). */
  renewConflicts: number
  /** Requests that failed (timeout, no connection): retried with backoff. */
  requestErrors: number
  /** Entries older than one already seen (a watch behind a read): ignored. */
  staleEntries: number
  /** Values this backend did not write (another writer in the bucket). */
  foreignValues: number
  stepDowns: number
  /** Keys of this node found while not leading (a create whose reply was lost, a previous run): deleted. */
  orphansDeleted: number
  /** Creates that won after their lease would already have ended (a very slow request): released at once. */
  lateWins: number
  staleTimers: number
}

export interface NatsLeaseState {
  readonly group: string
  readonly self: string
  readonly config: NatsElectionConfig
  /** Standing for leader (campaign until resign). */
  readonly wants: boolean
  readonly role: 'follower' | 'leader'
  /** Our term while leader. */
  readonly term: number
  /** The holder last seen (null: none), and its term. */
  readonly leader: string | null
  readonly leaderTerm: number
  /** The newest revision of the key seen or written (0: none). */
  readonly revision: number
  /** Local time the newest live entry was seen (a follower's expiry estimate starts here). */
  readonly seenAt: number
  /** Leader: local time its belief in the lease ends. */
  readonly leaseEnd: number
  /** Requests in flight (one of each kind at most) and the send time of the create/update. */
  readonly creating: boolean
  readonly createSentAt: number
  readonly updating: boolean
  readonly updateSentAt: number
  readonly getting: boolean
  /** Consecutive failed requests (the backoff's exponent). */
  readonly failures: number
  readonly closed: boolean
  readonly timers: readonly ArmedTimer<NatsTimerKey>[]
  readonly stats: NatsLeaseStats
}

export interface NatsLeaseStep {
  state: NatsLeaseState
  effects: NatsLeaseEffect[]
}

const NO_STATS: NatsLeaseStats = {
  creates: 0,
  createsWon: 0,
  createsExisting: 0,
  renewals: 0,
  renewConflicts: 0,
  requestErrors: 0,
  staleEntries: 0,
  foreignValues: 0,
  stepDowns: 0,
  orphansDeleted: 0,
  lateWins: 0,
  staleTimers: 0,
}

export function initialNatsLease(config: NatsElectionConfig, group: string, self: string): NatsLeaseState {
  return {
    group,
    self,
    config,
    wants: false,
    role: 'follower',
    term: 0,
    leader: null,
    leaderTerm: 0,
    revision: 0,
    seenAt: 0,
    leaseEnd: 0,
    creating: false,
    createSentAt: 0,
    updating: false,
    updateSentAt: 0,
    getting: false,
    failures: 0,
    closed: false,
    timers: [],
    stats: NO_STATS,
  }
}

