/**
 * The node's member list copy (src/node/member-view.ts): when it answers a read, and when a read
 * must ask member-manager (nothing kept yet, a gap, a restart, a write through the node).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { keepMemberView, MemberView } from '../../src/node/member-view.ts'
import type { Member, MemberViewChangedMsg } from '../../actors/member-manager/protocol.ts'
import { ActorSystem, SimulatedClock } from '../../src/runtime/index.ts'
import { node } from '../actors/member-manager/fixtures.ts'
import { crashableMemberManager } from '../actors/member-manager/support/crashable.ts'

let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown({ drainTimeoutMs: 2000 })
  system = undefined
})

function member(name: string, status: Member['status'] = 'alive', tags: Record<string, string> = {}): Member {
  return { name, addr: Uint8Array.of(127, 0, 0, 1), port: 7946, tags, status, protocolMin: 1, protocolMax: 5, protocolCur: 2, delegateMin: 2, delegateMax: 5, delegateCur: 4 }
}
const names = (ms: Member[] | undefined) => ms?.map((m) => `${m.name}:${m.status}`)
const change = (seq: number, set: Member[], removed: string[] = []): MemberViewChangedMsg => ({ type: 'member.view-changed', seq, set, removed })

/** A view started from a reply of `members` at `seq`. */
function started(members: Member[], seq: number): MemberView {
  const v = new MemberView()
  v.fromReply(v.asking(), { members, viewSeq: seq })
  return v
}

describe('MemberView', () => {
  it('asks until a reply starts it, then answers from the events applied in order', () => {
    const v = new MemberView()
    expect(v.read()).toBeUndefined()
    v.apply(change(1, [member('x')])) // before any reply: nothing to apply it to
    v.fromReply(v.asking(), { members: [member('a'), member('b')], viewSeq: 4 })
    expect(names(v.read())).toEqual(['a:alive', 'b:alive'])
    v.apply(change(3, [member('zz')])) // older than the reply: already in it
    v.apply(change(5, [member('c'), member('a', 'failed')]))
    v.apply(change(6, [member('a', 'alive')], ['b']))
    expect(names(v.read())).toEqual(['a:alive', 'c:alive'])
    // Removed and added again: last in the order, as member-manager's table has it.
    v.apply(change(7, [member('a', 'alive')], ['a']))
    expect(names(v.read())).toEqual(['c:alive', 'a:alive'])
    expect(v.stats).toMatchObject({ reads: 3, asks: 1, applied: 3, gaps: 0 })
  })

  it('a gap in the numbering, or a restart of member-manager, sends the next read to ask', () => {
    const v = started([member('a')], 1)
    v.apply(change(3, [member('b')]))
    expect(v.read()).toBeUndefined()
    expect(v.stats.gaps).toBe(1)
    v.apply(change(4, [member('c')])) // ignored until a reply starts the copy over
    v.fromReply(v.asking(), { members: [member('a'), member('b'), member('c')], viewSeq: 4 })
    expect(names(v.read())).toEqual(['a:alive', 'b:alive', 'c:alive'])
    v.reset()
    expect(v.read()).toBeUndefined()
    // A restored member-manager numbers from its snapshot: lower than before, taken as it is.
    v.fromReply(v.asking(), { members: [member('a')], viewSeq: 2 })
    v.apply(change(3, [member('d')]))
    expect(names(v.read())).toEqual(['a:alive', 'd:alive'])
  })

  it('after a write through the node, reads ask until an ask sent after the write has answered', () => {
    const v = started([member('self')], 1)
    const early = v.asking() // an ask sent before the write
    v.wrote()
    expect(v.read()).toBeUndefined()
    v.fromReply(early, { members: [member('self')], viewSeq: 1 })
    expect(v.read()).toBeUndefined()
    v.fromReply(v.asking(), { members: [member('self', 'alive', { role: 'web' })], viewSeq: 2 })
    expect(v.read()![0]!.tags).toEqual({ role: 'web' })
  })

  it('keeps the copy when a reply is older than the events already applied', () => {
    const v = started([member('a')], 1)
    v.apply(change(2, [member('b')]))
    v.fromReply(v.asking(), { members: [member('a')], viewSeq: 1 })
    expect(names(v.read())).toEqual(['a:alive', 'b:alive'])
  })

  it('hands out copies: a caller that writes a member changes nothing kept', () => {
    const v = started([member('a', 'alive', { role: 'db' })], 1)
    const got = v.read()![0]!
    got.tags = { role: 'x' }
    got.addr[0] = 9
    ;(got as { status: string }).status = 'failed'
    expect(v.read()![0]).toEqual(member('a', 'alive', { role: 'db' }))
  })

  it('keepMemberView follows the events and resets on member-manager starts and crashes only', () => {
    let onEvent: ((e: MemberViewChangedMsg) => void) | undefined
    let onSystem: ((e: { type: string; actor?: string }) => void) | undefined
    const offs: string[] = []
    const kept = keepMemberView({
      memberManager: {
        id: 'member-manager',
        on: (_type, h) => ((onEvent = h), () => void offs.push('events')),
      },
      system: { on: (l) => ((onSystem = l), () => void offs.push('system')) },
    })
    kept.view.fromReply(kept.view.asking(), { members: [member('a')], viewSeq: 0 })
    onEvent!(change(1, [member('b')]))
    expect(names(kept.view.read())).toEqual(['a:alive', 'b:alive'])
    onSystem!({ type: 'actor.started', actor: 'swim' })
    onSystem!({ type: 'mailbox.overflow', actor: 'member-manager' })
    expect(kept.view.usable).toBe(true)
    onSystem!({ type: 'actor.crashed', actor: 'member-manager' })
    expect(kept.view.usable).toBe(false)
    kept.stop()
    expect(offs).toEqual(['events', 'system'])
  })

  it('over a real member-manager: a crash and restore from an older snapshot starts the copy over from a reply', async () => {
    const clock = new SimulatedClock()
    system = await ActorSystem.start({ logLevel: 'silent', clock, supervision: { backoffMs: 100 } })
    const mm = await system.spawn(crashableMemberManager, {
      id: 'member-manager',
      placement: 'inline',
      input: { config: { nodeName: 'self' }, peers: { events: 'events' } },
    })
    const kept = keepMemberView({ memberManager: mm, system })
    const read = async () => {
      const fromCopy = kept.view.read()
      if (fromCopy !== undefined) return fromCopy.map((m) => m.name)
      const token = kept.view.asking()
      const reply = await mm.ask({ type: 'member.members' })
      kept.view.fromReply(token, reply)
      return reply.members.map((m) => m.name)
    }
    const asked = async () => (await mm.ask({ type: 'member.members' })).members.map((m) => m.name)
    for (const n of ['self', 'p']) mm.send({ type: 'member.node-joined', node: node(n) })
    expect(await read()).toEqual(['self', 'p']) // the first read asks
    await clock.advance(1000) // past the persist throttle: the next turn is persisted
    mm.send({ type: 'member.node-joined', node: node('q') })
    await clock.advance(100)
    mm.send({ type: 'member.node-joined', node: node('r') }) // within the throttle: not persisted
    await clock.advance(0)
    expect(await read()).toEqual(['self', 'p', 'q', 'r'])
    expect(kept.view.stats).toMatchObject({ asks: 1, applied: 2 })
    mm.send({ type: 'member.node-joined', node: node('crash-now') })
    await clock.advance(100) // the crash, and the restart from the snapshot with q and without r
    mm.send({ type: 'member.node-joined', node: node('s') })
    await clock.advance(0)
    // The restored instance numbers on from its snapshot: its events alone would leave r in the copy.
    expect(await read()).toEqual(await asked())
    expect(await read()).toEqual(['self', 'p', 'q', 's'])
    expect(kept.view.stats).toMatchObject({ asks: 2, resets: 2 })
    kept.stop()
  })
})
