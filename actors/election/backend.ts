/**
 * The election's one interface over pluggable backends (issue 14): campaign for a named group,
 * resign, observe the leader and its term, and follow the changes as an async iterator with an
 * AbortSignal. The term is the fencing token: it strictly increases from one leader of a group to
 * the next, a leader stamps what it publishes with it, and `fence(group, term)` is the backend's
 * authoritative check that a term is the group's current one (anything else is refused with a code).
 *
 * Backends: `nats` (a JetStream KV bucket; nats-backend.ts) and `membership` (majority-granted
 * leases over the cluster's own messages; lease-core.ts, run by the actor: membership-core.ts).
 * Both pass the one compliance suite (test/actors/election/compliance.ts; the membership backend
 * through the election actor's asks and emitted changes).
 */
import type { Term } from './term.ts'

/** What one node knows of a group's leadership now. */
export interface LeaderView {
  group: string
  /** The leader's node name, or null when none is known to hold the lease. */
  leader: string | null
  /** The leader's term (0 when no leader is known). */
  term: Term
  /** Whether this node is the leader (holds an unexpired lease by its own conservative clock). */
  isSelf: boolean
}

/** Why a view changed. */
export type LeaderChangeReason =
  /** This node won the lease. */
  | 'elected'
  /** Another node holds the lease (seen by watch or read). */
  | 'observed'
  /** The key or lease was released or expired: no leader now. */
  | 'vacant'
  /** This node resigned. */
  | 'resigned'
  /** This node's lease ended on its own timer without a successful renewal. */
  | 'lease-expired'
  /** This node found another holder (or its key deleted) while it believed it led: it stepped down at once. */
  | 'taken'
  /** The backend was closed. */
  | 'closed'
  /** membership: the partition detector said this node is on the minority side, so it stepped down at once. */
  | 'minority'

export interface LeaderChange extends LeaderView {
  reason: LeaderChangeReason
  /** Backend clock time of the change, in ms. */
  at: number
}

export interface ElectionBackend {
  /** 'nats' | 'membership'. */
  readonly kind: string
  /** This node's name. */
  readonly self: string
  /**
   * Stand for leader of `group` until `resign(group)`: resolves with the term when this node wins
   * (now or later), keeps competing after a lost lease. Rejects with ERR_ELECTION_ABORTED when the
   * signal fires first (the standing campaign ends too), ERR_ELECTION_CLOSED after close().
   */
  campaign(group: string, options?: { signal?: AbortSignal }): Promise<Term>
  /**
   * Stops standing for `group`; a leader releases the lease at once (others may take it without
   * waiting for its expiry). Resolves once the release is done (or failed: the lease then expires),
   * so a fence() after it no longer sees this node's term.
   */
  resign(group: string): Promise<void>
  /** What this node knows of the group now (no I/O). */
  view(group: string): LeaderView
  /**
   * Every change of the group's view from now on, in order. Ends when the signal fires or the
   * backend closes. A slow consumer loses no change: the buffer is bounded (bufferSize, default
   * 1024) and an overflow ends the iterator with ERR_ELECTION_CHANGES_OVERFLOW.
   */
  changes(group: string, options?: { signal?: AbortSignal; bufferSize?: number }): AsyncIterable<LeaderChange>
  /**
   * The authoritative check of a fencing token: resolves when `term` is the group's current term
   * at the backend; rejects ERR_ELECTION_STALE_TERM for an older term (a deposed leader),
   * ERR_ELECTION_FUTURE_TERM for a newer one than any granted, ERR_ELECTION_NO_LEADER when no
   * lease is held.
   */
  fence(group: string, term: Term): Promise<void>
  /** Resigns every group, ends every iterator and timer, closes the connection. */
  close(): Promise<void>
}
