/**
 * The membership backend's pure core (membership-core.ts) and its wire frame (group-frame.ts):
 * the frame's bounds, the Gossamer member table (expected size lowered by leaves, not failures),
 * fence answers (stale and future at once, current confirmed by the leader, no leader), the
 * group bound, and a follower's view from renewals (a deposed leader's renewal is not news while the voter's newer
 * promise holds; once it lapses unrenewed, the renewing leader is).
 */
import { describe, expect, it } from 'vitest'
import { createElectionConfig } from '../../../actors/election/config.ts'
import { MAX_GROUP_BYTES, decodeGroupMessage, encodeGroupMessage } from '../../../actors/election/group-frame.ts'
import { MAX_GROUPS, initialMembership, stepMembership, type MembershipEffect, type MembershipState } from '../../../actors/election/membership-core.ts'
import type { ElectionMsg } from '../../../actors/election/messages.ts'
import { decodeGossamerMessage } from '../../../src/wire/gossamer-message.ts'
import type { Term } from '../../../actors/election/term.ts'

const config = createElectionConfig({ leaseMs: 1_000, campaignTimeoutMs: 300, campaignJitterMs: 0, stepDownMarginMs: 10 })
const G = 'g'
const t = (n: number) => n as Term
const member = (name: string, tags: Record<string, string> = { gossamer: '1' }, status = 'alive') => ({ name, status, tags })

function node(self = 'v'): { s: MembershipState; fx: MembershipEffect[]; step: (input: Parameters<typeof stepMembership>[1]) => MembershipEffect[] } {
  const h = {
    s: initialMembership(config, self, 0, 7),
    fx: [] as MembershipEffect[],
    step(input: Parameters<typeof stepMembership>[1]) {
      const r = stepMembership(h.s, input)
      h.s = r.state
      h.fx.push(...r.effects)
      return r.effects
    },
  }
  return h
}
const msgIn = (msg: ElectionMsg, now: number) => ({ type: 'message' as const, from: msg.from, body: encodeGroupMessage(G, msg), now })
const sends = (fx: MembershipEffect[]) => fx.flatMap((e) => (e.type === 'send' ? [{ to: e.to, msg: decodeGroupMessage(decodeGossamerMessage(e.bytes).body).msg }] : []))
const dones = (fx: MembershipEffect[]) => fx.flatMap((e) => (e.type === 'done' ? [e] : []))

describe('group frame', () => {
  it('round-trips a group and a message; refuses a bad length, bad UTF-8, trailing garbage and oversize', () => {
    const msg: ElectionMsg = { type: 'vote', term: t(3), from: 'a', round: 1 }
    expect(decodeGroupMessage(encodeGroupMessage('jobs/é', msg))).toEqual({ group: 'jobs/é', msg })
    const ok = encodeGroupMessage('jobs', msg)
    const code = (b: Uint8Array) => {
      try {
        decodeGroupMessage(b)
        return 'decoded'
      } catch (e) {
        return (e as { code: string }).code
      }
    }
    expect(code(Uint8Array.of(0, 0, 1, 2))).toBe('ERR_ELECTION_MESSAGE_CORRUPT')
    expect(code(Uint8Array.of(0, 9, 1, 2))).toBe('ERR_ELECTION_MESSAGE_CORRUPT')
    expect(code(Uint8Array.of(0, 1, 0xff, ...ok.subarray(6)))).toBe('ERR_ELECTION_MESSAGE_CORRUPT')
    expect(code(Uint8Array.of(...ok, 0))).toBe('ERR_ELECTION_MESSAGE_CORRUPT')
    expect(code(new Uint8Array(5000))).toBe('ERR_ELECTION_MESSAGE_OVERSIZED')
    expect(() => encodeGroupMessage('x'.repeat(MAX_GROUP_BYTES + 1), msg)).toThrow(/group name/)
  })
})

describe('membership core', () => {
  it('keeps Gossamer members only; failures stay expected, leaves and reaps lower it', () => {
    const n = node()
    n.step({ type: 'follow', group: G, now: 0 })
    n.step({ type: 'members', event: 'member-join', members: [member('a'), member('b'), member('serf', { role: 'x' }), member('v')], now: 1 })
    expect(n.s.members).toEqual({ a: 'alive', b: 'alive' })
    expect([n.s.groups[G]!.lease.peers, n.s.groups[G]!.lease.expected]).toEqual([['a', 'b'], 3])
    n.step({ type: 'members', event: 'member-failed', members: [member('a', undefined, 'failed')], now: 2 })
    expect([n.s.groups[G]!.lease.peers, n.s.groups[G]!.lease.expected]).toEqual([['b'], 3])
    n.step({ type: 'members', event: 'member-leave', members: [member('a', undefined, 'left')], now: 3 })
    expect([n.s.groups[G]!.lease.peers, n.s.groups[G]!.lease.expected]).toEqual([['b'], 2])
  })

  it('fence: stale and future at once; current by the observed leader only once it confirms; its resign makes it no leader', () => {
    const n = node()
    n.step({ type: 'members', event: 'member-join', members: [member('a'), member('b')], now: 0 })
    // a leads term 5: its renewal (granted after the first lease) is how followers learn it.
    n.step(msgIn({ type: 'renew', term: t(5), from: 'a', round: 1 }, 1_100))
    expect(n.s.groups[G]!.view).toMatchObject({ leader: 'a', term: 5, isSelf: false })
    n.fx.length = 0
    n.step({ type: 'op', op: 'fence', group: G, term: 4, now: 1_101 })
    n.step({ type: 'op', op: 'fence', group: G, term: 9, now: 1_101 })
    expect(dones(n.fx).map((d) => d.error?.code)).toEqual(['ERR_ELECTION_STALE_TERM', 'ERR_ELECTION_FUTURE_TERM'])
    n.fx.length = 0
    n.step({ type: 'op', op: 'fence', group: G, term: 5, now: 1_102 })
    expect(dones(n.fx)).toEqual([])
    const check = sends(n.fx)
    expect(check).toEqual([{ to: 'a', msg: { type: 'check', term: 5, from: 'v', round: 1 } }])
    n.fx.length = 0
    n.step(msgIn({ type: 'checked', term: t(5), from: 'a', round: 1, current: true }, 1_104))
    expect(dones(n.fx)).toMatchObject([{ op: 'fence', term: 5 }])
    expect(dones(n.fx)[0]!.error).toBeUndefined()
    // The leader answers "not current" (it resigned meanwhile): no leader.
    n.fx.length = 0
    n.step({ type: 'op', op: 'fence', group: G, term: 5, now: 1_105 })
    n.step(msgIn({ type: 'checked', term: t(5), from: 'a', round: 2, current: false }, 1_106))
    expect(dones(n.fx).map((d) => d.error?.code)).toEqual(['ERR_ELECTION_NO_LEADER'])
    // No answer from the leader within a campaign timeout: no leader either.
    n.fx.length = 0
    n.step({ type: 'op', op: 'fence', group: G, term: 5, now: 1_107 })
    n.step({ type: 'timer', group: G, key: 'fence', now: 1_107 + 300 })
    expect(dones(n.fx).map((d) => d.error?.code)).toEqual(['ERR_ELECTION_NO_LEADER'])
    n.step(msgIn({ type: 'resign', term: t(5), from: 'a' }, 1_500))
    expect(n.s.groups[G]!.view).toMatchObject({ leader: null, term: 0 })
  })

  it("a renewal below this voter's promise (a deposed leader's) does not make it the observed leader", () => {
    const n = node()
    n.step({ type: 'members', event: 'member-join', members: [member('a'), member('b')], now: 0 })
    n.step(msgIn({ type: 'vote', term: t(7), from: 'b', round: 1 }, 1_100))
    expect(n.s.groups[G]!.lease.voter.term).toBe(7)
    n.step(msgIn({ type: 'renew', term: t(5), from: 'a', round: 3 }, 1_200))
    expect(n.s.groups[G]!.view.leader).toBeNull()
  })

  it('once its promise to a newer campaign lapses unrenewed (the campaign failed), the older term\'s renewing leader is the observed leader', () => {
    const n = node()
    n.step({ type: 'members', event: 'member-join', members: [member('a'), member('b')], now: 0 })
    // v promises term 7 to b at 1,100 ms: held for a lease (1,000 ms here); b never wins, never renews.
    n.step(msgIn({ type: 'vote', term: t(7), from: 'b', round: 1 }, 1_100))
    const hold = n.s.groups[G]!.lease.voter.holdUntil
    n.step(msgIn({ type: 'renew', term: t(5), from: 'a', round: 3 }, hold - 1))
    expect(n.s.groups[G]!.view.leader).toBeNull()
    // a, which kept a majority elsewhere, renews term 5 after the hold: v now shows it (it showed no leader at all before).
    n.step(msgIn({ type: 'renew', term: t(5), from: 'a', round: 4 }, hold + 1))
    expect(n.s.groups[G]!.view).toMatchObject({ leader: 'a', term: 5 })
    // The vote still stands: v does not grant the older term.
    expect(sends(n.fx).filter((x) => x.to === 'a').every((x) => x.msg.type === 'grant' && x.msg.granted === false)).toBe(true)
  })

  it("a node that has not heard of its peers yet does not lead alone when the detector expects more (the detector's expected size is a floor)", () => {
    const n = node()
    n.step({ type: 'partition', status: 'healthy', expected: 3, now: 0 })
    n.step({ type: 'op', op: 'campaign', group: G, now: 0 })
    expect(n.s.groups[G]!.lease.expected).toBe(3)
    n.step({ type: 'timer', group: G, key: 'campaign', now: 1_000 })
    n.step({ type: 'timer', group: G, key: 'campaign-timeout', now: 1_300 })
    expect(dones(n.fx)).toEqual([])
    expect(n.s.groups[G]!.view.isSelf).toBe(false)
  })

  it(`refuses a group beyond ${MAX_GROUPS} with ERR_ELECTION_BUSY, counted`, () => {
    const n = node()
    for (let i = 0; i < MAX_GROUPS; i++) n.step({ type: 'follow', group: `g${i}`, now: 0 })
    n.fx.length = 0
    n.step({ type: 'op', op: 'campaign', group: 'one-more', now: 1 })
    expect(dones(n.fx).map((d) => d.error?.code)).toEqual(['ERR_ELECTION_BUSY'])
    expect(n.s.stats.groupsRefused).toBe(1)
  })

  it('alone, a campaign wins after the first lease; resign answers the waiting campaigns and steps down with reason resigned', () => {
    const n = node()
    n.step({ type: 'op', op: 'campaign', group: G, replyTo: { to: 'x', cid: 1 } as never, now: 0 })
    n.step({ type: 'timer', group: G, key: 'campaign', now: 1_000 })
    expect(dones(n.fx)).toMatchObject([{ op: 'campaign', term: 1 }])
    n.fx.length = 0
    n.step({ type: 'op', op: 'resign', group: G, now: 1_100 })
    const change = n.fx.find((e) => e.type === 'change')
    expect(change).toMatchObject({ change: { isSelf: false, reason: 'resigned' } })
    // Not standing: no campaign afterwards.
    n.step({ type: 'timer', group: G, key: 'campaign', now: 5_000 })
    expect(n.s.groups[G]!.lease.role).toBe('follower')
  })
})
