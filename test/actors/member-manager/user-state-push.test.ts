/**
 * member-manager tells swim its Serf user state ahead of push/pulls (user-state-push.ts): when, how
 * often, and that what it tells is what a `member.local-state` ask would have answered then.
 * The machine runs bare on a simulated clock (fake-env.ts).
 */
import { describe, expect, it } from 'vitest'
import { createActor } from 'xstate'
import { createMemberManagerMachine } from '../../../actors/member-manager/machine.ts'
import type { MemberManagerInput } from '../../../actors/member-manager/machine.ts'
import type { LocalStateReply, UserStateMsg } from '../../../actors/member-manager/protocol.ts'
import { afterTell, freshUserStatePush, nextTellDelay, PUSH_MIN_INTERVAL_MS, userStateMoved } from '../../../actors/member-manager/user-state-push.ts'
import { initialCoreState } from '../../../actors/member-manager/core.ts'
import { createSerfConfig } from '../../../actors/member-manager/config.ts'
import { encodeSerfMessage } from '../../../src/wire/index.ts'
import { fakeEnv } from '../gossip-queue/fake-env.ts'
import { node } from './fixtures.ts'

function start() {
  const f = fakeEnv('member-manager', 1)
  const input: MemberManagerInput = {
    config: { nodeName: 'self' },
    peers: { swim: 'swim', gossipQueue: 'gossip-queue', snapshotter: 'snapshotter', events: 'events', serfEvents: 'serf-events' },
  }
  const actor = createActor(createMemberManagerMachine(f.env), { clock: f.clock, input }).start()
  const told = () => f.sent.filter((s) => s.to === 'swim' && s.msg.type === 'member.user-state').map((s) => (s.msg as unknown as UserStateMsg).bytes)
  const asked = () => {
    const t = f.ask<LocalStateReply>()
    actor.send({ type: 'member.local-state', join: false, replyTo: t })
    return f.replyFor(t)!.bytes
  }
  return { ...f, actor, told, asked }
}

describe('user-state push rules', () => {
  it('moves only with the member clock, the member table or the event slice', () => {
    const s = initialCoreState(createSerfConfig({ nodeName: 'self' }))
    expect(userStateMoved(s, { ...s, counters: { ...s.counters } })).toBe(false)
    expect(userStateMoved(s, { ...s, clock: s.clock + 1n })).toBe(true)
    expect(userStateMoved(s, { ...s, eventState: { eventLTime: 2n, events: [], queryLTime: 1n } })).toBe(true)
    expect(userStateMoved(s, { ...s, table: { ...s.table, records: { ...s.table.records } } })).toBe(true)
  })

  it('waits out the interval since the last tell, which grows with the bytes told', () => {
    const fresh = freshUserStatePush()
    expect(nextTellDelay(fresh, 5_000)).toBe(0)
    const small = afterTell(fresh, 600, 5_000)
    expect(small).toMatchObject({ pending: false, lastAt: 5_000, intervalMs: PUSH_MIN_INTERVAL_MS, told: 1 })
    expect(nextTellDelay(small, 5_030)).toBe(PUSH_MIN_INTERVAL_MS - 30)
    expect(nextTellDelay({ ...small, pending: true }, 5_030)).toBeUndefined()
    // 30 KB (a state of about a thousand members) at 100 bytes per ms: 300 ms between tells.
    expect(afterTell(small, 30_000, 6_000).intervalMs).toBe(300)
  })
})

describe('member-manager tells swim its user state', () => {
  it('tells it at start, the same bytes an ask answers', () => {
    const m = start()
    expect(m.told()).toHaveLength(0) // a 0 ms delay: after the start's own turn
    m.clock.advanceSync(0)
    expect(m.told()).toHaveLength(1)
    expect(m.told()[0]).toEqual(m.asked())
    m.actor.stop()
  })

  it('makes one tell per interval out of a burst of changes, the last one carrying the latest state', () => {
    const m = start()
    m.clock.advanceSync(PUSH_MIN_INTERVAL_MS)
    expect(m.told()).toHaveLength(1)
    for (const name of ['a', 'b', 'c', 'd']) m.actor.send({ type: 'member.node-joined', node: node(name) })
    m.actor.send({ type: 'member.user-message', bytes: encodeSerfMessage({ type: 'join', Node: 'a', LTime: 7n }) })
    m.clock.advanceSync(0)
    // The interval since the start's tell has passed: the first change goes at once, in a 0 ms delay.
    expect(m.told()).toHaveLength(2)
    m.actor.send({ type: 'member.user-message', bytes: encodeSerfMessage({ type: 'join', Node: 'b', LTime: 9n }) })
    m.clock.advanceSync(PUSH_MIN_INTERVAL_MS - 1)
    expect(m.told()).toHaveLength(2)
    m.clock.advanceSync(1)
    expect(m.told()).toHaveLength(3)
    expect(m.told()[2]).toEqual(m.asked())
    expect(m.told()[2]).not.toEqual(m.told()[1])
    m.actor.stop()
  })

  it('tells nothing while nothing the user state is made of changes', () => {
    const m = start()
    m.clock.advanceSync(PUSH_MIN_INTERVAL_MS)
    const before = m.told().length
    const t = m.ask()
    m.actor.send({ type: 'member.stats', replyTo: t } as never)
    m.clock.advanceSync(10 * PUSH_MIN_INTERVAL_MS)
    expect(m.told()).toHaveLength(before)
    m.actor.stop()
  })
})
