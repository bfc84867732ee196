import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { addConflictVote, conflictRetryDelayMs, decideConflictVote, DEFAULT_CONFLICT_RETRY, startConflictVote, tallyConflictVote } from '../../../actors/serf-events/conflict-vote.ts'
import type { ConflictVoteStart } from '../../../actors/serf-events/conflict-vote.ts'
import { encodeConflictResponse } from '../../../actors/serf-events/conflict-response.ts'
import { tallyConflictVotes } from '../../../actors/serf-events/internal-query.ts'
import type { Member } from '../../../actors/member-manager/protocol.ts'

const US = Uint8Array.of(10, 0, 0, 5)
const THEM = Uint8Array.of(10, 0, 0, 6)
const me = (addr: Uint8Array, port = 7946): Member => ({
  name: 'me', addr, port, tags: {}, status: 'alive', protocolMin: 1, protocolMax: 5, protocolCur: 2, delegateMin: 2, delegateMax: 5, delegateCur: 5,
})
const sawUs = encodeConflictResponse(me(US))
const sawThem = encodeConflictResponse(me(THEM))
const unknown = encodeConflictResponse(null)
const start = (eligibleVoters: number, over: Partial<ConflictVoteStart> = {}): ConflictVoteStart => ({ localName: 'me', localAddr: US, localPort: 7946, eligibleVoters, attempt: 1, ...over })
const votes = (...payloads: (Uint8Array | null)[]) => payloads.map((payload, i) => ({ from: `n${i}`, payload }))

describe('name-conflict vote: Serf majority rule plus a quorum of eligible voters', () => {
  it.each([
    { name: 'clear majority → stay', eligible: 3, answers: votes(sawUs, sawUs, sawThem), want: { outcome: 'majority', responses: 3, matching: 2, quorum: 2, majority: 2 } },
    { name: 'clear minority → shut down', eligible: 3, answers: votes(sawUs, sawThem, sawThem), want: { outcome: 'minority', responses: 3, matching: 1, quorum: 2, majority: 2 } },
    { name: 'unanimous against us → shut down', eligible: 1, answers: votes(sawThem), want: { outcome: 'minority', responses: 1, matching: 0, quorum: 1 } },
    { name: 'a tie is a minority (Serf: matching < responses/2 + 1)', eligible: 2, answers: votes(sawUs, sawThem), want: { outcome: 'minority', responses: 2, matching: 1, quorum: 2, majority: 2 } },
    { name: 'exactly a quorum of answers decides', eligible: 4, answers: votes(sawUs, sawUs, sawThem), want: { outcome: 'majority', responses: 3, matching: 2, quorum: 3 } },
    { name: '[6][c0] (unknown name) is a response that does not match', eligible: 2, answers: votes(unknown, sawUs), want: { outcome: 'minority', responses: 2, matching: 1 } },
    { name: 'spoofed alive under a flood: [0 / 0] must NOT quit', eligible: 5, answers: [], want: { outcome: 'inconclusive', responses: 0, matching: 0, quorum: 3, retryAfterMs: 5000 } },
    { name: 'nobody could vote (only us and the impostor): inconclusive, not [0 / 0] quit', eligible: 0, answers: [], want: { outcome: 'inconclusive', responses: 0, quorum: 1 } },
    { name: 'fewer answers than a quorum, all against us: inconclusive (Serf would quit)', eligible: 5, answers: votes(sawThem, sawThem), want: { outcome: 'inconclusive', responses: 2, matching: 0, quorum: 3 } },
    { name: 'malformed answers do not count toward the quorum', eligible: 2, answers: votes(sawUs, Uint8Array.of(5, 1), null, Uint8Array.of(6)), want: { outcome: 'inconclusive', responses: 1, malformed: 3, quorum: 2 } },
    { name: 'the other claimant (our own name) is not a voter', eligible: 1, answers: [{ from: 'me', payload: sawThem }, { from: 'a', payload: sawUs }], want: { outcome: 'majority', responses: 1, fromClaimant: 1 } },
    { name: 'a sender is counted once', eligible: 3, answers: [{ from: 'a', payload: sawThem }, { from: 'a', payload: sawThem }, { from: 'a', payload: sawThem }, { from: 'b', payload: sawUs }], want: { outcome: 'minority', responses: 2, matching: 1, duplicates: 2, quorum: 2 } },
    { name: 'answers beyond capacity are counted apart', eligible: 1, answers: votes(sawUs, sawUs, sawThem), want: { outcome: 'majority', responses: 2, matching: 2, overCapacity: 1 } },
  ])('$name', ({ eligible, answers, want }) => {
    expect(tallyConflictVote(start(eligible), answers)).toMatchObject(want)
  })

  it('the same answers that made Serf quit ([0 / 0]) keep us running and ask for another vote', () => {
    // Serf 0.9.4's rule (internal-query.ts tallyConflictVotes) on no answers: minority, shut down.
    expect(tallyConflictVotes([], { addr: US, port: 7946 }).keep).toBe(false)
    const d = tallyConflictVote(start(5), [])
    expect(d.outcome).toBe('inconclusive')
    expect(d.retryAfterMs).toBe(5000)
    expect(d.log).toBe('inconclusive name conflict resolution, staying [0 / 0, quorum 3 of 5 voters]: voting again in 5000 ms')
  })

  it('logs majority and minority with Serf\'s texts', () => {
    expect(tallyConflictVote(start(3), votes(sawUs, sawUs, sawThem)).log).toBe('majority in name conflict resolution [2 / 3]')
    expect(tallyConflictVote(start(3), votes(sawThem, sawThem, sawUs)).log).toBe('minority in name conflict resolution, quitting [1 / 3]')
  })

  it('the quorum counts alive members other than ourselves: floor(n / 2) + 1', () => {
    for (const [n, q] of [[0, 1], [1, 1], [2, 2], [3, 2], [4, 3], [999, 500], [1000, 501]] as const) {
      expect(decideConflictVote(startConflictVote(start(n))).quorum).toBe(q)
    }
  })

  it('backs off 5, 10, 20, 40, 60 s, then gives up after the 6th vote', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => conflictRetryDelayMs(a))).toEqual([5000, 10_000, 20_000, 40_000, 60_000, undefined, undefined])
    const last = tallyConflictVote(start(5, { attempt: 6 }), [])
    expect(last.outcome).toBe('inconclusive')
    expect('retryAfterMs' in last).toBe(false)
    expect(last.log).toMatch(/giving up after 6 votes$/)
    expect(DEFAULT_CONFLICT_RETRY).toEqual({ baseMs: 5000, maxMs: 60_000, maxAttempts: 6 })
    expect(conflictRetryDelayMs(3, { baseMs: 100, maxMs: 250, maxAttempts: 10 })).toBe(250)
    expect(conflictRetryDelayMs(1e9, { baseMs: 100, maxMs: 250, maxAttempts: Infinity })).toBe(250)
  })

  it('reports each answer\'s fate as it arrives, and never changes the state passed in', () => {
    const s0 = startConflictVote(start(2))
    const a = addConflictVote(s0, 'a', sawUs)
    expect(a.outcome).toBe('counted')
    expect(addConflictVote(a.state, 'a', sawUs).outcome).toBe('duplicate')
    expect(addConflictVote(a.state, 'b', Uint8Array.of(1)).outcome).toBe('malformed')
    expect(addConflictVote(a.state, 'me', sawUs).outcome).toBe('claimant')
    expect(s0.responses).toBe(0)
    expect(s0.voters.size).toBe(0)
  })
})

describe('hostile answers', () => {
  it('any bytes from any sender: each answer has one fate, nothing throws, never a minority below the quorum', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), fc.array(fc.tuple(fc.constantFrom('me', 'a', 'b', 'c'), fc.option(fc.oneof(fc.uint8Array({ maxLength: 30 }), fc.constantFrom(sawUs, sawThem, unknown)))), { maxLength: 10 }), (eligible, answers) => {
        let s = startConflictVote(start(eligible))
        for (const [from, payload] of answers) s = addConflictVote(s, from, payload).state
        const d = decideConflictVote(s)
        const fates = d.responses + d.malformed + d.duplicates + d.fromClaimant + d.overCapacity
        return fates === answers.length && (d.responses >= d.quorum || d.outcome === 'inconclusive')
      }),
    )
  })
})
