/**
 * member-manager's seam (issue 11): the machine emits member events (XState `emit`) besides telling
 * the events sink, and its context is the core's state, never written once handed out: a snapshot
 * or a persisted record taken earlier stays as it was, and shares the records it did not change
 * with the live context instead of copying the table.
 */
import { describe, expect, it } from 'vitest'
import { createActor } from 'xstate'
import { createMemberManagerMachine } from '../../../actors/member-manager/machine.ts'
import type { MemberManagerContext, MemberManagerInput } from '../../../actors/member-manager/machine.ts'
import type { Member, MemberEventMsg, MemberManagerEmitted, MemberViewChangedMsg, MembersReply, NameConflictEventMsg } from '../../../actors/member-manager/protocol.ts'
import { cowGet } from '../../../actors/member-manager/cow-map.ts'
import { encodeSerfMessage } from '../../../src/wire/index.ts'
import { fakeEnv } from '../gossip-queue/fake-env.ts'
import { node } from './fixtures.ts'

const S = 1000
const H = 3600 * S

function start(config: Partial<MemberManagerInput['config']> = {}, peers: MemberManagerInput['peers'] = { events: 'events' }) {
  const f = fakeEnv('member-manager', 1)
  const input: MemberManagerInput = { config: { nodeName: 'self', ...config }, peers }
  const actor = createActor(createMemberManagerMachine(f.env), { clock: f.clock, input }).start()
  return { ...f, actor }
}

/** Freezes every object reachable from `v` (typed arrays cannot be frozen and are left alone). */
function deepFreeze(v: unknown, seen = new Set<unknown>()): void {
  if (typeof v !== 'object' || v === null || seen.has(v) || ArrayBuffer.isView(v)) return
  seen.add(v)
  if (v instanceof Map) for (const [k, x] of v) (deepFreeze(k, seen), deepFreeze(x, seen))
  for (const x of Object.values(v)) deepFreeze(x, seen)
  Object.freeze(v)
}

const summary = (e: MemberManagerEmitted) =>
  e.type === 'member.event' ? `${e.event}:${e.members.map((m) => m.name).join(',')}` : e.type === 'member.conflict' ? `conflict:${e.name}` : `view:${e.seq}`

describe('member-manager emitted events', () => {
  it('emits every kind of member event (join, update, failed, leave, reap) to actor.on, and still tells the events sink', () => {
    const m = start({ reconnectTimeoutMs: 1 * H, tombstoneTimeoutMs: 1 * H, reapIntervalMs: 15 * S, reconnectIntervalMs: 10 * H })
    const got: MemberEventMsg[] = []
    m.actor.on('member.event', (e) => void got.push(e))
    for (const n of ['self', 'a', 'b']) m.actor.send({ type: 'member.node-joined', node: node(n) })
    m.actor.send({ type: 'member.node-updated', node: node('a', { role: 'db' }) })
    m.actor.send({ type: 'member.node-left', node: node('b') }) // alive → failed
    m.actor.send({ type: 'member.user-message', bytes: encodeSerfMessage({ type: 'leave', Node: 'a', LTime: 9n, Prune: false }) })
    m.actor.send({ type: 'member.node-left', node: node('a') }) // leaving → left
    m.clock.advanceSync(1 * H + 15 * S) // both past their timeouts at a reap tick
    expect(got.map(summary)).toEqual([
      'member-join:self',
      'member-join:a',
      'member-join:b',
      'member-update:a',
      'member-failed:b',
      'member-leave:a',
      'member-reap:b',
      'member-reap:a',
    ])
    expect(got.find((e) => e.event === 'member-update')!.members[0]!.tags).toEqual({ role: 'db' })
    // The sink gets the same stream, in the same order.
    expect(m.sentOf('member.event').map((s) => summary(s.msg as unknown as MemberEventMsg))).toEqual(got.map(summary))
    m.actor.stop()
  })

  it('emits a batch of swim changes as one event per run of one kind, and name conflicts as member.conflict', () => {
    const m = start({}, {}) // no events sink at all: the emitted events are the only stream
    const got: MemberManagerEmitted[] = []
    m.actor.on('member.event', (e) => void got.push(e))
    m.actor.on('member.conflict', (e) => void got.push(e))
    m.actor.send({
      type: 'member.nodes-changed',
      seq: 1,
      changes: [
        { kind: 'joined', node: node('x') },
        { kind: 'joined', node: node('y') },
        { kind: 'left', node: node('x') },
      ],
    })
    m.actor.send({ type: 'member.name-conflict', existing: node('y'), other: { addr: Uint8Array.of(10, 0, 0, 9), port: 1 } })
    expect(got.map(summary)).toEqual(['member-join:x,y', 'member-failed:x', 'conflict:y'])
    expect((got[2] as NameConflictEventMsg).warning.code).toBe('ERR_MEMBER_NAME_CONFLICT')
    expect(m.sent.filter((s) => s.msg.type === 'member.event' || s.msg.type === 'member.conflict')).toEqual([])
    m.actor.stop()
  })

  it('emits members that share nothing with the state: a handler that writes them changes no member', () => {
    const m = start()
    m.actor.on('member.event', (e) => {
      const member = e.members[0]! as { status: string; addr: Uint8Array }
      member.status = 'failed'
      member.addr[0] = 99
    })
    m.actor.send({ type: 'member.node-joined', node: node('a') })
    const t = m.ask<{ members: Array<{ status: string; addr: Uint8Array }> }>()
    m.actor.send({ type: 'member.members', replyTo: t as never })
    expect(m.replyFor(t)!.members[0]).toMatchObject({ status: 'alive', addr: Uint8Array.of(127, 0, 0, 1) })
    m.actor.stop()
  })
})

describe('member-manager view feed (member.view-changed)', () => {
  it('a Map kept from the feed is the members reply after every change, in order, and a change nobody sees emits nothing', () => {
    const m = start({ reconnectTimeoutMs: 1 * H, tombstoneTimeoutMs: 1 * H, reapIntervalMs: 15 * S, reconnectIntervalMs: 10 * H })
    const kept = new Map<string, Member>()
    const seqs: number[] = []
    m.actor.on('member.view-changed', (e: MemberViewChangedMsg) => {
      seqs.push(e.seq)
      for (const n of e.removed) kept.delete(n)
      for (const mb of e.set) kept.set(mb.name, mb)
    })
    const reply = (): MembersReply => {
      const t = m.ask<MembersReply>()
      m.actor.send({ type: 'member.members', replyTo: t as never })
      return m.replyFor(t)!
    }
    const check = () => {
      const r = reply()
      expect([...kept.values()]).toEqual(r.members)
      expect(r.viewSeq).toBe(seqs.at(-1) ?? 0)
    }
    check()
    for (const n of ['self', 'a', 'b', 'c']) m.actor.send({ type: 'member.node-joined', node: node(n) })
    check()
    m.actor.send({ type: 'member.node-updated', node: node('a', { role: 'db' }) })
    check()
    const before = seqs.length
    // The same node told again, unchanged: the table may rewrite its record, the list does not change.
    m.actor.send({ type: 'member.node-updated', node: node('a', { role: 'db' }) })
    m.actor.send({ type: 'member.user-message', bytes: encodeSerfMessage({ type: 'join', Node: 'c', LTime: 7n }) })
    expect(seqs.length).toBe(before)
    m.actor.send({ type: 'member.node-left', node: node('b') }) // alive → failed
    m.actor.send({ type: 'member.user-message', bytes: encodeSerfMessage({ type: 'leave', Node: 'a', LTime: 9n, Prune: false }) })
    check()
    m.actor.send({ type: 'member.set-tags', tags: { zone: 'x' } })
    check()
    m.clock.advanceSync(1 * H + 15 * S) // b reaped
    check()
    expect(kept.has('b')).toBe(false)
    m.actor.send({ type: 'member.node-joined', node: node('b') }) // back, at the end of the order
    check()
    expect([...kept.keys()]).toEqual(['self', 'a', 'c', 'b'])
    expect(seqs).toEqual(seqs.map((_, i) => i + 1))
    m.actor.stop()
  })
})

describe('member-manager context: the core state, never written in place', () => {
  it('never writes a context it has handed out: every message and timer works on a deep-frozen context', () => {
    const m = start({ reconnectTimeoutMs: 1 * H, reapIntervalMs: 15 * S, reconnectIntervalMs: 30 * S, broadcastTimeoutMs: 5 * S, leavePropagateDelayMs: 1 * S })
    const freeze = () => deepFreeze(m.actor.getSnapshot().context)
    const send = (e: Parameters<typeof m.actor.send>[0]) => {
      freeze()
      m.actor.send(e)
      expect(m.actor.getSnapshot().status).toBe('active')
    }
    for (const n of ['self', 'a', 'b', 'c', 'p']) send({ type: 'member.node-joined', node: node(n) })
    send({ type: 'member.nodes-changed', seq: 1, changes: [{ kind: 'updated', node: node('a', { v: '2' }) }] })
    send({ type: 'member.user-message', bytes: encodeSerfMessage({ type: 'join', Node: 'a', LTime: 5n }) })
    send({ type: 'member.user-message', bytes: encodeSerfMessage({ type: 'leave', Node: 'ghost', LTime: 5n, Prune: false }) })
    send({ type: 'member.user-message', bytes: encodeSerfMessage({ type: 'leave', Node: 'p', LTime: 6n, Prune: true }) })
    send({ type: 'member.node-left', node: node('b') })
    send({ type: 'member.set-tags', tags: { role: 'web' } })
    send({ type: 'member.join-completed', numJoined: 1 })
    send({ type: 'member.name-conflict', existing: node('c'), other: { addr: Uint8Array.of(10, 0, 0, 9), port: 1 } })
    freeze()
    m.clock.advanceSync(1 * H + 30 * S) // reap, reconnect and prune timers, each on a frozen context
    expect(m.actor.getSnapshot().status).toBe('active')
    send({ type: 'member.leave' })
    freeze()
    m.clock.advanceSync(20 * S)
    expect(m.actor.getSnapshot().matches({ running: { lifecycle: 'left' } })).toBe(true)
    const t = m.ask<{ counts: { total: number } }>()
    send({ type: 'member.members', replyTo: t as never })
    // self, a and c stay: b was reaped past reconnectTimeout, p pruned.
    expect(m.replyFor(t)!.counts.total).toBe(3)
    m.actor.stop()
  })

  it('a persisted record stays as it was, sharing the records it did not change with the live context', () => {
    const m = start()
    for (let i = 0; i < 200; i++) m.actor.send({ type: 'member.node-joined', node: node(`n${i}`) })
    const persisted = m.actor.getPersistedSnapshot() as unknown as { context: MemberManagerContext }
    const copy = structuredClone(persisted)
    m.actor.send({ type: 'member.node-updated', node: node('n7', { role: 'db' }) })
    m.actor.send({ type: 'member.node-left', node: node('n8') })
    const live = m.actor.getSnapshot().context
    // Untouched as recorded (the runtime may keep it for the next crash without copying it first).
    expect(persisted).toEqual(copy)
    const rec = (c: MemberManagerContext, name: string) => cowGet(c.core.table.records, name)
    expect(rec(persisted.context, 'n7')!.member.tags).toEqual({})
    expect(rec(live, 'n7')!.member.tags).toEqual({ role: 'db' })
    expect(rec(live, 'n8')!.member.status).toBe('failed')
    // Shared, not copied: every member the two messages did not touch is the same object.
    expect(rec(live, 'n9')).toBe(rec(persisted.context, 'n9'))
    expect(rec(live, 'n7')).not.toBe(rec(persisted.context, 'n7'))
    m.actor.stop()
  })
})
