/**
 * A graceful leave that a node receives after a push/pull with a node that already applied it.
 * Serf's push/pull lists only left members in LeftMembers; every other entry of StatusLTimes is
 * merged as a join intent at that LTime (spec §2.5). A member that is leaving was advertised at the
 * leave's own LTime, so the receiver took it as a join at that time, counted the leave intent
 * stale when gossip brought it (never applied, never rebroadcast), and reported the departure as
 * member-failed; the correction to "left" waited for a later push/pull (bench/cluster/spread.ts,
 * 9 nodes, before the merge of gossip-queue's floor: local seed 3, n6 about n9, leave 15 s; lan
 * seed 7, n7 about n3).
 *
 * Each case runs the member-manager cores (core.ts `step`) of the nodes involved, passing the
 * exact bytes a node sends (its push/pull LocalState, the intent's encoding).
 */
import { describe, expect, it } from 'vitest'
import { initialCoreState, step } from '../../../actors/member-manager/core.ts'
import { createSerfConfig } from '../../../actors/member-manager/config.ts'
import type { MemberCoreInput, MemberCoreState, MemberEffect } from '../../../actors/member-manager/member-effects.ts'
import { localUserStateOf, memberRecord, statsOf } from '../../../actors/member-manager/member-reads.ts'
import { decodeSerfMessage, encodeSerfMessage } from '../../../src/wire/index.ts'
import { node } from './fixtures.ts'

const NAMES = ['x', 'a', 'b'] as const

/** A started core named `name` that knows x, a and b alive, x at join time 1 (its join intent). */
function member(name: string): MemberCoreState {
  let s = step(initialCoreState(createSerfConfig({ nodeName: name })), { type: 'start', restored: {} }).state
  for (const n of NAMES) s = step(s, { type: 'node-joined', node: node(n), now: 0 }).state
  return step(s, { type: 'user-message', bytes: encodeSerfMessage({ type: 'join', Node: 'x', LTime: 1n }), now: 0 }).state
}

function feed(s: MemberCoreState, inputs: MemberCoreInput[]): { state: MemberCoreState; effects: MemberEffect[] } {
  const effects: MemberEffect[] = []
  for (const input of inputs) {
    const r = step(s, input)
    s = r.state
    effects.push(...r.effects)
  }
  return { state: s, effects }
}

const LEAVE_X = encodeSerfMessage({ type: 'leave', Node: 'x', LTime: 2n, Prune: false })
const statusOf = (s: MemberCoreState, name: string) => memberRecord(s, name)?.member.status
const memberEvents = (effects: MemberEffect[]) =>
  effects.flatMap((e) => {
    if (e.type !== 'event' || e.msg.type !== 'member.event') return []
    const event = e.msg.event
    return e.msg.members.map((m) => `${event}:${m.name}`)
  })
const rebroadcasts = (effects: MemberEffect[]) => effects.filter((e) => e.type === 'broadcast').length

describe('a leave intent after a push/pull with a node that already applied it', () => {
  it('is applied and rebroadcast, and the departure is a leave, not a failure', () => {
    // a has x's leave (LTime 2); b has not.
    const a = feed(member('a'), [{ type: 'user-message', bytes: LEAVE_X, now: 10 }]).state
    expect(statusOf(a, 'x')).toBe('leaving')
    const b0 = member('b')
    expect(memberRecord(b0, 'x')?.statusLTime).toBe(1n)

    // A push/pull from a, then the intent by gossip, then swim's leave of x.
    const merged = feed(b0, [{ type: 'merge-remote-state', bytes: localUserStateOf(a), join: false, now: 20 }]).state
    const got = feed(merged, [{ type: 'user-message', bytes: LEAVE_X, now: 30 }])
    expect(statusOf(got.state, 'x')).toBe('leaving')
    expect(rebroadcasts(got.effects)).toBe(1)
    expect(statsOf(got.state).intentsStale).toBe(statsOf(merged).intentsStale)
    const gone = feed(got.state, [{ type: 'node-left', node: node('x'), now: 40 }])
    expect(memberEvents(gone.effects)).toEqual(['member-leave:x'])
  })

  it('the same after a push/pull with the leaver itself', () => {
    // x's own core: its join (LTime 1) is known to all, then it begins its leave (the intent at 2).
    let x = step(initialCoreState(createSerfConfig({ nodeName: 'x' })), { type: 'start', restored: {} }).state
    x = feed(x, [...NAMES.map((n): MemberCoreInput => ({ type: 'node-joined', node: node(n), now: 0 })), { type: 'join-completed', numJoined: 1, reconnect: false, now: 0 }]).state
    expect(memberRecord(x, 'x')?.statusLTime).toBe(1n)
    const left = feed(x, [{ type: 'begin-leave', notifyTo: 'mm', now: 10 }])
    const sent = left.effects.find((e) => e.type === 'broadcast')
    expect(sent?.type === 'broadcast' && decodeSerfMessage(sent.broadcast.message)).toMatchObject({ type: 'leave', Node: 'x', LTime: 2n })

    const b = feed(member('b'), [
      { type: 'merge-remote-state', bytes: localUserStateOf(left.state), join: false, now: 20 },
      { type: 'user-message', bytes: LEAVE_X, now: 30 },
      { type: 'node-left', node: node('x'), now: 40 },
    ])
    expect(memberEvents(b.effects)).toEqual(['member-leave:x'])
  })

  it('the same at a node that did not know the leaver before the push/pull (a joiner)', () => {
    const a = feed(member('a'), [{ type: 'user-message', bytes: LEAVE_X, now: 10 }]).state
    const j = step(initialCoreState(createSerfConfig({ nodeName: 'j' })), { type: 'start', restored: {} }).state
    const r = feed(j, [
      { type: 'merge-remote-state', bytes: localUserStateOf(a), join: true, now: 20 },
      { type: 'node-joined', node: node('x'), now: 20 },
      { type: 'user-message', bytes: LEAVE_X, now: 30 },
      { type: 'node-left', node: node('x'), now: 40 },
    ])
    expect(memberEvents(r.effects)).toEqual(['member-join:x', 'member-leave:x'])
  })

  it('push/pull advertises a leaving member at its join time, a left one at its leave time (Serf)', () => {
    const a = feed(member('a'), [{ type: 'user-message', bytes: LEAVE_X, now: 10 }]).state
    const leaving = decodeSerfMessage(localUserStateOf(a))
    expect(leaving.type === 'pushPull' && leaving.StatusLTimes.get('x')).toBe(1n)
    expect(leaving.type === 'pushPull' && leaving.LeftMembers).toEqual([])
    const left = feed(a, [{ type: 'node-left', node: node('x'), now: 20 }]).state
    const pp = decodeSerfMessage(localUserStateOf(left))
    expect(pp.type === 'pushPull' && pp.StatusLTimes.get('x')).toBe(2n)
    expect(pp.type === 'pushPull' && pp.LeftMembers).toEqual(['x'])
    // A refuted leave (a join at 3 brings x back to alive): its own time again.
    const back = feed(a, [{ type: 'user-message', bytes: encodeSerfMessage({ type: 'join', Node: 'x', LTime: 3n }), now: 20 }]).state
    const pp2 = decodeSerfMessage(localUserStateOf(back))
    expect(pp2.type === 'pushPull' && pp2.StatusLTimes.get('x')).toBe(3n)
  })

  it('a leaving member created from a buffered leave is advertised at the time it had before the leave (0: the leave replaced its buffered join, as in Serf)', () => {
    const b = feed(step(initialCoreState(createSerfConfig({ nodeName: 'b' })), { type: 'start', restored: {} }).state, [
      { type: 'user-message', bytes: encodeSerfMessage({ type: 'join', Node: 'y', LTime: 4n }), now: 0 },
      { type: 'user-message', bytes: encodeSerfMessage({ type: 'leave', Node: 'y', LTime: 5n, Prune: false }), now: 0 },
      { type: 'node-joined', node: node('y'), now: 0 },
    ]).state
    expect(statusOf(b, 'y')).toBe('leaving')
    const pp = decodeSerfMessage(localUserStateOf(b))
    // The leave replaced the buffered join (one entry per node, as Serf's recentIntents): 0.
    expect(pp.type === 'pushPull' && pp.StatusLTimes.get('y')).toBe(0n)
  })
})
