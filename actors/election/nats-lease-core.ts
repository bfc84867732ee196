/**
 * The `nats` backend's decision logic for one group, pure: `stepNatsLease(state, input)` returns
 * the next state and the effects for the host (nats-backend.ts) to run: KV requests (create,
 * update-with-revision, delete-with-revision, get), timers on the backend clock, view changes.
 * The KV key is the group; its value names the holder and the term. The server enforces one holder
 * (create succeeds only on an absent key; update and delete only at the revision given); this core
 * makes sure a holder stops *believing* it leads before the server could let anyone else in
 * (nats-config.ts: natsLeaderLeaseMs), and that followers compete (seed 003) on a watched delete
 * and, since 2.9 watchers are not told of expiry, on a timer.
 *
 * The term is the revision of the create that won the lease (JetStream's stream sequence: it only
 * grows, across leaders and server restarts with a file store). Renewals write `{holder, term}`
 * with the same term; the first value, written before its revision is known, carries term 0, read
 * as "this entry's revision". The types and the initial state are in nats-lease-types.ts.
 */
import { timerFiring } from '../../src/types/armed-timers.ts'
import type { Term } from './term.ts'
import type { LeaderChangeReason } from './backend.ts'
import { natsLeaderLeaseMs, natsRenewIntervalMs } from './nats-config.ts'
import type { KeyEntry, NatsLeaseEffect, NatsLeaseInput, NatsLeaseState, NatsLeaseStats, NatsLeaseStep, NatsTimerKey } from './nats-lease-types.ts'

type S = { -readonly [K in keyof NatsLeaseState]: NatsLeaseState[K] } & { stats: NatsLeaseStats }

/** Applies one input. Never throws. */
export function stepNatsLease(state: NatsLeaseState, input: NatsLeaseInput): NatsLeaseStep {
  const s: S = { ...state, stats: { ...state.stats } }
  const fx: NatsLeaseEffect[] = []
  const now = input.now
  if (s.closed && input.type !== 'deleted' && input.type !== 'delete-failed') return { state: s, effects: fx }
  switch (input.type) {
    case 'campaign':
      if (s.wants) break
      s.wants = true
      if (s.role !== 'leader') compete(s, fx, now)
      break
    case 'resign':
      s.wants = false
      cancel(s, fx, 'compete')
      if (s.role === 'leader') {
        stepDown(s, fx, 'resigned', now)
        fx.push({ type: 'delete', revision: s.revision })
      }
      break
    case 'close':
      s.wants = false
      if (s.role === 'leader') {
        stepDown(s, fx, 'closed', now)
        fx.push({ type: 'delete', revision: s.revision })
      }
      for (const t of s.timers) fx.push({ type: 'cancel-timer', key: t.key })
      s.timers = []
      s.closed = true
      break
    case 'observed':
      s.getting = false
      observe(s, fx, input.entry, now)
      break
    case 'get-failed':
      s.getting = false
      requestFailed(s, fx, now)
      break
    case 'created':
      s.creating = false
      s.failures = 0
      won(s, fx, input.revision, now)
      break
    case 'create-failed':
      s.creating = false
      if (input.reason === 'exists') {
        s.stats.createsExisting++
        s.failures = 0
        get(s, fx)
        // If the read fails too, try again after a poll anyway: never wait on one reply.
        if (s.wants) arm(s, fx, 'compete', s.config.pollMs, now)
      } else requestFailed(s, fx, now)
      break
    case 'updated':
      s.updating = false
      s.failures = 0
      renewed(s, fx, input.revision, now)
      break
    case 'update-failed':
      s.updating = false
      if (input.reason === 'conflict') {
        // Someone else wrote, or our own write landed and its reply was lost: read to tell which.
        // The lease-end timer keeps us safe meanwhile.
        s.stats.renewConflicts++
        get(s, fx)
        if (s.role === 'leader') arm(s, fx, 'renew', s.config.pollMs, now)
      } else {
        requestFailed(s, fx, now)
        if (s.role === 'leader') arm(s, fx, 'renew', backoff(s), now)
      }
      break
    case 'deleted':
      break
    case 'delete-failed':
      if (input.reason === 'conflict' && !s.closed) get(s, fx)
      else if (input.reason === 'error') s.stats.requestErrors++
      break
    case 'timer':
      timer(s, fx, input.key, now)
      break
  }
  return { state: s, effects: fx }
}

function timer(s: S, fx: NatsLeaseEffect[], key: NatsTimerKey, now: number): void {
  const firing = timerFiring(s.timers, key, now)
  if (firing.kind === 'stale') {
    s.stats.staleTimers++
    return
  }
  if (firing.kind === 'early') {
    arm(s, fx, key, firing.remainingMs, now)
    return
  }
  s.timers = firing.timers
  switch (key) {
    case 'renew':
      if (s.role !== 'leader' || s.updating) return
      s.updating = true
      s.updateSentAt = now
      s.stats.renewals++
      fx.push({ type: 'update', revision: s.revision, value: { holder: s.self, term: s.term } })
      return
    case 'lease-end':
      if (s.role !== 'leader') return
      stepDown(s, fx, 'lease-expired', now)
      // Our key expires at the server within about a lease: compete for it again from then on.
      if (s.wants) arm(s, fx, 'compete', s.config.ttlMs - natsLeaderLeaseMs(s.config) + s.config.competeSlackMs, now)
      return
    case 'compete':
      if (s.wants && s.role !== 'leader') compete(s, fx, now)
      return
  }
}

/** A follower that wants the lease: create now if no live key is known, else wait for its expiry. */
function compete(s: S, fx: NatsLeaseEffect[], now: number): void {
  if (s.creating) return
  const expiresAt = s.seenAt + s.config.ttlMs + s.config.competeSlackMs
  if (s.leader !== null && expiresAt > now) {
    arm(s, fx, 'compete', expiresAt - now, now)
    return
  }
  s.creating = true
  s.createSentAt = now
  s.stats.creates++
  fx.push({ type: 'create', value: { holder: s.self, term: 0 } })
}

function won(s: S, fx: NatsLeaseEffect[], revision: number, now: number): void {
  s.revision = Math.max(s.revision, revision)
  const leaseEnd = s.createSentAt + natsLeaderLeaseMs(s.config)
  if (!s.wants || leaseEnd <= now) {
    // Resigned while the create was out, or it took longer than the lease: release it at once.
    if (s.wants) s.stats.lateWins++
    fx.push({ type: 'delete', revision })
    if (s.wants) arm(s, fx, 'compete', s.config.pollMs, now)
    return
  }
  s.stats.createsWon++
  s.role = 'leader'
  s.term = revision
  s.leader = s.self
  s.leaderTerm = revision
  s.leaseEnd = leaseEnd
  s.seenAt = s.createSentAt
  cancel(s, fx, 'compete')
  arm(s, fx, 'renew', Math.max(0, s.createSentAt + natsRenewIntervalMs(s.config) - now), now)
  arm(s, fx, 'lease-end', leaseEnd - now, now)
  change(s, fx, 'elected', now)
}

function renewed(s: S, fx: NatsLeaseEffect[], revision: number, now: number): void {
  s.revision = Math.max(s.revision, revision)
  if (s.role !== 'leader') {
    // We stepped down (lease end, resign) while the renewal was out, and it landed: release it.
    fx.push({ type: 'delete', revision })
    return
  }
  s.leaseEnd = Math.max(s.leaseEnd, s.updateSentAt + natsLeaderLeaseMs(s.config))
  s.seenAt = s.updateSentAt
  arm(s, fx, 'lease-end', s.leaseEnd - now, now)
  arm(s, fx, 'renew', Math.max(0, s.updateSentAt + natsRenewIntervalMs(s.config) - now), now)
}

function observe(s: S, fx: NatsLeaseEffect[], entry: KeyEntry | null, now: number): void {
  if (entry !== null && entry.revision < s.revision) {
    s.stats.staleEntries++
    return
  }
  if (entry === null || entry.op !== 'PUT') {
    if (entry !== null) s.revision = entry.revision
    if (s.role === 'leader') {
      // Our key is gone while we believe we lead (deleted by someone else, or purged): anyone may create it now.
      stepDown(s, fx, 'taken', now)
    } else if (s.leader !== null) {
      s.leader = null
      s.leaderTerm = 0
      change(s, fx, 'vacant', now)
    }
    if (s.wants) compete(s, fx, now)
    return
  }
  // A write we had not seen restarts the follower's expiry estimate; the same entry read again
  // (a create refused before the server's expiry ran) does not push it back.
  const fresh = entry.revision > s.revision
  s.revision = entry.revision
  if (entry.holder === null) s.stats.foreignValues++
  const holder = entry.holder ?? '?'
  const term = entry.term > 0 ? entry.term : entry.revision
  if (holder === s.self) {
    if (s.role === 'leader' && term === s.term) return // our own renewal, seen back (or adopted after a lost reply)
    if (s.role === 'leader') {
      stepDown(s, fx, 'taken', now)
    }
    if (!s.creating) {
      // Ours, but we do not lead by it: a create whose reply was lost, or a previous run's key.
      s.stats.orphansDeleted++
      fx.push({ type: 'delete', revision: entry.revision })
    }
    return
  }
  if (s.role === 'leader') stepDown(s, fx, 'taken', now)
  if (fresh || s.leader === null) s.seenAt = now
  if (s.leader !== holder || s.leaderTerm !== term) {
    s.leader = holder
    s.leaderTerm = term
    change(s, fx, 'observed', now)
  }
  if (s.wants && !s.creating) arm(s, fx, 'compete', Math.max(s.config.pollMs, s.seenAt + s.config.ttlMs + s.config.competeSlackMs - now), now)
}

function stepDown(s: S, fx: NatsLeaseEffect[], reason: LeaderChangeReason, now: number): void {
  s.role = 'follower'
  s.stats.stepDowns++
  s.term = 0
  s.leader = null
  s.leaderTerm = 0
  s.leaseEnd = 0
  cancel(s, fx, 'renew')
  cancel(s, fx, 'lease-end')
  change(s, fx, reason, now)
}

function requestFailed(s: S, fx: NatsLeaseEffect[], now: number): void {
  s.stats.requestErrors++
  s.failures++
  if (s.wants && s.role !== 'leader') arm(s, fx, 'compete', backoff(s), now)
}

/** backoffMs × 2^(failures − 1), at most maxBackoffMs. */
function backoff(s: S): number {
  return Math.min(s.config.maxBackoffMs, s.config.backoffMs * 2 ** Math.min(30, Math.max(0, s.failures - 1)))
}

function get(s: S, fx: NatsLeaseEffect[]): void {
  if (s.getting) return
  s.getting = true
  fx.push({ type: 'get' })
}

function change(s: S, fx: NatsLeaseEffect[], reason: LeaderChangeReason, now: number): void {
  fx.push({ type: 'changed', change: { ...viewOf(s), reason, at: now } })
}

export function viewOf(s: NatsLeaseState): { group: string; leader: string | null; term: Term; isSelf: boolean } {
  return { group: s.group, leader: s.leader, term: s.leaderTerm as Term, isSelf: s.role === 'leader' }
}

function arm(s: S, fx: NatsLeaseEffect[], key: NatsTimerKey, ms: number, now: number): void {
  s.timers = [...s.timers.filter((t) => t.key !== key), { key, dueAt: now + ms }]
  fx.push({ type: 'set-timer', key, ms })
}

function cancel(s: S, fx: NatsLeaseEffect[], key: NatsTimerKey): void {
  if (!s.timers.some((t) => t.key === key)) return
  s.timers = s.timers.filter((t) => t.key !== key)
  fx.push({ type: 'cancel-timer', key })
}
