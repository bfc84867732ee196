/**
 * The lease core's rules, step by step on explicit clocks: the voter's grant rules (table), a
 * campaign that wins, renews and steps down on its own timer before any voter's promise ends, the
 * step-down on `minority`, refusals that carry newer terms, resign, a timer that fires early (a
 * regression found by the model checker), and the config's drift arithmetic.
 */
import { describe, expect, it } from 'vitest'
import { createElectionConfig, leaderLeaseMs } from '../../../actors/election/config.ts'
import { isLeader, startLease, stepLease } from '../../../actors/election/lease-core.ts'
import type { LeaseEffect, LeaseInput, LeaseState } from '../../../actors/election/lease-types.ts'
import type { ElectionMsg } from '../../../actors/election/messages.ts'
import { NO_TERM, toTerm } from '../../../actors/election/term.ts'
import { decideGrant, restoreVoter, type VoterState } from '../../../actors/election/voter.ts'

const config = createElectionConfig({ leaseMs: 10_000, maxDriftRate: 0.01, stepDownMarginMs: 100, campaignTimeoutMs: 1_000, campaignJitterMs: 0 })
const t = toTerm

describe('election voter: grant rules', () => {
  const free: VoterState = { term: t(5), votedFor: 'a', holdUntil: 0, restartHoldUntil: 0 }
  it.each([
    ['a newer term from anyone once the promise lapsed', free, 6, 'b', 1_000, true, undefined],
    ['an older term', free, 4, 'b', 1_000, false, 'stale-term'],
    ['the same term to another candidate (one per term)', free, 5, 'b', 1_000, false, 'voted'],
    ['the same term to the same candidate (a renew)', free, 5, 'a', 1_000, true, undefined],
    ['a newer term while a promise to another is unexpired', { ...free, holdUntil: 2_000 }, 9, 'b', 1_000, false, 'held'],
    ['a newer term to the holder itself while its promise runs', { ...free, holdUntil: 2_000 }, 9, 'a', 1_000, true, undefined],
    ['anyone new during the restart hold', { ...free, restartHoldUntil: 5_000 }, 9, 'b', 1_000, false, 'restarting'],
    ['the promised candidate during the restart hold', { ...free, restartHoldUntil: 5_000 }, 5, 'a', 1_000, true, undefined],
  ] as const)('%s', (_name, voter, term, from, now, granted, reason) => {
    const d = decideGrant(voter, { term: t(term), from }, now, 10_000)
    expect(d.granted).toBe(granted)
    if (d.granted) expect(d.voter).toMatchObject({ term, votedFor: from, holdUntil: now + 10_000 })
    else expect(d.reason).toBe(reason)
  })

  it('restores the persisted term and candidate and holds a full lease from the restart', () => {
    expect(restoreVoter({ term: 7, votedFor: 'x', leaseUntil: 123 }, 50_000, 10_000)).toEqual({ term: 7, votedFor: 'x', holdUntil: 60_000, restartHoldUntil: 60_000 })
    expect(restoreVoter(undefined, 0, 10_000).term).toBe(NO_TERM)
  })
})

/** One core driven by hand: effects collected, timers remembered with their due time. */
class One {
  state: LeaseState
  effects: LeaseEffect[] = []
  timers = new Map<string, number>()
  constructor(self: string, peers: string[], now = 0) {
    const s = startLease({ config, self, now, seed: 1, peers, expected: peers.length + 1 })
    this.state = s.state
    this.take(s.effects, now)
  }
  step(input: LeaseInput): LeaseEffect[] {
    const s = stepLease(this.state, input)
    this.state = s.state
    this.take(s.effects, input.now)
    return s.effects
  }
  fire(key: 'campaign' | 'campaign-timeout' | 'renew' | 'lease-end', now = this.timers.get(key)!): LeaseEffect[] {
    return this.step({ type: 'timer-fired', key, now })
  }
  msg(msg: ElectionMsg, now: number): LeaseEffect[] {
    return this.step({ type: 'message', msg, now })
  }
  private take(effects: LeaseEffect[], now: number) {
    this.effects.push(...effects)
    for (const e of effects) {
      if (e.type === 'set-timer') this.timers.set(e.key, now + e.ms)
      if (e.type === 'cancel-timer') this.timers.delete(e.key)
    }
  }
}
const sends = (effects: LeaseEffect[]) => effects.flatMap((e) => (e.type === 'send' ? [e] : []))
const grant = (from: string, term: number, round: number): ElectionMsg => ({ type: 'grant', term: t(term), from, round, granted: true, promised: t(term) })

describe('election lease core: campaign, lead, renew, step down', () => {
  it('waits out the restart hold, campaigns for term 1, leads with a majority of 3, and persists before it sends', () => {
    const a = new One('a', ['b', 'c'])
    expect(a.timers.get('campaign')).toBe(10_000) // the restart hold (jitter 0 here)
    const out = a.fire('campaign')
    expect(out.findIndex((e) => e.type === 'persist')).toBeLessThan(out.findIndex((e) => e.type === 'send'))
    expect(sends(out).map((s) => [s.to, s.msg.type, s.msg.term])).toEqual([
      ['b', 'vote', 1],
      ['c', 'vote', 1],
    ])
    const round = (sends(out)[0]!.msg as { round: number }).round
    expect(a.state.role).toBe('candidate')
    a.msg(grant('b', 1, round), 10_020)
    expect(a.state.role).toBe('leader')
    // The lease counts from the send (10 s), shortened by the drift margin: floor(10 s × 0.99 / 1.01) − 100 ms.
    expect(leaderLeaseMs(config)).toBe(9_701)
    expect(a.state.lead!.leaseEnd).toBe(10_000 + 9_701)
    expect(isLeader(a.state, 19_700)).toBe(true)
    expect(isLeader(a.state, 19_701)).toBe(false)
    expect(a.effects.find((e) => e.type === 'emit')).toMatchObject({ event: { type: 'election.won', term: 1, grants: 2, quorum: 2 } })
  })

  it('renews at a third of the lease and steps down on its own timer when the renewals go unanswered', () => {
    const a = new One('a', ['b', 'c'])
    const r1 = (sends(a.fire('campaign'))[0]!.msg as { round: number }).round
    a.msg(grant('c', 1, r1), 10_005)
    expect(a.timers.get('renew')).toBe(10_000 + 3_333)
    const renew = a.fire('renew')
    expect(sends(renew).map((s) => s.msg.type)).toEqual(['renew', 'renew'])
    const r2 = (sends(renew)[0]!.msg as { round: number }).round
    a.msg(grant('b', 1, r2), 13_340)
    expect(a.state.lead!.leaseEnd).toBe(13_333 + 9_701)
    a.fire('renew')
    a.fire('renew') // nobody answers from here on
    expect(a.timers.get('lease-end')).toBe(23_034)
    const down = a.fire('lease-end')
    expect(a.state.role).toBe('follower')
    expect(down.find((e) => e.type === 'emit')).toMatchObject({ event: { type: 'election.lost', term: 1, reason: 'lease-expired' } })
    expect(sends(down).map((s) => s.msg.type)).toEqual(['resign', 'resign'])
    // The voter b granted at 13,340 (its clock) holds until 23,340: the leader let go 306 ms earlier.
  })

  it('steps down at once when the detector says minority, and does not campaign while it does', () => {
    const a = new One('a', ['b', 'c'])
    const r1 = (sends(a.fire('campaign'))[0]!.msg as { round: number }).round
    a.msg(grant('b', 1, r1), 10_010)
    a.step({ type: 'partition-status', status: 'minority', now: 11_000 })
    expect([a.state.role, isLeader(a.state, 11_000), a.state.stats.lost.minority]).toEqual(['follower', false, 1])
    a.fire('campaign')
    expect([a.state.role, a.state.stats.skippedMinority]).toEqual(['follower', 1])
  })

  it('learns newer terms from refusals and campaigns past them', () => {
    const a = new One('a', ['b', 'c'])
    const r1 = (sends(a.fire('campaign'))[0]!.msg as { round: number }).round
    a.msg({ type: 'grant', term: t(1), from: 'b', round: r1, granted: false, promised: t(40), reason: 'stale-term' }, 10_010)
    a.msg({ type: 'grant', term: t(1), from: 'c', round: r1, granted: false, promised: t(40), reason: 'stale-term' }, 10_011)
    expect(a.state.role).toBe('follower') // a majority is out of reach: given up at once
    const again = a.fire('campaign')
    expect(sends(again)[0]!.msg.term).toBe(41)
  })

  it('a candidate that lost the race defers its campaigns while a live leader renews an older term', () => {
    const a = new One('a', ['b', 'c'])
    const r1 = (sends(a.fire('campaign'))[0]!.msg as { round: number }).round // term 1
    a.msg({ type: 'grant', term: t(1), from: 'b', round: r1, granted: false, promised: t(1), reason: 'voted' }, 10_010)
    a.msg({ type: 'grant', term: t(1), from: 'c', round: r1, granted: false, promised: t(1), reason: 'voted' }, 10_011)
    const second = a.fire('campaign')
    expect(sends(second)[0]!.msg.term).toBe(2) // a promised itself term 2; c leads term 1
    const r2 = (sends(second)[0]!.msg as { round: number }).round
    a.msg({ type: 'grant', term: t(2), from: 'b', round: r2, granted: false, promised: t(1), reason: 'held' }, 10_100)
    a.msg({ type: 'grant', term: t(2), from: 'c', round: r2, granted: false, promised: t(1), reason: 'held' }, 10_101)
    expect(a.state.role).toBe('follower')
    // c's renewals of term 1 are refused (a never goes back on its term), but a waits a lease after each one.
    for (const now of [13_000, 16_000, 19_000]) {
      const out = a.msg({ type: 'renew', term: t(1), from: 'c', round: now }, now)
      expect(sends(out)[0]!.msg).toMatchObject({ granted: false, reason: 'stale-term' })
      expect(a.timers.get('campaign')).toBeGreaterThanOrEqual(now + 10_000)
    }
    expect(a.state.stats.campaignsDeferred).toBe(3)
  })

  it('refuses an older term after granting a newer one, and a resign releases the promise early', () => {
    const v = new One('v', ['a', 'b'])
    const yes = v.msg({ type: 'vote', term: t(3), from: 'a', round: 1 }, 10_000)
    expect(sends(yes)[0]!.msg).toMatchObject({ type: 'grant', granted: true, term: 3 })
    const old = v.msg({ type: 'vote', term: t(2), from: 'b', round: 1 }, 30_000)
    expect(sends(old)[0]!.msg).toMatchObject({ granted: false, reason: 'stale-term', promised: 3 })
    const held = v.msg({ type: 'vote', term: t(4), from: 'b', round: 2 }, 10_500)
    expect(sends(held)[0]!.msg).toMatchObject({ granted: false, reason: 'held' })
    v.msg({ type: 'resign', term: t(3), from: 'a' }, 11_000)
    const after = v.msg({ type: 'vote', term: t(4), from: 'b', round: 3 }, 11_001)
    expect(sends(after)[0]!.msg).toMatchObject({ granted: true, term: 4 })
  })

  it('a lease-end timer that fires a little early is re-armed, not lost (found by the model checker)', () => {
    const a = new One('a', ['b', 'c'])
    const r1 = (sends(a.fire('campaign'))[0]!.msg as { round: number }).round
    a.msg(grant('b', 1, r1), 10_010)
    const end = a.state.lead!.leaseEnd
    // The host's clock reads a hair before the due time (floating-point rounding of a drifting clock).
    const early = a.fire('lease-end', end - 0.000001)
    expect(early).toContainEqual({ type: 'set-timer', key: 'lease-end', ms: expect.closeTo(0.000001, 9) })
    expect(a.state.stats.earlyTimers).toBe(1)
    a.fire('lease-end', end)
    expect([a.state.role, a.state.stats.lost['lease-expired']]).toEqual(['follower', 1])
  })

  it('counts messages from its own name, and ignores everything after stop', () => {
    const a = new One('a', ['b'])
    a.msg({ type: 'vote', term: t(9), from: 'a', round: 1 }, 1)
    a.step({ type: 'stop', now: 2 })
    a.msg({ type: 'vote', term: t(9), from: 'b', round: 1 }, 3)
    expect([a.state.stats.fromSelf, a.state.stats.ignoredAfterStop, a.state.timers.length]).toEqual([1, 1, 0])
  })
})

describe('election config', () => {
  it('refuses a margin that leaves the leader no renewal, and misspelled fields by name', () => {
    expect(() => createElectionConfig({ leaseMs: 1_000, stepDownMarginMs: 700 })).toThrow(/election.stepDownMarginMs leaves the leader a lease of/)
    expect(() => createElectionConfig({ leaseMS: 1 } as never)).toThrow(/election.leaseMS is not a known field; did you mean leaseMs\?/)
    expect(() => createElectionConfig({ maxDriftRate: 0.5 })).toThrow(/election.maxDriftRate must be/)
  })
})
