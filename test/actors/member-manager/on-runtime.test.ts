/**
 * member-manager and gossip-queue on the real runtime, in both placements: an intent received by
 * member-manager is rebroadcast into gossip-queue, a fill hands it out with the 0x08 prefix, and the
 * Serf cluster size gossip-queue uses is the member table's count. Name conflicts reach the event
 * stream (a collector actor) and bad conflict payloads are refused with the coded invalid-message error.
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
      ['self', true, 'ERR_MEMBER_NAME_CONFLICT_UNRESOLVED'],
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
    expect((await mm.ask({ type: 'member.members', statuses: ['alive'] })).members.map((m) => m.name)).toEqual(['self'])
    const stats = await mm.stats()
    expect([stats.invalid, stats.restarts]).toEqual([3, 0])
  })
})
