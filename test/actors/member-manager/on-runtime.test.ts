/**
 * member-manager and gossip-queue on the real runtime, in both placements: an intent received by
 * member-manager is rebroadcast into gossip-queue, a fill hands it out with the 0x08 prefix, and the
 * Serf cluster size gossip-queue uses is the member table's count. Name conflicts reach the event
 * stream (a collector actor) and bad conflict payloads are refused with the coded invalid-message error.
 * A supervised restart from the persisted snapshot re-arms a prune that was scheduled before the crash.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { assign, setup } from 'xstate'
import { ActorSystem, SimulatedClock, defineActor } from '../../../src/runtime/index.ts'
import type { Placement, SystemEvent } from '../../../src/runtime/index.ts'
import type { MemberEventMsg, NameConflictEventMsg } from '../../../actors/member-manager/protocol.ts'
import { gossipQueue } from '../../../actors/gossip-queue/definition.ts'
import { memberManager } from '../../../actors/member-manager/definition.ts'
import { encodeSerfMessage, decodeSerfMessage } from '../../../src/wire/index.ts'
import { node } from './fixtures.ts'
import { crashableMemberManager } from './support/crashable.ts'

let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown({ drainTimeoutMs: 2000 })
  system = undefined
})

async function until(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** An inline actor that keeps every public member event it is sent (the event stream's receiver). */
const collector = defineActor({
  name: 'event-collector',
  machine: () =>
    setup({ types: {} as { context: { got: Array<MemberEventMsg | NameConflictEventMsg> }; events: MemberEventMsg | NameConflictEventMsg } }).createMachine({
      context: { got: [] },
      on: {
        'member.event': { actions: assign({ got: ({ context, event }) => [...context.got, event] }) },
        'member.conflict': { actions: assign({ got: ({ context, event }) => [...context.got, event] }) },
      },
    }),
})

describe.each(['inline', 'worker'] as Placement[])('member-manager + gossip-queue on the runtime (%s)', (placement) => {
  it('fails the spawn with the config error instead of restarting an actor that refuses its input', async () => {
    system = await ActorSystem.start({ logLevel: 'silent' })
    const events: string[] = []
    system.on((e) => events.push(e.type))
    const spawn = system.spawn(memberManager, { id: 'member-manager', placement, input: { config: { nodeName: 'x', tags: { big: 'x'.repeat(600) } } } })
    await expect(spawn).rejects.toMatchObject({ code: 'ERR_ACTOR_START_FAILED', message: expect.stringContaining('serf.tags') })
    // No restart loop and no escalation: the error went to the caller, and the id is free again.
    expect(events.filter((t) => t === 'actor.crashed' || t === 'actor.escalated' || t === 'system.error')).toEqual([])
    const mm = await system.spawn(memberManager, { id: 'member-manager', placement, input: { config: { nodeName: 'x' } } })
    expect((await mm.ask({ type: 'member.members' }, { timeoutMs: 5_000 })).type).toBe('member.members-reply')
  })

  it('rebroadcasts a join intent through gossip-queue and agrees on the member count', async () => {
    system = await ActorSystem.start({ logLevel: 'silent', ...(placement === 'inline' ? { clock: new SimulatedClock() } : {}) })
    const gq = await system.spawn(gossipQueue, { id: 'gossip-queue', placement })
    const mm = await system.spawn(memberManager, {
      id: 'member-manager',
      placement,
      input: { config: { nodeName: 'self' }, peers: { swim: 'swim', gossipQueue: 'gossip-queue' } },
      dependsOn: ['gossip-queue'],
    })
    for (const n of ['self', 'a', 'b']) mm.send({ type: 'member.node-joined', node: node(n) })
    mm.send({ type: 'member.user-message', bytes: encodeSerfMessage({ type: 'join', Node: 'a', LTime: 9n }) })

    const members = await mm.ask({ type: 'member.members' }, { timeoutMs: 5000 })
    expect(members.counts).toEqual({ alive: 3, leaving: 0, left: 0, failed: 0, total: 3 })
    // Tells between actors may still be in flight: wait until gossip-queue has seen them.
    await until(async () => (await gq.ask({ type: 'gossip.stats' })).queues['serf-intent'].depth === 1)
    const stats = await gq.ask({ type: 'gossip.stats' })
    expect(stats.queues['serf-intent'].numNodes).toBe(members.counts.total)
    const filled = await gq.ask({ type: 'gossip.fill', overheadBytes: 2, limitBytes: 1398 }, { timeoutMs: 5000 })
    expect(filled.parts).toHaveLength(1)
    expect(filled.parts[0]![0]).toBe(8)
    expect(decodeSerfMessage(filled.parts[0]!.subarray(1))).toEqual({ type: 'join', Node: 'a', LTime: 9n })
  })

  it('sends name conflicts to the event stream and refuses malformed ones with ERR_ACTOR_INVALID_MESSAGE', async () => {
    system = await ActorSystem.start({ logLevel: 'silent', ...(placement === 'inline' ? { clock: new SimulatedClock() } : {}) })
    const systemEvents: SystemEvent[] = []
    system.on((e) => systemEvents.push(e))
    const events = await system.spawn(collector, { id: 'events', placement: 'inline' })
    const mm = await system.spawn(memberManager, {
      id: 'member-manager',
      placement,
      input: { config: { nodeName: 'self' }, peers: { swim: 'swim', gossipQueue: 'gossip-queue', events: 'events' } },
      dependsOn: ['events'],
    })
    for (const n of ['self', 'web']) mm.send({ type: 'member.node-joined', node: node(n) })
    const claimant = { addr: Uint8Array.of(10, 0, 0, 5), port: 7946 }
    mm.send({ type: 'member.name-conflict', existing: node('web'), other: claimant })
    mm.send({ type: 'member.name-conflict', existing: node('self'), other: claimant })
    // Malformed, as a peer with a stale or broken protocol would send them.
    mm.send({ type: 'member.name-conflict', existing: node('web'), other: { addr: Uint8Array.of(10, 0, 5), port: 7946 } })
    mm.send({ type: 'member.name-conflict', existing: { ...node('web'), incarnation: -1 }, other: claimant })
    mm.send({ type: 'member.name-conflict', existing: node('web') } as never)

    const stats = await mm.ask({ type: 'member.stats' }, { timeoutMs: 5000 })
    expect(stats.nameConflicts).toEqual({ remote: 1, local: 1 })
    expect((await mm.stats()).invalid).toBe(3)
    const invalid = systemEvents.flatMap((e) => (e.type === 'message.invalid' && e.actor === 'member-manager' ? [e.error] : []))
    expect(invalid.map((e) => e.code)).toEqual(['ERR_ACTOR_INVALID_MESSAGE', 'ERR_ACTOR_INVALID_MESSAGE', 'ERR_ACTOR_INVALID_MESSAGE'])
    expect(invalid.map((e) => e.message)).toEqual([
      expect.stringContaining('other.addr must be 4 or 16 IP bytes'),
      expect.stringContaining('existing.incarnation must be a non-negative integer'),
      expect.stringContaining('other must be an object'),
    ])

    await until(async () => (await events.getSnapshot()).context.got.filter((e) => e.type === 'member.conflict').length === 2)
    const conflicts = (await events.getSnapshot()).context.got.filter((e): e is NameConflictEventMsg => e.type === 'member.conflict')
    expect(conflicts.map((c) => [c.name, c.local, c.warning.code])).toEqual([
      ['web', false, 'ERR_MEMBER_NAME_CONFLICT'],
      ['self', true, 'ERR_MEMBER_NAME_CONFLICT_VOTE'],
    ])
    // Addresses arrive intact across the thread boundary.
    expect(conflicts[0]!.other.addr).toEqual(claimant.addr)
    expect(conflicts[0]!.existing).toEqual({ addr: Uint8Array.of(127, 0, 0, 1), port: 7946, incarnation: 1 })
    // Membership untouched by conflicts.
    expect((await mm.ask({ type: 'member.members' })).counts).toEqual({ alive: 2, leaving: 0, left: 0, failed: 0, total: 2 })
  })

  it('rejects asks with a malformed payload with ERR_ACTOR_INVALID_MESSAGE instead of crashing, and keeps serving', async () => {
    system = await ActorSystem.start({ logLevel: 'silent', ...(placement === 'inline' ? { clock: new SimulatedClock() } : {}) })
    const mm = await system.spawn(memberManager, { id: 'member-manager', placement, input: { config: { nodeName: 'self' } } })
    mm.send({ type: 'member.node-joined', node: node('self') })
    const code = (p: Promise<unknown>) => p.then(() => 'resolved', (e: { code?: string }) => e.code)
    expect(await code(mm.ask({ type: 'member.members', statuses: 7 as never }))).toBe('ERR_ACTOR_INVALID_MESSAGE')
    expect(await code(mm.ask({ type: 'member.members', statuses: ['alive', 'gone' as never] }))).toBe('ERR_ACTOR_INVALID_MESSAGE')
    expect(await code(mm.ask({ type: 'member.local-state', join: 'yes' as never }))).toBe('ERR_ACTOR_INVALID_MESSAGE')
    mm.send({ type: 'member.join-completed', numJoined: 1, reconnect: 'yes' as never }) // a tell: refused and counted
    expect((await mm.ask({ type: 'member.members', statuses: ['alive'] })).members.map((m) => m.name)).toEqual(['self'])
    const stats = await mm.stats()
    expect([stats.invalid, stats.restarts]).toEqual([4, 0])
    // A well-formed reconnect completion is accepted (and broadcasts no join intent).
    mm.send({ type: 'member.join-completed', numJoined: 1, reconnect: true })
    expect((await mm.ask({ type: 'member.stats' })).joinsWithoutIntent).toEqual({ reconnect: 1, notAlive: 0 })
  })
})

describe('member-manager under supervision (inline, simulated clock)', () => {
  it('re-arms a prune scheduled before a crash when the supervisor restores it from its persisted snapshot', async () => {
    const clock = new SimulatedClock()
    system = await ActorSystem.start({ logLevel: 'silent', clock, supervision: { backoffMs: 100 } })
    const systemEvents: SystemEvent[] = []
    system.on((e) => systemEvents.push(e))
    const events = await system.spawn(collector, { id: 'events', placement: 'inline' })
    const mm = await system.spawn(crashableMemberManager, {
      id: 'member-manager',
      placement: 'inline',
      input: { config: { nodeName: 'self', broadcastTimeoutMs: 5000, leavePropagateDelayMs: 1000 }, peers: { events: 'events' } },
      dependsOn: ['events'],
    })
    for (const n of ['self', 'p']) mm.send({ type: 'member.node-joined', node: node(n) })
    await clock.advance(1000) // past the persist throttle (1 s), so the next turn is persisted
    // A force-leave with prune for p: p is leaving, erased after BroadcastTimeout + LeavePropagateDelay (at 7 s).
    mm.send({ type: 'member.user-message', bytes: encodeSerfMessage({ type: 'leave', Node: 'p', LTime: 3n, Prune: true }) })
    await clock.advance(500)
    mm.send({ type: 'member.node-joined', node: node('crash-now') })
    await clock.advance(0)
    expect(systemEvents.filter((e) => e.type === 'actor.crashed').map((e) => e.actor)).toEqual(['member-manager'])
    await clock.advance(100) // the restart backoff
    expect(systemEvents).toContainEqual({ type: 'actor.started', actor: 'member-manager', placement: 'inline', restarts: 1, restored: true })

    const names = async () => (await mm.ask({ type: 'member.members' })).members.map((m) => `${m.name}:${m.status}`).sort()
    expect(await names()).toEqual(['p:leaving', 'self:alive']) // the persisted state, without crash-now
    await clock.advance(7000 - 1 - clock.now())
    expect(await names()).toEqual(['p:leaving', 'self:alive'])
    await clock.advance(1) // 7 s: the prune came due in the restored instance
    expect(await names()).toEqual(['self:alive'])
    const got = (await events.getSnapshot()).context.got.filter((e): e is MemberEventMsg => e.type === 'member.event')
    expect(got.map((e) => `${e.event}:${e.members[0]!.name}`)).toEqual(['member-join:self', 'member-join:p', 'member-reap:p'])
  })

  it('persists our own tags at once: set-tags within the persist throttle survives a crash right after it', async () => {
    const clock = new SimulatedClock()
    system = await ActorSystem.start({ logLevel: 'silent', clock, supervision: { backoffMs: 100 } })
    await system.spawn(collector, { id: 'events', placement: 'inline' })
    const mm = await system.spawn(crashableMemberManager, {
      id: 'member-manager',
      placement: 'inline',
      input: { config: { nodeName: 'self', tags: { role: 'old' } }, peers: { events: 'events' } },
      dependsOn: ['events'],
    })
    mm.send({ type: 'member.node-joined', node: node('self') })
    await clock.advance(1000) // past the throttle: the next turn is persisted
    mm.send({ type: 'member.node-joined', node: node('p') })
    await clock.advance(100)
    // Within the throttle window: p's join (above) persisted, these two turns would wait for the window.
    expect(await mm.ask({ type: 'member.set-tags', tags: { role: 'new' } })).toEqual({ type: 'member.ack' })
    mm.send({ type: 'member.node-joined', node: node('q') })
    mm.send({ type: 'member.node-joined', node: node('crash-now') })
    await clock.advance(100) // the crash, and the restart from the last persisted record
    expect((await mm.stats()).restarts).toBe(1)
    const members = (await mm.ask({ type: 'member.members' })).members
    // q's join waited for the window and is gone with the crash (swim re-sends what it knows);
    // our own tags are what a restart cannot learn again: persisted with the set-tags turn.
    expect(members.map((m) => m.name)).toEqual(['self', 'p'])
    expect(members.find((m) => m.name === 'self')?.tags).toEqual({ role: 'new' })
  })
})
