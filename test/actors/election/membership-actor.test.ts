/**
 * The election actor with the `membership` backend, one actor at a time on a SimulatedClock, its
 * swim a recorder: which messages it sends and to whom (only Gossamer members, by UDP), what its
 * persisted record holds when a grant leaves, a restart from that record (the promise kept, the
 * restart hold), a minority leader stepping down, bad bodies counted, the nats backend ignoring
 * these inputs, and the input checked naming the field.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { assign, setup } from 'xstate'
import { ActorSystem } from '../../../src/runtime/actor-system.ts'
import { memorySnapshotStore } from '../../../src/runtime/options.ts'
import { defineActor } from '../../../src/runtime/define-actor.ts'
import { SimulatedClock } from '../../../src/runtime/simulated-clock.ts'
import { GOSSAMER_TAG, decodeGossamerMessage, encodeGossamerMessage } from '../../../src/wire/gossamer-message.ts'
import { election } from '../../../actors/election/definition.ts'
import type { ElectionContext } from '../../../actors/election/machine.ts'
import { decodeGroupMessage, encodeGroupMessage } from '../../../actors/election/group-frame.ts'
import type { ElectionMsg } from '../../../actors/election/messages.ts'
import type { ElectionChangedMsg } from '../../../actors/election/protocol.ts'
import type { SendGossamerMsg } from '../../../actors/swim/protocol.ts'
import type { Term } from '../../../actors/election/term.ts'
import type { Member, MemberStatus } from '../../../actors/member-manager/protocol.ts'
import type { ElectionBackend } from '../../../actors/election/backend.ts'
import { provideElectionBackend } from '../../../actors/election/io/election-backend.ts'

const LEASE = { leaseMs: 2_000, campaignTimeoutMs: 500, campaignJitterMs: 100, stepDownMarginMs: 10 }
const G = 'jobs'

/** The swim stand-in: records every send with the election actor's persisted record at that moment. */
const records: Array<{ send: SendGossamerMsg; persistedTerm: number | undefined }> = []
let storeRef: ReturnType<typeof memorySnapshotStore> | undefined
const recorder = defineActor({
  name: 'recorder',
  machine: () =>
    setup({ types: {} as { context: { n: number }; events: SendGossamerMsg } }).createMachine({
      context: { n: 0 },
      on: {
        'swim.send-gossamer': {
          actions: assign(({ context, event }) => {
            const rec = [...(storeRef?.records.entries() ?? [])].find(([id]) => id.startsWith('election'))?.[1] as { snapshot?: { context?: ElectionContext } } | undefined
            records.push({ send: event, persistedTerm: rec?.snapshot?.context?.membership?.groups[G]?.promise?.term })
            return { n: context.n + 1 }
          }),
        },
      },
    }),
})

let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown({ drainTimeoutMs: 1000 })
  system = undefined
  records.length = 0
})

const member = (name: string, gossamer = true, status: MemberStatus = 'alive'): Member => ({
  name,
  addr: Uint8Array.of(10, 0, 0, 9),
  port: 7946,
  tags: gossamer ? ({ [GOSSAMER_TAG]: '1' } as Record<string, string>) : { role: 'serf' },
  status,
  protocolMin: 1,
  protocolMax: 5,
  protocolCur: 2,
  delegateMin: 2,
  delegateMax: 5,
  delegateCur: 4,
})
const body = (msg: ElectionMsg) => encodeGroupMessage(G, msg)
const sent = () => records.map((r) => ({ to: r.send.to, reliable: r.send.reliable, msg: decodeGroupMessage(decodeGossamerMessage(r.send.bytes).body).msg, persistedTerm: r.persistedTerm }))

async function start(clock: SimulatedClock, id = 'election-v', store = memorySnapshotStore()) {
  storeRef = store
  system ??= await ActorSystem.start({ logLevel: 'silent', clock, compute: false, snapshotStore: store })
  if (!records.length) await system.spawn(recorder, { id: 'swim-v', placement: 'inline', input: {} }).catch(() => undefined)
  const ref = await system.spawn(election, { id, placement: 'inline', input: { self: 'v', backend: 'membership', membership: LEASE, peers: { swim: 'swim-v' } } })
  const ctx = async () => (await ref.getSnapshot()).context as ElectionContext
  return { ref, ctx, store }
}

describe('election actor, membership backend', () => {
  it('asks only the alive Gossamer members, by UDP; a serf agent (no tag) is never sent anything', async () => {
    const clock = new SimulatedClock()
    const { ref, ctx } = await start(clock)
    ref.send({ type: 'member.event', event: 'member-join', members: [member('a'), member('b'), member('serf-1', false), member('v')] })
    void ref.ask({ type: 'election.campaign', group: G }, { timeoutMs: 60_000 }).catch(() => undefined)
    await clock.advance(2_500) // the first lease's hold, then the campaign within the jitter
    const votes = sent().filter((s) => s.msg.type === 'vote')
    expect(new Set(votes.map((v) => v.to))).toEqual(new Set(['a', 'b']))
    expect(votes.every((v) => v.reliable === false)).toBe(true)
    expect((await ctx()).membership!.members).toEqual({ a: 'alive', b: 'alive' })
  })

  it('a grant leaves only once the promise it makes is in the persisted record', async () => {
    const clock = new SimulatedClock()
    const { ref } = await start(clock)
    ref.send({ type: 'member.event', event: 'member-join', members: [member('c'), member('d')] })
    await clock.advance(2_100) // past the first lease: the voter may grant
    ref.send({ type: 'gossamer.message', from: 'c', channel: 'election', body: body({ type: 'vote', term: 3 as Term, from: 'c', round: 1 }) })
    await clock.advance(10)
    const grants = sent().filter((s) => s.msg.type === 'grant')
    expect(grants).toHaveLength(1)
    expect(grants[0]!.msg).toMatchObject({ granted: true, term: 3 })
    expect(grants[0]!.persistedTerm).toBe(3)
  })

  it('a restart from the persisted record keeps the promise and holds a full lease before granting another candidate', async () => {
    const clock = new SimulatedClock()
    const first = await start(clock)
    first.ref.send({ type: 'member.event', event: 'member-join', members: [member('c'), member('d')] })
    await clock.advance(2_100)
    first.ref.send({ type: 'gossamer.message', from: 'c', channel: 'election', body: body({ type: 'vote', term: 3 as Term, from: 'c', round: 1 }) })
    await clock.advance(10)
    const record = first.store.records.get('election-v')
    await first.ref.stop()
    // The crashed actor's last record, restored into a new incarnation (as the runtime restores a crash).
    first.store.records.set('election-v2', record!)
    const second = await start(clock, 'election-v2', first.store)
    await clock.advance(10)
    const ctx = await second.ctx()
    expect(ctx.membership!.stats.restarts).toBe(1)
    expect(ctx.membership!.groups[G]!.lease.voter).toMatchObject({ term: 3, votedFor: 'c' })
    records.length = 0
    second.ref.send({ type: 'gossamer.message', from: 'd', channel: 'election', body: body({ type: 'vote', term: 4 as Term, from: 'd', round: 1 }) })
    await clock.advance(10)
    expect(sent().map((s) => s.msg)).toEqual([{ type: 'grant', term: 4, from: 'v', round: 1, granted: false, promised: 3, reason: 'restarting' }])
    await clock.advance(2_100) // the hold is over
    second.ref.send({ type: 'gossamer.message', from: 'd', channel: 'election', body: body({ type: 'vote', term: 4 as Term, from: 'd', round: 2 }) })
    await clock.advance(10)
    expect(sent().at(-1)!.msg).toMatchObject({ type: 'grant', term: 4, granted: true })
  })

  it('a leader told its side is a minority steps down at once (reason minority); it does not campaign while it is', async () => {
    const clock = new SimulatedClock()
    const { ref, ctx } = await start(clock)
    const changes: ElectionChangedMsg[] = []
    ref.on('election.changed', (e) => changes.push(e as ElectionChangedMsg))
    // Alone (expected 1): a majority of one is itself.
    const won = ref.ask({ type: 'election.campaign', group: G }, { timeoutMs: 60_000 })
    await clock.advance(2_500)
    expect(await won).toMatchObject({ ok: true, term: 1 })
    ref.send({ type: 'partition.changed', change: { type: 'partition.status', status: 'minority', previous: 'healthy', cause: 'stable', counts: { visible: 1, expected: 3, quorum: 2, failed: 2 }, at: 0 }, status: 'minority', counts: { visible: 1, expected: 3, quorum: 2, failed: 2 } })
    await clock.advance(10)
    expect(changes.at(-1)!.change).toMatchObject({ isSelf: false, leader: null, reason: 'minority' })
    await clock.advance(10_000)
    expect(changes.filter((c) => c.change.isSelf)).toHaveLength(1)
    expect((await ctx()).membership!.groups[G]!.lease.stats.skippedMinority).toBeGreaterThan(0)
  })

  it('undecodable bodies are counted and dropped; the assignment channel is not the election backend', async () => {
    const clock = new SimulatedClock()
    const { ref, ctx } = await start(clock)
    ref.send({ type: 'gossamer.message', from: 'x', channel: 'election', body: Uint8Array.of(0, 3, 1, 2) })
    ref.send({ type: 'gossamer.message', from: 'x', channel: 'election', body: encodeGossamerMessage('election', Uint8Array.of(1)) })
    ref.send({ type: 'gossamer.message', from: 'x', channel: 'assignment', body: Uint8Array.of(1, 2) })
    await clock.advance(10)
    const m = (await ctx()).membership!
    expect(m.stats).toMatchObject({ messagesIn: 2, corrupt: 2, lastDecodeError: 'ERR_ELECTION_MESSAGE_CORRUPT' })
    expect(Object.keys(m.groups)).toEqual([])
  })

  it('runs in a worker thread too: alone it leads after its first lease, and a shutdown resigns and ends its timers', async () => {
    system = await ActorSystem.start({ logLevel: 'silent', compute: false })
    const lease = { leaseMs: 300, campaignTimeoutMs: 50, campaignJitterMs: 10, stepDownMarginMs: 10 }
    const ref = await system.spawn(election, { id: 'election-w', input: { self: 'w', backend: 'membership', membership: lease } })
    expect(ref.placement).toBe('worker')
    const won = await ref.ask({ type: 'election.campaign', group: G }, { timeoutMs: 10_000 })
    expect(won).toMatchObject({ ok: true, term: 1 })
    const view = await ref.ask({ type: 'election.view', group: G })
    expect(view).toMatchObject({ status: 'running', view: { leader: 'w', term: 1, isSelf: true } })
    // Renewals keep it (alone, its own grant is the majority) well past one lease.
    await new Promise((r) => setTimeout(r, 700))
    expect((await ref.ask({ type: 'election.view', group: G })).view.isSelf).toBe(true)
  })

  it('the nats backend counts these inputs as ignored', async () => {
    const clock = new SimulatedClock()
    system = await ActorSystem.start({ logLevel: 'silent', clock, compute: false })
    const ref = await system.spawn(election, { id: 'election-n', placement: 'inline', input: { self: 'n', nats: { servers: ['nats://127.0.0.1:1'], bucket: 'b', ttlMs: 1000 } } })
    ref.send({ type: 'member.event', event: 'member-join', members: [member('a')] })
    ref.send({ type: 'gossamer.message', from: 'a', channel: 'election', body: Uint8Array.of(1) })
    await clock.advance(10)
    const ctx = (await ref.getSnapshot()).context as ElectionContext
    expect(ctx.stats.ignored).toBe(2)
    expect(ctx.membership).toBeNull()
  })

  it('refuses an input without nats for the nats backend, and a bad lease config, naming the field', async () => {
    system = await ActorSystem.start({ logLevel: 'silent', compute: false })
    await expect(system.spawn(election, { id: 'e1', placement: 'inline', input: { self: 'n' } })).rejects.toMatchObject({ code: 'ERR_ACTOR_START_FAILED', message: expect.stringContaining('election.nats') })
    await expect(system.spawn(election, { id: 'e2', placement: 'inline', input: { self: 'n', backend: 'membership', membership: { leaseMs: 5 } } })).rejects.toMatchObject({ message: expect.stringContaining('election.leaseMs') })
    await expect(system.spawn(election, { id: 'e3', placement: 'inline', input: { self: 'n', backend: 'raft' as never } })).rejects.toMatchObject({ message: expect.stringContaining('election.backend') })
  })
})

describe('election actor, nats backend restored from its persisted record', () => {
  it('opens the backend again and follows the views it had on the new backend', async () => {
    const clock = new SimulatedClock()
    const store = memorySnapshotStore()
    system = await ActorSystem.start({ logLevel: 'silent', clock, compute: false, snapshotStore: store })
    const followed: string[] = []
    const opened: string[] = []
    // A backend that only says who leads: enough to see which groups the actor follows on it.
    const fake = (self: string): ElectionBackend => ({
      kind: 'fake',
      self,
      campaign: () => new Promise(() => undefined),
      resign: async () => undefined,
      view: (group) => ({ group, leader: 'x', term: 1 as Term, isSelf: false }),
      async *changes(group) {
        followed.push(`${self}:${group}`)
        yield { group, leader: 'x', term: 1 as Term, isSelf: false, reason: 'observed', at: 0 }
      },
      fence: async () => undefined,
      close: async () => undefined,
    })
    const provide = provideElectionBackend(async (self) => {
      opened.push(self)
      return fake(self)
    })
    const input = { self: 'n', nats: { servers: ['nats://127.0.0.1:1'], bucket: 'b', ttlMs: 1000 } }
    const first = await system.spawn(election, { id: 'election-a', placement: 'inline', input, provide })
    await clock.advance(10)
    await first.ask({ type: 'election.view', group: G })
    await clock.advance(10)
    expect(followed).toEqual(['n:jobs'])
    // A new incarnation from the last record (as a thread restart gets it): a new backend is opened.
    const record = store.records.get('election-a')!
    await first.stop()
    store.records.set('election-b', record)
    const second = await system.spawn(election, { id: 'election-b', placement: 'inline', input, provide })
    await clock.advance(10)
    const view = await second.ask({ type: 'election.view', group: G })
    await clock.advance(10)
    expect(opened).toEqual(['n', 'n'])
    expect(view.status).toBe('running')
    expect(followed).toEqual(['n:jobs', 'n:jobs'])
  })
})
