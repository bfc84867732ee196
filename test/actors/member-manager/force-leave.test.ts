/**
 * member-manager's `member.force-leave` (Serf RemoveFailedNode / RemoveFailedNodePrune) on a
 * simulated clock: the leave intent applied here and broadcast with Prune, the answer waiting for
 * gossip-queue's report, Serf's timeout text after BroadcastTimeout, and what is not an error.
 */
import { describe, expect, it } from 'vitest'
import { createActor } from 'xstate'
import { createMemberManagerMachine } from '../../../actors/member-manager/machine.ts'
import type { MemberManagerInput } from '../../../actors/member-manager/machine.ts'
import type { AckReply, MemberEventMsg, MembersReply, MemberStatsReply } from '../../../actors/member-manager/protocol.ts'
import type { Broadcast } from '../../../actors/gossip-queue/protocol.ts'
import { decodeSerfMessage } from '../../../src/wire/index.ts'
import { fakeEnv } from '../gossip-queue/fake-env.ts'
import { node } from './fixtures.ts'

function start(config: Partial<MemberManagerInput['config']> = {}) {
  const f = fakeEnv('member-manager', 3)
  const input: MemberManagerInput = { config: { nodeName: 'self', broadcastTimeoutMs: 5_000, ...config }, peers: { swim: 'swim', gossipQueue: 'gossip-queue', events: 'events' } }
  const actor = createActor(createMemberManagerMachine(f.env), { clock: f.clock, input }).start()
  const members = () => {
    const t = f.ask<MembersReply>()
    actor.send({ type: 'member.members', replyTo: t })
    return f.replyFor(t)!.members.map((m) => `${m.name}:${m.status}`).sort()
  }
  const stats = () => {
    const t = f.ask<MemberStatsReply>()
    actor.send({ type: 'member.stats', replyTo: t })
    return f.replyFor(t)!
  }
  const forceLeave = (name: string, prune?: boolean) => {
    const t = f.ask<AckReply>()
    actor.send({ type: 'member.force-leave', node: name, ...(prune !== undefined ? { prune } : {}), replyTo: t })
    return t
  }
  const intents = () =>
    f.sentOf('gossip.enqueue')
      .map((s) => (s.msg as unknown as { broadcast: Broadcast }).broadcast)
      .filter((b) => b.queue === 'serf-intent')
      .map((b) => ({ msg: decodeSerfMessage(b.message), notify: b.notify }))
      .filter((x) => x.msg.type === 'leave')
  const events = () => f.sentOf('member.event').filter((s) => s.to === 'events').map((s) => s.msg as unknown as MemberEventMsg).map((m) => `${m.event}:${m.members[0]!.name}`)
  const failOf = (t: { cid: number }) => f.failures.find((x) => (x.to as { cid: number } | undefined)?.cid === t.cid)?.error
  return { ...f, actor, members, stats, forceLeave, intents, events, failOf }
}

/** self, a and b alive; b then fails. */
function withFailed(config: Partial<MemberManagerInput['config']> = {}) {
  const m = start(config)
  for (const n of ['self', 'a', 'b']) m.actor.send({ type: 'member.node-joined', node: node(n) })
  m.actor.send({ type: 'member.node-left', node: node('b') })
  expect(m.members()).toEqual(['a:alive', 'b:failed', 'self:alive'])
  return m
}

describe('member.force-leave', () => {
  it('a failed member becomes left, a leave intent is broadcast, and the ack waits for the broadcast', async () => {
    const m = withFailed()
    const t = m.forceLeave('b')
    expect(m.members()).toEqual(['a:alive', 'b:left', 'self:alive'])
    expect(m.events()).toContain('member-leave:b')
    const [sent] = m.intents()
    expect(sent!.msg).toMatchObject({ type: 'leave', Node: 'b', Prune: false })
    expect(sent!.notify).toEqual({ to: 'member-manager', id: 'force-leave-1' })
    expect(m.replyFor(t)).toBeUndefined()
    await m.clock.advance(1_000)
    m.actor.send({ type: 'gossip.broadcast-finished', queue: 'serf-intent', id: 'force-leave-1', outcome: 'transmitted' })
    expect(m.replyFor(t)).toEqual({ type: 'member.ack' })
    // The timeout was cancelled: nothing fails later.
    await m.clock.advance(10_000)
    expect(m.failOf(t)).toBeUndefined()
    expect(m.stats().forceLeaves).toEqual({ requested: 1, timedOut: 0, waiting: 0 })
    m.actor.stop()
  })

  it('with prune the member is erased at once and the intent carries Prune', () => {
    const m = withFailed()
    m.forceLeave('b', true)
    expect(m.members()).toEqual(['a:alive', 'self:alive'])
    expect(m.intents()[0]!.msg).toMatchObject({ Node: 'b', Prune: true })
    m.actor.stop()
  })

  it("fails with Serf's text when the broadcast is not confirmed within BroadcastTimeout (the member stays left)", async () => {
    const m = withFailed()
    const t = m.forceLeave('b')
    await m.clock.advance(4_999)
    expect(m.failOf(t)).toBeUndefined()
    await m.clock.advance(1)
    expect(m.failOf(t)).toEqual({ code: 'ERR_MEMBER_FORCE_LEAVE_TIMEOUT', message: 'timed out broadcasting node removal' })
    expect(m.replyFor(t)).toBeUndefined()
    expect(m.members()).toContain('b:left')
    // A late report changes nothing.
    m.actor.send({ type: 'gossip.broadcast-finished', queue: 'serf-intent', id: 'force-leave-1', outcome: 'transmitted' })
    expect(m.replyFor(t)).toBeUndefined()
    expect(m.stats().forceLeaves).toEqual({ requested: 1, timedOut: 1, waiting: 0 })
    m.actor.stop()
  })

  it('nobody else alive: answered at once, nothing broadcast (Serf)', () => {
    const m = start()
    m.actor.send({ type: 'member.node-joined', node: node('self') })
    m.actor.send({ type: 'member.node-joined', node: node('b') })
    m.actor.send({ type: 'member.node-left', node: node('b') })
    const t = m.forceLeave('b')
    expect(m.replyFor(t)).toEqual({ type: 'member.ack' })
    expect(m.intents()).toEqual([])
    expect(m.members()).toEqual(['b:left', 'self:alive'])
    m.actor.stop()
  })

  it('an unknown node or an alive one is not an error; two asks wait for their own broadcasts', () => {
    const m = withFailed()
    m.actor.send({ type: 'member.node-joined', node: node('c') })
    const unknown = m.forceLeave('ghost')
    const alive = m.forceLeave('a')
    expect(m.members()).toEqual(['a:leaving', 'b:failed', 'c:alive', 'self:alive']) // Serf: an alive member becomes leaving
    expect(m.intents().map((i) => [i.msg.type === 'leave' && i.msg.Node, i.notify?.id])).toEqual([
      ['ghost', 'force-leave-1'],
      ['a', 'force-leave-2'],
    ])
    m.actor.send({ type: 'gossip.broadcast-finished', queue: 'serf-intent', id: 'force-leave-2', outcome: 'transmitted' })
    expect(m.replyFor(alive)).toEqual({ type: 'member.ack' })
    expect(m.replyFor(unknown)).toBeUndefined()
    m.actor.send({ type: 'gossip.broadcast-finished', queue: 'serf-intent', id: 'force-leave-1', outcome: 'invalidated' })
    expect(m.replyFor(unknown)).toEqual({ type: 'member.ack' })
    // Once nobody else is alive, Serf broadcasts nothing and answers at once.
    const last = m.forceLeave('c')
    expect(m.replyFor(last)).toEqual({ type: 'member.ack' })
    expect(m.intents()).toHaveLength(2)
    m.actor.stop()
  })

  it('a stop while waiting fails the asker with a code', () => {
    const m = withFailed()
    const t = m.forceLeave('b')
    m.actor.send({ type: 'runtime.shutdown' })
    expect(m.failOf(t)).toMatchObject({ code: 'ERR_MEMBER_SHUTDOWN' })
  })
})
