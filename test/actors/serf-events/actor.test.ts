/**
 * serf-events on the real runtime (inline on a simulated clock, and once in a worker thread), with
 * the real gossip-queue and member-manager and a fake swim that keeps what it is told to send:
 * the API asks and their coded refusals, emitted events, the gossip queues, swim's user messages,
 * the push/pull slice member-manager carries, and the stats.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { assign, setup } from 'xstate'
import { ActorSystem, SimulatedClock, defineActor } from '../../../src/runtime/index.ts'
import type { Placement } from '../../../src/runtime/index.ts'
import { gossipQueue } from '../../../actors/gossip-queue/definition.ts'
import { memberManager } from '../../../actors/member-manager/definition.ts'
import { serfEvents } from '../../../actors/serf-events/definition.ts'
import type { SerfEventsEmitted, SwimSendUserMsg } from '../../../actors/serf-events/protocol.ts'
import { decodeSerfMessage, encodeSerfMessage, QueryFlag } from '../../../src/wire/serf.ts'
import type { SerfPushPull } from '../../../src/wire/serf.ts'
import { node } from '../member-manager/fixtures.ts'

let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown({ drainTimeoutMs: 2000 })
  system = undefined
})

/** A fake swim: keeps every `swim.send-user`, and takes member-manager's tells without a word. */
const fakeSwim = defineActor({
  name: 'fake-swim',
  machine: () =>
    setup({ types: {} as { context: { sent: SwimSendUserMsg[] }; events: SwimSendUserMsg | { type: 'member.local-meta-changed' } } }).createMachine({
      context: { sent: [] },
      on: { 'swim.send-user': { actions: assign({ sent: ({ context, event }) => [...context.sent, event as SwimSendUserMsg] }) } },
    }),
})

async function until(check: () => boolean | Promise<boolean>, clock?: SimulatedClock): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return
    if (clock !== undefined) await clock.advance(10)
    else await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error('condition not met in time')
}

async function start(placement: Placement) {
  const clock = placement === 'inline' ? new SimulatedClock() : undefined
  system = await ActorSystem.start({ logLevel: 'silent', seed: 5, ...(clock !== undefined ? { clock } : {}) })
  const gq = await system.spawn(gossipQueue, { id: 'gossip-queue', placement })
  const sw = await system.spawn(fakeSwim, { id: 'swim', placement: 'inline' })
  const mm = await system.spawn(memberManager, {
    id: 'member-manager',
    placement,
    input: { config: { nodeName: 'self' }, peers: { swim: 'swim', gossipQueue: 'gossip-queue', serfEvents: 'serf-events' } },
    dependsOn: ['gossip-queue', 'swim'],
  })
  // Members that joined before serf-events started: it learns them from member-manager's table.
  mm.send({ type: 'member.node-joined', node: node('self', {}, 7946) })
  const se = await system.spawn(serfEvents, { id: 'serf-events', placement, input: { nodeName: 'self' }, dependsOn: ['gossip-queue', 'member-manager'] })
  const got: SerfEventsEmitted[] = []
  se.on('*', (e) => void got.push(e))
  await system.sync()
  mm.send({ type: 'member.node-joined', node: node('peer', {}, 7947) })
  await until(async () => (await se.ask({ type: 'serf.stats' })).members === 2, clock)
  return { clock, gq, sw, mm, se, got }
}

describe.each(['inline', 'worker'] as Placement[])('serf-events on the runtime (%s)', (placement) => {
  it('sends a user event: delivered, queued for gossip, carried in member-manager push/pull; bad ones refused with a code', async () => {
    const { gq, mm, se, got, clock } = await start(placement)
    const reply = await se.ask({ type: 'serf.user-event', name: 'deploy', payload: Uint8Array.of(1), coalesce: false })
    expect(reply).toEqual({ type: 'serf.user-event-reply', ltime: 1n })
    await expect(se.ask({ type: 'serf.user-event', name: 'x', payload: new Uint8Array(600), coalesce: false })).rejects.toMatchObject({ code: 'ERR_EVENT_TOO_LARGE' })
    await until(() => got.some((e) => e.type === 'serf.user-event'), clock)
    expect(got.filter((e) => e.type === 'serf.user-event')).toEqual([{ type: 'serf.user-event', ltime: 1n, name: 'deploy', payload: Uint8Array.of(1), coalesce: false }])
    await until(async () => (await gq.ask({ type: 'gossip.stats' })).queues['serf-event'].depth === 1, clock)
    let pp: SerfPushPull | undefined
    await until(async () => {
      pp = decodeSerfMessage((await mm.ask({ type: 'member.local-state', join: false })).bytes) as SerfPushPull
      return pp.EventLTime === 2n
    }, clock)
    expect(pp!.Events![1]).toEqual({ LTime: 1n, Events: [{ Name: 'deploy', Payload: Uint8Array.of(1) }] })
  })

  it("answers a peer's query routed through member-manager: ack through swim, the application's response once", async () => {
    const { sw, mm, se, got, clock } = await start(placement)
    const q = encodeSerfMessage({ type: 'query', LTime: 7n, ID: 3, Addr: Uint8Array.of(10, 0, 0, 2), Port: 7946, SourceNode: 'peer', Filters: null, Flags: QueryFlag.ack, RelayFactor: 0, Timeout: 5_000_000_000n, Name: 'who', Payload: null })
    mm.send({ type: 'member.user-message', bytes: q })
    await until(() => got.some((e) => e.type === 'serf.query'), clock)
    const asked = got.find((e) => e.type === 'serf.query')!
    expect(asked).toMatchObject({ type: 'serf.query', ltime: 7n, id: 3, name: 'who', sourceNode: 'peer', key: '7:3' })
    await expect(se.ask({ type: 'serf.respond', key: '7:3', payload: Uint8Array.of(42) })).resolves.toEqual({ type: 'serf.respond-reply' })
    await expect(se.ask({ type: 'serf.respond', key: '7:3', payload: null })).rejects.toMatchObject({ code: 'ERR_QUERY_ALREADY_RESPONDED' })
    const sent = async () => (await sw.getSnapshot()).context.sent
    await until(async () => (await sent()).length === 2, clock)
    const [ack, resp] = (await sent()).map((s) => ({ to: `${s.addr.join('.')}:${s.port}`, msg: decodeSerfMessage(s.bytes) }))
    expect(ack).toMatchObject({ to: '10.0.0.2:7946', msg: { type: 'queryResponse', From: 'self', Flags: QueryFlag.ack } })
    expect(resp).toMatchObject({ to: '10.0.0.2:7946', msg: { type: 'queryResponse', From: 'self', Flags: 0, Payload: Uint8Array.of(42) } })
  })

  it('originates a query: started reply, results as emitted events, closed exactly once at the deadline', async () => {
    const { se, got, clock } = await start(placement)
    const started = await se.ask({ type: 'serf.query', name: 'q', requestAck: true, timeoutMs: placement === 'inline' ? 2000 : 300 })
    expect(started).toMatchObject({ type: 'serf.query-started', ltime: 1n })
    await expect(se.ask({ type: 'serf.query', name: 'q', filterTags: { role: '[' } })).rejects.toMatchObject({ code: 'ERR_QUERY_BAD_FILTER' })
    const resp = encodeSerfMessage({ type: 'queryResponse', LTime: 1n, ID: started.id, From: 'peer', Flags: 0, Payload: Uint8Array.of(8) })
    se.send({ type: 'serf.message', bytes: resp, from: '10.0.0.2:7946' })
    se.send({ type: 'serf.message', bytes: resp, from: '10.0.0.3:7946' }) // a relayed copy
    await until(() => got.some((e) => e.type === 'serf.query-closed'), clock)
    if (clock !== undefined) await clock.advance(5000)
    const mine = got.flatMap((e) => {
      if (e.type === 'serf.query-result' && e.id === started.id) return [`${e.kind}:${e.from}`]
      if (e.type === 'serf.query-closed' && e.id === started.id) return [`closed:${e.reason}:${e.acks}/${e.responses}`]
      return []
    })
    expect(mine).toEqual(['ack:self', 'response:peer', 'closed:deadline:1/1'])
    const stats = await se.ask({ type: 'serf.stats' })
    expect(stats.counters).toMatchObject({ originated: { duplicateResponses: 1, closedAtDeadline: 1 } })
  })

  it('refuses malformed messages at the boundary and counts what the core cannot decode', async () => {
    const { se } = await start(placement)
    await expect(se.ask({ type: 'serf.respond', key: 5 as unknown as string })).rejects.toMatchObject({ code: 'ERR_ACTOR_INVALID_MESSAGE' })
    se.send({ type: 'serf.message', bytes: Uint8Array.of(4, 0xc1), from: '' })
    const stats = await se.ask({ type: 'serf.stats' })
    expect(stats.counters).toMatchObject({ actor: { malformedMessages: 1 } })
  })
})

describe('the boundaries: serf-events and member-manager definitions refuse what would not reach the core intact', () => {
  const member = { name: 'a', addr: Uint8Array.of(10, 0, 0, 1), port: 7946, tags: {}, status: 'alive', protocolMin: 1, protocolMax: 5, protocolCur: 2, delegateMin: 2, delegateMax: 5, delegateCur: 4 }
  const slot = { LTime: 3n, Events: [{ Name: 'x', Payload: null }] }
  it.each([
    ['a member event', { type: 'member.event', event: 'member-join', members: [member] }, undefined],
    ['an unknown member event kind', { type: 'member.event', event: 'member-vanished', members: [member] }, 'event must be one of member-join, member-leave, member-failed, member-update, member-reap'],
    ['a member with a bad address', { type: 'member.event', event: 'member-join', members: [{ ...member, addr: Uint8Array.of(1) }] }, 'members[0].addr must be 4 or 16 IP bytes'],
    ['a member with a bad version', { type: 'serf.members', members: [{ ...member, protocolMax: 300 }] }, 'members[0].protocolMax must be an integer in [0, 255]'],
    ['a push/pull slice', { type: 'serf.merge-remote-events', eventLTime: 4n, events: [slot, null], queryLTime: 1n, join: false }, undefined],
    ['a nil ring', { type: 'serf.merge-remote-events', eventLTime: 4n, events: null, queryLTime: 1n, join: true }, undefined],
    ['a slice with a number clock', { type: 'serf.merge-remote-events', eventLTime: 4, events: null, queryLTime: 1n, join: true }, 'eventLTime and queryLTime must be u64 bigints'],
    ['a slice with a bad event', { type: 'serf.merge-remote-events', eventLTime: 4n, events: [{ LTime: 3n, Events: [{ Name: 1, Payload: null }] }], queryLTime: 1n, join: true }, 'events[0].Events must hold { Name: string, Payload: Uint8Array | null }'],
    ['a message without bytes', { type: 'serf.message', bytes: 'x', from: '' }, 'bytes must be a Uint8Array'],
    ['an abort without a bigint ltime', { type: 'serf.query-abort', ltime: 1, id: 2 }, 'ltime must be a u64 bigint and id an integer'],
  ])('serf-events: %s', (_what, msg, reason) => {
    expect(serfEvents.validate?.(msg as never)).toBe(reason)
  })
  it.each([
    ['a slice', { type: 'member.event-state', eventLTime: 2n, events: [slot, null], queryLTime: 1n }, undefined],
    ['a slot whose event has no name', { type: 'member.event-state', eventLTime: 2n, events: [{ LTime: 1n, Events: [{ Payload: null }] }], queryLTime: 1n }, 'events must hold null or { LTime: bigint, Events: null | { Name: string, Payload: Uint8Array | null }[] } slots'],
    ['a negative clock', { type: 'member.event-state', eventLTime: -1n, events: [], queryLTime: 1n }, 'eventLTime and queryLTime must be non-negative bigints'],
  ])('member-manager: %s', (_what, msg, reason) => {
    expect(memberManager.validate?.(msg as never)).toBe(reason)
  })
})

describe('serf-events timers on the actor clock (inline, simulated)', () => {
  it("coalesces member events with the agent's settings: a re-armed quiescent timer replaces the old one, one flush", async () => {
    const clock = new SimulatedClock()
    system = await ActorSystem.start({ logLevel: 'silent', seed: 5, clock })
    const se = await system.spawn(serfEvents, {
      id: 'serf-events',
      placement: 'inline',
      input: { nodeName: 'self', config: { coalescePeriodMs: 3000, quiescentPeriodMs: 1000 }, peers: { memberManager: 'nobody' } },
    })
    const got: SerfEventsEmitted[] = []
    se.on('serf.member-event', (e) => void got.push(e))
    const m = (name: string, i: number) => ({ name, addr: Uint8Array.of(10, 0, 0, i), port: 7946, tags: {}, status: 'alive' as const, protocolMin: 1, protocolMax: 5, protocolCur: 2, delegateMin: 2, delegateMax: 5, delegateCur: 4 })
    se.send({ type: 'member.event', event: 'member-join', members: [m('a', 1)] })
    await clock.advance(800)
    se.send({ type: 'member.event', event: 'member-join', members: [m('b', 2)] })
    await clock.advance(900) // 1.7 s: the first quiescent deadline (1.0 s) was replaced by 1.8 s
    expect(got).toEqual([])
    await clock.advance(200)
    expect(got.map((e) => e.type === 'serf.member-event' && `${e.event}:${e.members.map((x) => x.name).join(',')}`)).toEqual(['member-join:a,b'])
    await clock.advance(5000)
    expect(got).toHaveLength(1)
  })
})
