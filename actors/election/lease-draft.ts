/**
 * The `membership` lease core's working copy for one step (lease-core.ts): a copy-on-write draft
 * of the state that collects effects in order, arms and cancels the timers it records (ms on the
 * actor's clock), and draws from the state's own seed, so a step stays a pure function.
 */
import type { LeaseEffect, LeaseState, LeaseStats, LeaseStep, LeaseTimerKey } from './lease-types.ts'

/** Counters of a lease that has done nothing yet. */
export function emptyStats(): LeaseStats {
  return {
    campaigns: 0,
    won: 0,
    lost: { 'lease-expired': 0, minority: 0, stopped: 0, resigned: 0 },
    campaignsFailed: 0,
    voteRetries: 0,
    renewals: 0,
    granted: 0,
    refused: { 'stale-term': 0, voted: 0, held: 0, restarting: 0 },
    lateGrants: 0,
    campaignsDeferred: 0,
    skippedMinority: 0,
    fromSelf: 0,
    peersDropped: 0,
    staleTimers: 0,
    earlyTimers: 0,
    ignoredAfterStop: 0,
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** A copy-on-write working copy of the state for one step, collecting effects in order. */
export class Draft {
  readonly s: Mutable<LeaseState>
  readonly stats: LeaseStats
  readonly effects: LeaseEffect[] = []

  constructor(
    state: LeaseState,
    readonly now: number,
  ) {
    this.stats = { ...state.stats, lost: { ...state.stats.lost }, refused: { ...state.stats.refused } }
    this.s = { ...state, stats: this.stats }
  }

  arm(key: LeaseTimerKey, ms: number): void {
    this.s.timers = [...this.s.timers.filter((t) => t.key !== key), { key, dueAt: this.now + ms }]
    this.effects.push({ type: 'set-timer', key, ms })
  }

  cancel(key: LeaseTimerKey): void {
    if (!this.s.timers.some((t) => t.key === key)) return
    this.s.timers = this.s.timers.filter((t) => t.key !== key)
    this.effects.push({ type: 'cancel-timer', key })
  }

  /** A float in [0, 1) from the state's seed (mulberry32 step), advancing it. */
  random(): number {
    const s = (this.s.rng + 0x6d2b79f5) >>> 0
    this.s.rng = s
    let t = Math.imul(s ^ (s >>> 15), s | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000
  }

  done(): LeaseStep {
    return { state: this.s, effects: this.effects }
  }
}
