/**
 * member-manager's end of swim's node-change feed (issue 10 item 4): batches applied like the single
 * notices and published together, `state` changes reconciled with the table, the feed's numbering
 * followed, a gap or a restore answered with a resync request, malformed batches refused.
 */
import { describe, expect, it } from 'vitest'
import { createActor } from 'xstate'
import { freshNodeFeed, receiveFeed, resyncAsked } from '../../../actors/member-manager/node-feed.ts'
import { createMemberManagerMachine } from '../../../actors/member-manager/machine.ts'
import { memberManager } from '../../../actors/member-manager/definition.ts'
import { MemberLayer } from '../../../actors/member-manager/member-layer.ts'
import { createSerfConfig } from '../../../actors/member-manager/config.ts'
import { encodeTags } from '../../../actors/member-manager/tags.ts'
import { MAX_NODE_CHANGES } from '../../../actors/member-manager/protocol.ts'
import type { MemberManagerInbound, MemberManagerOutbound, MemberStatsReply, NodeChange, NodeFeedStats, NodeInfo } from '../../../actors/member-manager/protocol.ts'
import type { SnapshotterIn } from '../../../actors/snapshotter/protocol.ts'
import { createSeededRandom } from '../../../src/types/random.ts'
import { fakeEnv } from '../gossip-queue/fake-env.ts'
import { node, table } from './fixtures.ts'

const as = (state: NodeInfo['state'], n: NodeInfo): NodeInfo => ({ ...n, state })

describe('receiveFeed (node-feed.ts)', () => {
  const at = (lastSeq: number, awaitingResync = false): NodeFeedStats => ({ ...freshNodeFeed(), lastSeq, awaitingResync })
  it.each([
    // [state before, seq, resync flag, gap counted, resync asked, awaiting after]
    ['in order', at(4), 5, false, 0, false, false],
    ['a fresh feed (swim started over)', at(9, true), 1, false, 0, false, false],
    ['a gap', at(4), 7, false, 1, true, false],
    ['a gap while a resync is due', at(4, true), 7, false, 1, false, true],
    ['a resync starting after a gap', at(4, true), 9, true, 0, false, false],
    ['an older seq (a feed that restarted, its first message lost)', at(57), 2, false, 1, true, false],
  ] as const)('%s', (_what, before, seq, resync, gaps, ask, awaiting) => {
    const { next, askResync } = receiveFeed(before, seq, 3, resync)
    expect(next).toMatchObject({ lastSeq: seq, messages: 1, changes: 3, gaps, awaitingResync: awaiting })
    expect(askResync).toBe(ask)
  })

  it('marks a resync due only when swim took the request', () => {
    expect(resyncAsked(freshNodeFeed(), true)).toMatchObject({ resyncRequests: 1, awaitingResync: true })
    expect(resyncAsked(freshNodeFeed(), false)).toMatchObject({ resyncRequests: 1, awaitingResync: false })
  })
})

describe('MemberTable.reconcile (a resync `state` change)', () => {
  it('joins an unknown alive or suspect node, and revives a failed or left member', () => {
    const { t } = table()
    expect(t.reconcile(node('a'), 0).map((e) => e.event)).toEqual(['member-join'])
    expect(t.reconcile(as('suspect', node('b')), 0).map((e) => e.event)).toEqual(['member-join'])
    t.nodeLeft(node('a'), 1)
    expect(t.get('a')?.member.status).toBe('failed')
    expect(t.reconcile(node('a'), 2).map((e) => e.event)).toEqual(['member-join'])
    expect(t.get('a')?.member.status).toBe('alive')
  })

  it('is silent when the member already shows what swim has, and an update when tags, address or versions differ', () => {
    const { t } = table()
    t.nodeJoined(node('a', { role: 'web' }), 0)
    expect(t.reconcile(node('a', { role: 'web' }), 1)).toEqual([])
    expect(t.reconcile(as('suspect', node('a', { role: 'web' })), 1)).toEqual([])
    expect(t.reconcile(node('a', { role: 'db' }), 1)).toEqual([expect.objectContaining({ event: 'member-update' })])
    expect(t.get('a')?.member.tags).toEqual({ role: 'db' })
    expect(t.reconcile(node('a', { role: 'db' }, 8000), 1).map((e) => e.event)).toEqual(['member-update'])
    expect(t.reconcile({ ...node('a', { role: 'db' }, 8000), addr: Uint8Array.of(10, 9, 9, 9) }, 1).map((e) => e.event)).toEqual(['member-update'])
    expect(t.reconcile({ ...node('a', { role: 'db' }, 8000), addr: Uint8Array.of(10, 9, 9, 9), vsn: [1, 5, 3, 2, 5, 5] }, 1).map((e) => e.event)).toEqual(['member-update'])
    expect(t.get('a')?.member).toMatchObject({ port: 8000, protocolCur: 3 })
  })

  it('fails an alive member and makes a leaving one left when swim has the node dead or left; else nothing', () => {
    const { t } = table()
    t.nodeJoined(node('a'), 0)
    t.nodeJoined(node('b'), 0)
    t.leaveIntent('b', 5n, false, 0) // b is leaving
    expect(t.reconcile(as('dead', node('a')), 1).map((e) => e.event)).toEqual(['member-failed'])
    expect(t.reconcile(as('left', node('b')), 1).map((e) => e.event)).toEqual(['member-leave'])
    expect([t.get('a')?.member.status, t.get('b')?.member.status]).toEqual(['failed', 'left'])
    // Already down: nothing more. Unknown and dead: not added (it may have been pruned here).
    expect(t.reconcile(as('dead', node('a')), 2)).toEqual([])
    expect(t.reconcile(as('dead', node('gone')), 2)).toEqual([])
    expect(t.get('gone')).toBeUndefined()
    expect(t.recount()).toEqual(t.counts())
  })
})

describe('MemberLayer.nodeChanges', () => {
  function layer() {
    const emitted: MemberManagerOutbound[] = []
    const sizes: number[] = []
    const snaps: SnapshotterIn[] = []
    const l = new MemberLayer(createSerfConfig({ nodeName: 'self' }), {
      now: () => 0,
      random: createSeededRandom(3),
      emit: (m) => void emitted.push(m),
      enqueue: () => {},
      clusterSize: (n) => void sizes.push(n),
      snapshot: (m) => void snaps.push(m),
      schedulePrune: () => {},
    })
    l.start()
    emitted.length = 0
    return { l, emitted, sizes, snaps }
  }

  it('applies a batch in order like the single notices and publishes it together', () => {
    const { l, emitted, sizes, snaps } = layer()
    const changes: NodeChange[] = [
      ...['a', 'b', 'c'].map((n): NodeChange => ({ kind: 'joined', node: node(n) })),
      { kind: 'left', node: as('dead', node('b')) },
      { kind: 'joined', node: node('d') },
      { kind: 'updated', node: node('a', { v: '2' }) },
      { kind: 'updated', node: node('nobody') }, // ignored, counted
    ]
    l.nodeChanges(changes)
    const events = emitted.filter((e) => e.type === 'member.event').map((e) => `${e.event}:${e.members.map((m) => m.name).join(',')}`)
    // One message per run of one event type, in order.
    expect(events).toEqual(['member-join:a,b,c', 'member-failed:b', 'member-join:d', 'member-update:a'])
    expect(snaps).toEqual([
      {
        type: 'snapshot.records',
        records: [
          { kind: 'member-alive', name: 'a', addr: Uint8Array.of(127, 0, 0, 1), port: 7946 },
          { kind: 'member-alive', name: 'b', addr: Uint8Array.of(127, 0, 0, 1), port: 7946 },
          { kind: 'member-alive', name: 'c', addr: Uint8Array.of(127, 0, 0, 1), port: 7946 },
          { kind: 'member-not-alive', name: 'b' },
          { kind: 'member-alive', name: 'd', addr: Uint8Array.of(127, 0, 0, 1), port: 7946 },
        ],
      },
    ])
    expect(sizes).toEqual([4]) // once, after the batch
    expect(l.members().counts).toEqual({ alive: 3, leaving: 0, left: 0, failed: 1, total: 4 })
    expect(l.stats().ignoredNotices).toBe(1)
  })

  it('publishes nothing for a resync that finds the table in agreement', () => {
    const { l, emitted, sizes, snaps } = layer()
    l.nodeChanges([{ kind: 'joined', node: node('a') }])
    emitted.length = sizes.length = snaps.length = 0
    l.nodeChanges([{ kind: 'state', node: node('a') }])
    expect([emitted, sizes, snaps]).toEqual([[], [], []])
  })
})

describe('member-manager machine: following the feed', () => {
  function start() {
    const f = fakeEnv('member-manager')
    const actor = createActor(createMemberManagerMachine(f.env), { clock: f.clock, input: { config: { nodeName: 'self' }, peers: { events: 'events' } } }).start()
    const stats = () => {
      const t = f.ask<MemberStatsReply>()
      actor.send({ type: 'member.stats', replyTo: t })
      return f.replyFor(t)!
    }
    const batch = (seq: number, names: string[], extra: Partial<Extract<MemberManagerInbound, { type: 'member.nodes-changed' }>> = {}) =>
      actor.send({ type: 'member.nodes-changed', seq, changes: names.map((n) => ({ kind: 'joined', node: node(n) })), ...extra })
    const resyncRequests = () => f.sent.filter((s) => s.to === 'swim' && s.msg.type === 'member.nodes-resync').map((s) => s.msg)
    return { f, actor, stats, batch, resyncRequests }
  }

  it('applies numbered batches and single changes, and asks swim once for a resync at a gap', () => {
    const m = start()
    m.batch(1, ['self', 'a'])
    m.actor.send({ type: 'member.node-joined', node: node('b'), seq: 2 })
    expect(m.resyncRequests()).toEqual([])
    m.batch(5, ['c']) // 3 and 4 never came
    m.batch(7, ['d']) // another gap before the resync started: no second request
    expect(m.resyncRequests()).toEqual([{ type: 'member.nodes-resync', reason: 'gap' }])
    expect(m.stats().feed).toEqual({ lastSeq: 7, messages: 4, changes: 5, gaps: 2, resyncRequests: 1, awaitingResync: true })
    // The resync's first message: in line again; the next gap asks anew.
    m.actor.send({ type: 'member.nodes-changed', seq: 8, resync: true, changes: ['self', 'a', 'b', 'c', 'd', 'e'].map((n) => ({ kind: 'state', node: node(n) })) })
    expect(m.stats().feed).toMatchObject({ lastSeq: 8, awaitingResync: false })
    expect(m.stats().counts.total).toBe(6)
    m.batch(10, ['f'])
    expect(m.resyncRequests()).toHaveLength(2)
    m.actor.stop()
  })

  it('leaves unnumbered notices (older senders) out of the numbering', () => {
    const m = start()
    m.actor.send({ type: 'member.node-joined', node: node('a') })
    m.batch(1, ['b'])
    expect(m.stats().feed).toMatchObject({ lastSeq: 1, messages: 1, gaps: 0 })
    expect(m.stats().counts.total).toBe(2)
    m.actor.stop()
  })

  it('counts a resync request swim could not take, and asks again at the next gap', () => {
    const f = fakeEnv('member-manager', 1, ['events', 'gossip-queue']) // no swim
    const actor = createActor(createMemberManagerMachine(f.env), { clock: f.clock, input: { config: { nodeName: 'self' } } }).start()
    actor.send({ type: 'member.nodes-changed', seq: 3, changes: [] })
    actor.send({ type: 'member.nodes-changed', seq: 9, changes: [] })
    const t = f.ask<MemberStatsReply>()
    actor.send({ type: 'member.stats', replyTo: t })
    expect(f.replyFor(t)!.feed).toMatchObject({ gaps: 2, resyncRequests: 2, awaitingResync: false })
    actor.stop()
  })
})

describe('member-manager definition: validating a batch', () => {
  const validate = (msg: unknown) => memberManager.validate?.(msg as MemberManagerInbound)
  const ok = { type: 'member.nodes-changed', seq: 1, changes: [{ kind: 'joined', node: node('a') }] }
  it.each([
    ['a good batch', ok, undefined],
    ['an empty resync', { type: 'member.nodes-changed', seq: 4, changes: [], resync: true }, undefined],
    ['no seq', { ...ok, seq: undefined }, 'seq must be an integer >= 1'],
    ['seq 0', { ...ok, seq: 0 }, 'seq must be an integer >= 1'],
    ['a non-boolean resync', { ...ok, resync: 'yes' }, 'resync must be a boolean when given'],
    ['no array', { ...ok, changes: 'x' }, 'changes must be an array'],
    ['too many', { ...ok, changes: new Array(MAX_NODE_CHANGES + 1).fill(ok.changes[0]) }, `changes must hold at most ${MAX_NODE_CHANGES} entries (got ${MAX_NODE_CHANGES + 1})`],
    ['a bad kind', { ...ok, changes: [ok.changes[0], { kind: 'vanished', node: node('b') }] }, 'changes[1].kind must be one of joined, updated, left, state'],
    ['a bad node', { ...ok, changes: [{ kind: 'left', node: { ...node('b'), addr: Uint8Array.of(1) } }] }, 'changes[0].node.addr must be 4 or 16 IP bytes'],
    ['a bad state', { ...ok, changes: [{ kind: 'state', node: { ...node('b'), state: 'gone' } }] }, 'changes[0].node.state must be one of alive, suspect, dead, left'],
    ['a bad single seq', { type: 'member.node-joined', node: node('a'), seq: 1.5 }, 'seq must be an integer >= 1 when given'],
  ])('%s', (_what, msg, reason) => {
    expect(validate(msg)).toBe(reason)
  })

  it('accepts the tags swim reports as they are (Meta is checked by the table, counted when malformed)', () => {
    expect(validate({ ...ok, changes: [{ kind: 'joined', node: { ...node('a'), meta: encodeTags({ a: '1' }, 5) } }] })).toBeUndefined()
  })
})
