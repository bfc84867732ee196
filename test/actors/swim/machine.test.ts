import { describe, expect, it } from 'vitest'
import { MAX_STREAM_MESSAGE_BYTES } from '../../../actors/swim/stream-read.ts'
import { createActor } from 'xstate'
import type { Actor } from 'xstate'
import { createSwimMachine, MAX_HELD } from '../../../actors/swim/machine.ts'
import { SWIM_TRANSPORT_SLOT, swimTransportOf } from '../../../actors/swim/transport-slot.ts'
import type { SwimInput, SwimMachine, SwimTransport } from '../../../actors/swim/machine.ts'
import type { StreamEventMsg } from '../../../actors/swim/protocol.ts'
import { swimIo } from '../../../actors/swim/io/swim-io.ts'
import type { SwimTransportOpener } from '../../../actors/swim/io/swim-io.ts'
import { swim as swimDefinition } from '../../../actors/swim/definition.ts'
import type { GossipQueueInbound, LeaseMsg, LeaseSentMsg } from '../../../actors/gossip-queue/protocol.ts'
import { decodeDatagram } from '../../../actors/swim/packets.ts'
import { encodeMessage } from '../../../src/wire/memberlist.ts'
import { LeaseProducer } from './support/lease-producer.ts'
import type { LocalMetaReply, LocalStateReply, MemberManagerInbound } from '../../../actors/member-manager/protocol.ts'
import { MemoryNetwork } from '../../../src/transport/memory-network.ts'
import type { MemoryTransport } from '../../../src/transport/memory-network.ts'
import { TransportError } from '../../../src/transport/transport.ts'
import { ActorSystem } from '../../../src/runtime/actor-system.ts'
import { SimulatedClock } from '../../../src/runtime/simulated-clock.ts'
import { createSeededRandom } from '../../../src/types/random.ts'
import { createResourceSlots } from '../../../src/runtime/resource-slots.ts'
import { crashingOpener } from './support/crashing-opener.ts'
import type { ActorEnv, EnvAskOptions, LogPort, Message, ReplyOf, SendStatus } from '../../../src/types/actor-env.ts'
import type { ActorId } from '../../../src/types/ids.ts'

interface Harness {
  clock: SimulatedClock
  net: MemoryNetwork
  nodes: Map<string, TestNode>
  addNode(name: string, i: number, options?: NodeOptions): TestNode
}

interface NodeOptions {
  join?: string[]
  open?: SwimTransportOpener
  input?: Partial<SwimInput>
  /** A hand-built env without `resources` (no slot to hold the transport). */
  noResources?: boolean
  /** gossip-queue takes every message and answers none (no lease ever comes). */
  gossipSilent?: boolean
  /** member-manager's answer to `member.local-meta`: its Meta (default empty), or no member-manager. */
  localMeta?: Uint8Array | 'unknown'
}

interface TestNode {
  actor: Actor<SwimMachine>
  env: ActorEnv
  queues: LeaseProducer
  member: MemberManagerInbound[]
  address: string
  logged: { level: string; obj: object; msg?: string }[]
  asks: { fill: number; localState: number; localMeta: number }
  /** Every datagram this node's transport sent (bytes as on the wire). */
  sent: Uint8Array[]
  /** Replies this actor gave to asks (env.reply). */
  replies: Array<{ to: unknown; value: unknown }>
  /** Messages this actor sent itself (timers, packets, streams' news), in order. */
  selfSent: Message[]
}

/**
 * One node: the swim machine on a shared SimulatedClock with a hand-built env. Its gossip-queue is
 * a LeaseProducer pushing leases (delivered after the current step, as the runtime does), and any
 * `gossip.fill` ask is counted and never answered; member-manager is recorded and answers
 * `member.local-state` with empty state. The transport is a MemoryNetwork endpoint, opened by
 * the same `bind` actor the runtime placements use (swimIo).
 */
function harness(seed = 1): Harness {
  const clock = new SimulatedClock()
  const random = createSeededRandom(seed)
  const net = new MemoryNetwork({ clock, random: random.fork('net'), defaultLink: { latencyMs: 1 } })
  const nodes = new Map<string, TestNode>()

  const addNode: Harness['addNode'] = (name, i, options = {}) => {
    const address = `10.0.0.${i}:7946`
    const queues = new LeaseProducer({ retransmitMult: 4, deliver: (to, msg) => void (to === env.id && queueMicrotask(() => actor?.send(msg))), answers: options.gossipSilent !== true })
    const sent: Uint8Array[] = []
    const member: MemberManagerInbound[] = []
    const logged: TestNode['logged'] = []
    const asks = { fill: 0, localState: 0, localMeta: 0 }
    const replies: TestNode['replies'] = []
    const selfSent: Message[] = []
    const log: LogPort = {
      trace: () => {},
      debug: () => {},
      info: () => {},
      warn: (obj, msg) => void logged.push({ level: 'warn', obj, ...(msg === undefined ? {} : { msg }) }),
      error: (obj, msg) => void logged.push({ level: 'error', obj, ...(msg === undefined ? {} : { msg }) }),
      isLevelEnabled: () => false,
    }
    let actor: Actor<SwimMachine> | undefined
    const env: ActorEnv = {
      id: `swim-${name}` as ActorId,
      node: name,
      clock,
      random: random.fork(name),
      log,
      compute: { run: () => Promise.reject(new Error('no compute pool')) },
      // The placement holds the transport here (a restart in place keeps it; stopped releases it).
      ...(options.noResources === true ? {} : { resources: createResourceSlots() }),
      send<M extends Message>(to: string, msg: M): SendStatus {
        if (to === env.id) {
          // As the runtime does: a send to oneself is delivered after the current step.
          selfSent.push(msg)
          queueMicrotask(() => actor?.send(msg as never))
        } else if (to === 'gossip-queue') {
          queues.receive(msg as unknown as GossipQueueInbound)
        } else if (to === 'member-manager') {
          const m = msg as unknown as MemberManagerInbound
          // A batch of node changes (one turn's) is recorded as the single notices it stands for.
          if (m.type === 'member.nodes-changed') for (const c of m.changes) member.push({ type: `member.node-${c.kind as 'joined' | 'updated' | 'left'}`, node: c.node })
          else member.push(m)
        } else return 'unknown'
        return 'ok'
      },
      ask<M extends Message>(to: string, msg: M, _options: EnvAskOptions): Promise<ReplyOf<M>> {
        if (to === 'gossip-queue') {
          // swim asks gossip-queue nothing on its packet path; an ask would wait forever here.
          asks.fill++
          return new Promise<ReplyOf<M>>(() => {})
        }
        if (to === 'member-manager' && msg.type === 'member.local-state') {
          asks.localState++
          const reply: LocalStateReply = { type: 'member.local-state-reply', bytes: new Uint8Array(0) }
          return Promise.resolve(reply as ReplyOf<M>)
        }
        if (to === 'member-manager' && msg.type === 'member.local-meta') {
          asks.localMeta++
          const meta = options.localMeta ?? new Uint8Array(0)
          if (meta === 'unknown') return Promise.reject(Object.assign(new Error('no actor member-manager'), { code: 'ERR_ACTOR_UNKNOWN' }))
          const reply: LocalMetaReply = { type: 'member.local-meta-reply', meta }
          return Promise.resolve(reply as ReplyOf<M>)
        }
        return Promise.reject(Object.assign(new Error(`no actor ${to}`), { code: 'ERR_UNKNOWN_ACTOR' }))
      },
      reply: (to, value) => void replies.push({ to, value }),
      fail: () => {},
    }
    const recording = (t: MemoryTransport): MemoryTransport => {
      const send = t.sendPacket.bind(t)
      t.sendPacket = (to, bytes) => {
        sent.push(bytes)
        return send(to, bytes)
      }
      return t
    }
    const open = options.open ?? ((at: string) => recording(net.createTransport(at)))
    const machine = createSwimMachine(env).provide(swimIo(open).provide(env))
    const input: SwimInput = { name, addr: Uint8Array.of(10, 0, 0, i), port: 7946, preset: 'lan', join: options.join ?? [], ...options.input }
    actor = createActor(machine, { clock, input })
    actor.start()
    const node: TestNode = { actor, env, queues, member, address, logged, asks, sent, replies, selfSent }
    nodes.set(name, node)
    return node
  }
  return { clock, net, nodes, addNode }
}

/** An opener the test releases (or fails) by hand, to hold swim in `binding`. */
function gatedOpener(net: MemoryNetwork) {
  let release!: () => void
  let fail!: (err: unknown) => void
  let opened: MemoryTransport | undefined
  const gate = new Promise<void>((resolve, reject) => {
    release = resolve
    fail = reject
  })
  const open: SwimTransportOpener = async (at) => {
    await gate
    opened = net.createTransport(at)
    return opened
  }
  return { open, release, fail, opened: () => opened }
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
}

describe('swim machine', () => {
  it('joins, detects a crash, reports a leave as left, and stops every timer', async () => {
    const h = harness()
    const n1 = h.addNode('n1', 1)
    h.addNode('n2', 2, { join: [n1.address] })
    h.addNode('n3', 3, { join: [n1.address] })
    h.addNode('n4', 4, { join: [n1.address] })
    await h.clock.advance(10_000)
    for (const { actor, asks, queues, env } of h.nodes.values()) {
      expect(actor.getSnapshot().value).toBe('running')
      expect(actor.getSnapshot().context.numNodes).toBe(4)
      // No ask on the packet path: every packet was filled from the leases gossip-queue pushed
      // after swim subscribed, and what went out was reported back (batched).
      expect(asks.fill).toBe(0)
      expect(queues.received[0]).toEqual({ type: 'gossip.lease-subscribe', to: env.id })
      const { counters } = actor.getSnapshot().context.lease
      expect(counters.leases).toBeGreaterThan(0)
      expect(counters.piggybacked).toBeGreaterThan(0)
      expect(counters.reports).toBeGreaterThan(0)
      expect(counters.reports).toBeLessThan(counters.piggybacked)
    }
    expect(h.nodes.get('n2')!.asks.localState).toBeGreaterThan(0)
    const joined = n1.member.filter((m) => m.type === 'member.node-joined').map((m) => (m as { node: { name: string } }).node.name)
    expect(joined.sort()).toEqual(['n1', 'n2', 'n3', 'n4'])
    expect(h.nodes.get('n2')!.member.some((m) => m.type === 'member.join-completed' && m.numJoined === 1)).toBe(true)

    // Crash n3: the host stops answering and its timers stop.
    h.net.setDown(h.nodes.get('n3')!.address)
    h.nodes.get('n3')!.actor.send({ type: 'runtime.shutdown' })
    await h.clock.advance(30_000)
    const left = n1.member.filter((m) => m.type === 'member.node-left').map((m) => (m as { node: { name: string; state: string } }).node)
    expect(left).toContainEqual(expect.objectContaining({ name: 'n3', state: 'dead' }))

    // Graceful leave of n2: leaving, then left once the dead{From: self} has spread.
    const n2 = h.nodes.get('n2')!
    n2.actor.send({ type: 'swim.leave', timeoutMs: 5_000 })
    expect(n2.actor.getSnapshot().value).toBe('leaving')
    await h.clock.advance(6_000)
    expect(n2.actor.getSnapshot().value).toBe('left')
    expect(n2.member.some((m) => m.type === 'member.swim-left')).toBe(true)
    const n2Left = n1.member.filter((m) => m.type === 'member.node-left').map((m) => (m as { node: { name: string; state: string } }).node)
    expect(n2Left).toContainEqual(expect.objectContaining({ name: 'n2', state: 'left' }))

    const transports = [...h.nodes.values()].map((n) => swimTransportOf(n.env) as MemoryTransport | undefined)
    for (const { actor } of h.nodes.values()) {
      if (actor.getSnapshot().status === 'active') actor.send({ type: 'runtime.shutdown' })
      expect(actor.getSnapshot().status).toBe('done')
    }
    // The stopped state closed every transport (n3's already at its crash).
    for (const n of h.nodes.values()) expect(swimTransportOf(n.env)).toBeUndefined()
    for (const t of transports) if (t !== undefined) expect(t.isClosed()).toBe(true)
    // Only in-flight network deliveries may remain; no swim timer is left armed.
    await h.clock.advance(1_000)
    expect(h.clock.pending).toBe(0)
  })

  it("meets its TCP streams' news in its own turns: a push/pull's accept, dial, bytes and end come as swim.stream messages", async () => {
    const h = harness()
    const n1 = h.addNode('n1', 1)
    const n2 = h.addNode('n2', 2, { join: [n1.address] })
    await h.clock.advance(2_000)
    expect(n2.member.some((m) => m.type === 'member.join-completed' && m.numJoined === 1)).toBe(true)
    const news = (n: TestNode) => n.selfSent.filter((m): m is StreamEventMsg => m.type === 'swim.stream')
    // The joiner dialled: its first stream's news is the dial's outcome, then bytes, then the end.
    const joinerStream = news(n2).filter((m) => m.id === news(n2)[0]!.id).map((m) => m.what)
    expect(joinerStream[0]).toBe('dialed')
    expect(joinerStream).toContain('data')
    expect(joinerStream.at(-1)).toBe('end')
    const accepted = news(n1).filter((m) => m.id === news(n1)[0]!.id).map((m) => m.what)
    expect(accepted[0]).toBe('accepted')
    expect(accepted).toContain('data')
    expect(accepted.at(-1)).toBe('end')
    for (const n of [n1, n2]) expect(n.actor.getSnapshot().context).toMatchObject({ streamEventsRefused: 0, streamEventsUnknown: 0 })
    // Another actor names no stream of ours: counted, ignored.
    n1.actor.send({ type: 'swim.stream', id: 999, what: 'end' })
    expect(n1.actor.getSnapshot().context.streamEventsUnknown).toBe(1)
    for (const { actor } of h.nodes.values()) actor.send({ type: 'runtime.shutdown' })
  })

  it('refutes a suspicion of itself and raises its incarnation', async () => {
    const h = harness(2)
    const n1 = h.addNode('n1', 1)
    const n2 = h.addNode('n2', 2, { join: [n1.address] })
    await h.clock.advance(5_000)
    // n2 becomes slow for a while: n1's probes time out, n1 suspects n2, n2 refutes.
    h.net.setNodeDelay(n2.address, 700)
    await h.clock.advance(20_000)
    h.net.setNodeDelay(n2.address, 0)
    await h.clock.advance(5_000)
    expect(n2.actor.getSnapshot().context.incarnation).toBeGreaterThan(1)
    expect(n1.member.some((m) => m.type === 'member.node-left' && m.node.name === 'n2')).toBe(false)
    for (const { actor } of h.nodes.values()) actor.send({ type: 'runtime.shutdown' })
  })

  it('answers a ping with an ack in the same turn while gossip-queue answers nothing at all', async () => {
    const h = harness(3)
    const n1 = h.addNode('n1', 1)
    const n2 = h.addNode('n2', 2, { join: [n1.address], gossipSilent: true })
    await h.clock.advance(5_000)
    // Pings and acks flow without any lease: n2 never got one, and n1 never lost n2.
    expect(n1.actor.getSnapshot().context.numNodes).toBe(2)
    expect(n2.actor.getSnapshot().context.numNodes).toBe(2)
    expect(n2.actor.getSnapshot().context.lease.counters.leases).toBe(0)
    expect(n2.asks.fill).toBe(0)
    // Without a lease there is nothing to report: only the subscribe (and enqueues, sizes) went.
    expect(n2.queues.received.filter((m) => m.type === 'gossip.sent')).toEqual([])
    expect(n2.queues.received[0]).toMatchObject({ type: 'gossip.lease-subscribe' })
    expect(n1.member.some((m) => m.type === 'member.node-left')).toBe(false)

    // One ping in: its ack has left the transport when the send of the packet returns, with no
    // step of the clock and no microtask in between.
    const before = n2.sent.length
    const ping = encodeMessage({ type: 'ping', SeqNo: 4242, Node: 'n2', SourceAddr: Uint8Array.of(10, 0, 0, 1), SourcePort: 7946, SourceNode: 'n1' })
    n2.actor.send({ type: 'swim.packet', from: n1.address, bytes: ping })
    expect(n2.sent.length).toBe(before + 1)
    const acks = decodeDatagram(n2.sent[before]!).messages.filter((m) => m.type === 'ack')
    expect(acks).toEqual([expect.objectContaining({ type: 'ack', SeqNo: 4242 })])
    for (const { actor } of h.nodes.values()) actor.send({ type: 'runtime.shutdown' })
  })

  it('subscribes again while no lease comes, and fills from leases once gossip-queue answers', async () => {
    const h = harness(5)
    const n1 = h.addNode('n1', 1)
    const n2 = h.addNode('n2', 2, { join: [n1.address], gossipSilent: true })
    await h.clock.advance(3_500)
    const subscribes = n2.queues.received.filter((m) => m.type === 'gossip.lease-subscribe').length
    // One at start, then one per room-report window (1 s on LAN) while nothing answers.
    expect(subscribes).toBeGreaterThanOrEqual(3)
    expect(subscribes).toBeLessThanOrEqual(5)
    expect(n2.actor.getSnapshot().context.leaseSubscribes).toBe(subscribes)
    // gossip-queue comes up: the next subscribe reaches it and leases flow.
    n2.queues.answers = true
    await h.clock.advance(1_500)
    // What it enqueued while gossip-queue was away is gone; a new alive (new tags) rides the leases.
    n2.actor.send({ type: 'member.local-meta-changed', meta: Uint8Array.of(1, 2) })
    await h.clock.advance(1_000)
    const ctx = n2.actor.getSnapshot().context
    expect(ctx.lease.counters.leases).toBeGreaterThan(0)
    expect(ctx.lease.counters.piggybacked).toBeGreaterThan(0)
    const after = ctx.leaseSubscribes
    await h.clock.advance(3_000)
    expect(n2.actor.getSnapshot().context.leaseSubscribes).toBe(after)
    for (const { actor } of h.nodes.values()) actor.send({ type: 'runtime.shutdown' })
  })

  it('parks its gossip tick and sends no report while its lease is empty, and gossips at once when a broadcast comes', async () => {
    const h = harness(6)
    const n1 = h.addNode('n1', 1)
    const n2 = h.addNode('n2', 2, { join: [n1.address] })
    await h.clock.advance(10_000) // joined, and the alives spent their transmits
    expect(n2.actor.getSnapshot().context.numNodes).toBe(2)
    expect(n2.actor.getSnapshot().context.lease.entries).toBe(0)
    const reports = () => n2.queues.received.filter((m) => m.type === 'gossip.sent').length
    const before = reports()
    const c0 = n2.actor.getSnapshot().context.counters
    await h.clock.advance(10_000)
    const c1 = n2.actor.getSnapshot().context.counters
    expect(c1.probes - c0.probes).toBeGreaterThan(5) // probes went on
    expect(reports()).toBe(before)
    // The gossip tick is parked while there is nothing to gossip: no wakeup every 200 ms that
    // finds an empty lease (it was 50 empty ticks in these 10 s).
    expect(c1.gossipEmpty - c0.gossipEmpty).toBeLessThanOrEqual(1)
    // A broadcast brings a lease with an entry: the tick resumes at once, and the news is gossiped,
    // piggybacked and reported as before.
    const updates = () => n1.member.filter((m) => m.type === 'member.node-updated').length
    const seen = updates()
    n2.actor.send({ type: 'member.local-meta-changed', meta: Uint8Array.of(3, 4) })
    await h.clock.advance(20)
    expect(updates()).toBeGreaterThan(seen)
    await h.clock.advance(1_000)
    expect(reports()).toBeGreaterThan(before)
    expect(n2.actor.getSnapshot().context.lease.counters.piggybacked).toBeGreaterThan(0)
    for (const { actor } of h.nodes.values()) actor.send({ type: 'runtime.shutdown' })
  })

  it("tells its own member-manager of its own new meta, once per change (memberlist's NotifyUpdate for the local node)", async () => {
    const h = harness(6)
    const n1 = h.addNode('n1', 1)
    await h.clock.advance(1_000)
    const selfUpdates = () => n1.member.filter((m) => m.type === 'member.node-updated' && m.node.name === 'n1').map((m) => (m as { node: { meta: Uint8Array } }).node.meta[0])
    n1.actor.send({ type: 'member.local-meta-changed', meta: Uint8Array.of(7) })
    n1.actor.send({ type: 'member.local-meta-changed', meta: Uint8Array.of(7) }) // the same meta: no change, no update
    n1.actor.send({ type: 'member.local-meta-changed', meta: Uint8Array.of(8) })
    await h.clock.advance(20)
    expect(selfUpdates()).toEqual([7, 8])
    for (const { actor } of h.nodes.values()) actor.send({ type: 'runtime.shutdown' })
  })

  it('sends news that comes just after a gossip round half an interval later, not a whole one, and keeps rounds half an interval apart', async () => {
    const h = harness(6)
    const n1 = h.addNode('n1', 1)
    const peers = [2, 3, 4].map((i) => h.addNode(`n${i}`, i, { join: [n1.address] }))
    await h.clock.advance(10_000) // joined, the alives spent, every tick parked
    // Probes carry news too (ping and ack piggyback). Every member ticks at most 100 ms into each
    // second (aligned ticks, probe-rotation.ts): start 110 ms in, after those probes and their acks,
    // so the rounds below, 215 ms in all, are the only sends.
    await h.clock.advance(Math.ceil(h.clock.now() / 1_000) * 1_000 + 110 - h.clock.now())
    expect(n1.actor.getSnapshot().context.numNodes).toBe(4)
    const metaSeen = (meta: number) => peers.filter((p) => p.member.some((m) => m.type === 'member.node-updated' && m.node.name === 'n1' && m.node.meta[0] === meta)).length
    const t0 = h.clock.now()
    // News wakes the parked tick: a round at once (LAN: gossipIntervalMs 200, gossipNodes 3).
    n1.actor.send({ type: 'member.local-meta-changed', meta: Uint8Array.of(1) })
    await h.clock.advance(20)
    expect(metaSeen(1)).toBe(3)
    // More news 30 ms after that round: memberlist's next tick would be a random 0-200 ms away;
    // ours was re-armed a whole interval after the round (t0 + 200). It goes at t0 + 100 now.
    await h.clock.advance(10)
    n1.actor.send({ type: 'member.local-meta-changed', meta: Uint8Array.of(2) })
    await h.clock.advance(t0 + 95 - h.clock.now())
    expect(metaSeen(2)).toBe(0) // not before half an interval after the last round
    await h.clock.advance(20)
    expect(metaSeen(2)).toBe(3)
    // News again just after that round: the next round is half an interval after it (t0 + 200).
    n1.actor.send({ type: 'member.local-meta-changed', meta: Uint8Array.of(3) })
    await h.clock.advance(t0 + 195 - h.clock.now())
    expect(metaSeen(3)).toBe(0)
    await h.clock.advance(20)
    expect(metaSeen(3)).toBe(3)
    for (const { actor } of h.nodes.values()) actor.send({ type: 'runtime.shutdown' })
  })

  it('reports at once the send that brings a waited-for broadcast to its tell limit, and batches the rest', async () => {
    const h = harness(4)
    const n2 = h.addNode('n2', 2)
    const n1 = h.addNode('n1', 1, { join: [n2.address], gossipSilent: true })
    h.addNode('n3', 3, { join: [n2.address] })
    await h.clock.advance(3_000)
    expect(n1.actor.getSnapshot().context.numNodes).toBe(3)
    const limits = { memberlist: 6, 'serf-intent': 6, 'serf-query': 6, 'serf-event': 6 }
    const entry = (id: number, byte: number, tellAt?: number) => ({ id, queue: 'memberlist' as const, message: encodeMessage({ type: 'user', Payload: Uint8Array.of(byte, byte, byte) }), transmits: 0, seq: id, ...(tellAt === undefined ? {} : { tellAt }) })
    const carried = (byte: number): number => n1.sent.reduce((sum, bytes) => sum + decodeDatagram(bytes).messages.filter((m) => m.type === 'user' && m.Payload[0] === byte).length, 0)
    const reported = (id: number) => n1.queues.received.filter((m): m is LeaseSentMsg => m.type === 'gossip.sent').some((r) => r.sent.some(([x]) => x === id))
    // Nobody waits for entry 1: its sends are reported at the end of the batch window (100 ms on LAN).
    n1.actor.send({ type: 'gossip.lease', epoch: 9, version: 1, appliedReport: 0, limits, entries: [entry(1, 5)], leftOut: 0 })
    while (carried(5) === 0) await h.clock.advance(1)
    await h.clock.advance(5)
    expect(reported(1)).toBe(false)
    await h.clock.advance(200)
    expect(reported(1)).toBe(true)
    // A leave waits for entry 2 at 2 transmits: the send that reaches it is reported in the next turn.
    n1.actor.send({ type: 'gossip.lease', epoch: 9, version: 2, appliedReport: 1, limits, entries: [entry(2, 6, 2)], leftOut: 0 })
    while (carried(6) < 2) await h.clock.advance(1)
    await h.clock.advance(1)
    expect(reported(2)).toBe(true)
    for (const { actor } of h.nodes.values()) actor.send({ type: 'runtime.shutdown' })
  })

  it('answers an asked join itself, or hands the asker to member-manager after the join\'s node changes (replyAfterMembers)', async () => {
    const h = harness(3)
    const n1 = h.addNode('n1', 1)
    const n2 = h.addNode('n2', 2)
    await h.clock.advance(1_000)
    const direct = { to: '$main', cid: 1 }
    n2.actor.send({ type: 'swim.join', addresses: [n1.address], replyTo: direct } as never)
    await h.clock.advance(500)
    expect(n2.replies).toEqual([{ to: direct, value: { type: 'swim.join-reply', numJoined: 1, errors: [] } }])
    const completed = () => n2.member.filter((m) => m.type === 'member.join-completed')
    expect(completed()[0]).not.toHaveProperty('replyTo')

    const n3 = h.addNode('n3', 3)
    await h.clock.advance(1_000)
    const viaMembers = { to: '$main', cid: 2 }
    n3.actor.send({ type: 'swim.join', addresses: [n1.address], replyTo: viaMembers, replyAfterMembers: true } as never)
    await h.clock.advance(500)
    expect(n3.replies).toEqual([]) // member-manager answers
    const kinds = n3.member.map((m) => m.type)
    const done = kinds.indexOf('member.join-completed')
    // After the node changes of the join (the feed's order), with the asker and the outcome.
    expect(kinds.slice(0, done).filter((k) => k === 'member.node-joined').length).toBeGreaterThanOrEqual(2)
    expect(n3.member[done]).toMatchObject({ type: 'member.join-completed', numJoined: 1, replyTo: viaMembers })
    for (const { actor } of h.nodes.values()) actor.send({ type: 'runtime.shutdown' })
  })

  it('never sends a broadcast past its transmit limit across stale and lagging leases', async () => {
    const h = harness(4)
    const n2 = h.addNode('n2', 2)
    // n1's gossip-queue is silent: the test hands it leases by hand.
    const n1 = h.addNode('n1', 1, { join: [n2.address], gossipSilent: true })
    await h.clock.advance(3_000)
    expect(n1.actor.getSnapshot().context.numNodes).toBe(2)
    const payload = Uint8Array.of(7, 7, 7, 7, 7, 7)
    const message = encodeMessage({ type: 'user', Payload: payload })
    const limits = { memberlist: 3, 'serf-intent': 3, 'serf-query': 3, 'serf-event': 3 }
    const lease = (version: number, appliedReport: number, transmits: number): LeaseMsg => ({
      type: 'gossip.lease',
      epoch: 9,
      version,
      appliedReport,
      limits,
      entries: [{ id: 1, queue: 'memberlist', message, transmits, seq: 0 }],
      leftOut: 0,
    })
    const carried = (): number =>
      n1.sent.reduce((sum, bytes) => sum + decodeDatagram(bytes).messages.filter((m) => m.type === 'user' && Buffer.from(m.Payload).equals(payload)).length, 0)

    n1.actor.send(lease(5, 0, 0))
    await h.clock.advance(2_000)
    // Sent up to its limit, on gossip and piggybacked on probes, and reported.
    expect(carried()).toBe(3)
    const reports = n1.queues.received.filter((m): m is LeaseSentMsg => m.type === 'gossip.sent')
    expect(reports.flatMap((r) => r.sent).reduce((sum, [id, times]) => sum + (id === 1 ? times : 0), 0)).toBe(3)
    // An older lease (reordered in flight) is ignored; a newer one that has not applied the
    // reports yet gets them replayed; one that applied them carries the count itself.
    n1.actor.send(lease(4, 0, 0))
    await h.clock.advance(2_000)
    n1.actor.send(lease(6, 0, 0))
    await h.clock.advance(2_000)
    n1.actor.send(lease(7, reports.at(-1)!.report, 3))
    await h.clock.advance(2_000)
    expect(carried()).toBe(3)
    const ctx = n1.actor.getSnapshot().context.lease
    expect(ctx.counters).toMatchObject({ leases: 3, staleLeases: 1, piggybacked: 3 })
    expect(ctx).toMatchObject({ epoch: 9, version: 7, entries: 1, pending: [] })
    // n2 heard it three times (its member-manager got each copy).
    expect(n2.member.filter((m) => m.type === 'member.user-message').length).toBe(3)
    for (const { actor } of h.nodes.values()) actor.send({ type: 'runtime.shutdown' })
  })

  it('refuses a malformed lease whole, by the definition, naming what is wrong', () => {
    const bad = { type: 'gossip.lease', epoch: 1, version: 1, appliedReport: 0, limits: { memberlist: 3, 'serf-intent': 3, 'serf-query': 3, 'serf-event': 3 }, entries: [{ id: 1, queue: 'nope', message: Uint8Array.of(1), transmits: 0, seq: 0 }], leftOut: 0 }
    expect(swimDefinition.validate!(bad as never)).toMatch(/entries\[0\]\.queue/)
    expect(swimDefinition.validate!({ ...bad, entries: [], limits: {} } as never)).toMatch(/limits/)
    expect(swimDefinition.validate!({ ...bad, entries: [] } as never)).toBeUndefined()
  })

  it('refuses a told user state no peer could read (past a push/pull stream cap), by the definition', () => {
    expect(swimDefinition.validate!({ type: 'member.user-state', bytes: 'x' } as never)).toMatch(/needs bytes/)
    expect(swimDefinition.validate!({ type: 'member.user-state', bytes: new Uint8Array(MAX_STREAM_MESSAGE_BYTES + 1) } as never)).toMatch(/push\/pull's cap/)
    expect(swimDefinition.validate!({ type: 'member.user-state', bytes: new Uint8Array(MAX_STREAM_MESSAGE_BYTES) } as never)).toBeUndefined()
  })
})

describe('swim machine: starting (the local Meta)', () => {
  /** What `observer` heard about `name` from swim: node-joined / node-updated, in order. */
  const heardOf = (observer: TestNode, name: string) =>
    observer.member.flatMap((m) => ((m.type === 'member.node-joined' || m.type === 'member.node-updated') && m.node.name === name ? [m] : []))

  it("starts with member-manager's Meta, so the first alive peers hear carries the tags", async () => {
    const h = harness(12)
    const tags = Uint8Array.of(0xff, 0x81, 0xa4, 0x72, 0x6f, 0x6c, 0x65, 0xa2, 0x64, 0x62)
    const n1 = h.addNode('n1', 1, { localMeta: tags })
    const n2 = h.addNode('n2', 2, { join: [n1.address] })
    await h.clock.advance(3_000)
    expect(n1.asks.localMeta).toBe(1)
    expect(n1.actor.getSnapshot().context.localMetaFailures).toBe(0)
    // n2 never saw n1 without its tags: its first notice already carries them, at incarnation 1.
    const seen = heardOf(n2, 'n1')
    expect(seen.length).toBeGreaterThan(0)
    expect(seen[0]).toMatchObject({ type: 'member.node-joined', node: { meta: tags, incarnation: 1 } })
    expect(seen.every((m) => m.node.incarnation === 1)).toBe(true)
    for (const { actor } of h.nodes.values()) actor.send({ type: 'runtime.shutdown' })
  })

  it("falls back to the input's Meta and counts it when member-manager cannot answer", async () => {
    const h = harness(13)
    const meta = Uint8Array.of(7, 7, 7)
    const n1 = h.addNode('n1', 1, { localMeta: 'unknown', input: { meta } })
    const n2 = h.addNode('n2', 2, { join: [n1.address] })
    await h.clock.advance(3_000)
    expect(n1.actor.getSnapshot().value).toBe('running')
    expect(n1.actor.getSnapshot().context.localMetaFailures).toBe(1)
    expect(n1.logged.find((l) => l.level === 'warn')?.obj).toMatchObject({ err: { code: 'ERR_ACTOR_UNKNOWN' }, count: 1 })
    expect(heardOf(n2, 'n1')[0]).toMatchObject({ node: { meta, incarnation: 1 } })
    // member-manager's change (e.g. at its own start, once it exists) still reaches the peers.
    const later = Uint8Array.of(9)
    n1.actor.send({ type: 'member.local-meta-changed', meta: later })
    await h.clock.advance(3_000)
    expect(heardOf(n2, 'n1').at(-1)).toMatchObject({ node: { meta: later, incarnation: 2 } })
    for (const { actor } of h.nodes.values()) actor.send({ type: 'runtime.shutdown' })
  })
})

describe('swim machine: binding', () => {
  it('keeps requests that arrive while binding and replays them in order once bound', async () => {
    const h = harness(4)
    const n1 = h.addNode('n1', 1)
    const gated = gatedOpener(h.net)
    const n2 = h.addNode('n2', 2, { open: gated.open })
    const meta = Uint8Array.of(1, 2, 3)
    n2.actor.send({ type: 'swim.join', addresses: [n1.address] })
    n2.actor.send({ type: 'member.local-meta-changed', meta })
    await h.clock.advance(1_000)
    expect(n2.actor.getSnapshot().value).toBe('binding')
    expect(n2.actor.getSnapshot().context.held.map((m) => m.type)).toEqual(['swim.join', 'member.local-meta-changed'])
    expect(n2.member).toEqual([])

    gated.release()
    await settle()
    expect(n2.actor.getSnapshot().value).toBe('running')
    expect(n2.actor.getSnapshot().context.held).toEqual([])
    expect(n2.actor.getSnapshot().context.address).toBe(n2.address)
    await h.clock.advance(5_000)
    // The held join ran (n2 joined n1) and the held meta change reached n1 (a new incarnation).
    expect(n2.member.some((m) => m.type === 'member.join-completed' && m.numJoined === 1)).toBe(true)
    const seen = n1.member.filter((m) => (m.type === 'member.node-joined' || m.type === 'member.node-updated') && m.node.name === 'n2')
    expect(seen.at(-1)).toMatchObject({ node: { meta, incarnation: 2 } })
    for (const { actor } of h.nodes.values()) actor.send({ type: 'runtime.shutdown' })
  })

  it('bounds what it keeps while binding and counts the overflow; a held leave is replayed too', async () => {
    const h = harness(5)
    const n1 = h.addNode('n1', 1)
    const gated = gatedOpener(h.net)
    const n2 = h.addNode('n2', 2, { open: gated.open })
    const reconnect = { type: 'member.reconnect', name: 'n1', addr: Uint8Array.of(10, 0, 0, 1), port: 7946 } as const
    for (let i = 0; i < MAX_HELD + 3; i++) n2.actor.send(reconnect)
    n2.actor.send({ type: 'member.swim-leave' })
    const ctx = n2.actor.getSnapshot().context
    expect(ctx.held).toHaveLength(MAX_HELD)
    expect(ctx.heldOverflow).toBe(4)
    expect(n2.logged.filter((l) => l.level === 'warn')).toHaveLength(4)

    // Nothing dropped silently: the overflow is counted; what was held is replayed.
    gated.release()
    await settle()
    await h.clock.advance(5_000)
    expect(n2.member.some((m) => m.type === 'member.join-completed' && m.numJoined === 1)).toBe(true)
    expect(n1.actor.getSnapshot().context.numNodes).toBe(2)
    n2.actor.send({ type: 'member.swim-leave' })
    expect(n2.actor.getSnapshot().value).toBe('leaving')
    await h.clock.advance(10_000)
    expect(n2.actor.getSnapshot().value).toBe('left')
    for (const { actor } of h.nodes.values()) actor.send({ type: 'runtime.shutdown' })
  })

  it('ends in failed with a coded error when the transport cannot be opened, and keeps answering', async () => {
    const h = harness(6)
    const open: SwimTransportOpener = () => {
      throw new TransportError('ERR_TRANSPORT_ADDRESS', 'cannot bind UDP 10.0.0.1:7946: EADDRINUSE')
    }
    const n1 = h.addNode('n1', 1, { open })
    n1.actor.send({ type: 'swim.join', addresses: ['10.0.0.9:7946'] })
    await settle()
    const snap = n1.actor.getSnapshot()
    expect(snap.status).toBe('active')
    expect(snap.value).toBe('failed')
    expect(snap.context.bindError).toMatchObject({ code: 'ERR_SWIM_BIND', details: { address: '10.0.0.1:7946', cause: { code: 'ERR_TRANSPORT_ADDRESS' } } })
    expect(n1.logged.find((l) => l.level === 'error')?.obj).toMatchObject({ err: { code: 'ERR_SWIM_BIND' } })
    // The join held during binding was never run; later requests are refused and counted.
    n1.actor.send({ type: 'swim.join', addresses: ['10.0.0.9:7946'] })
    n1.actor.send({ type: 'swim.packet', from: '10.0.0.9:7946', bytes: Uint8Array.of(0) })
    expect(n1.actor.getSnapshot().context.refused).toBe(2)
    // News of a stream it never had (no node, no gate entry): counted, in the context at once.
    n1.actor.send({ type: 'swim.stream', id: 7, what: 'end' })
    expect(n1.actor.getSnapshot().context.streamEventsUnknown).toBe(1)
    // A leave completes at once: member-manager does not wait for a node that never joined.
    n1.actor.send({ type: 'member.swim-leave' })
    expect(n1.member).toEqual([{ type: 'member.swim-left' }])
    n1.actor.send({ type: 'runtime.shutdown' })
    expect(n1.actor.getSnapshot().status).toBe('done')
    expect(h.clock.pending).toBe(0)
  })

  it('ends in failed with the config error, without opening a transport, when its config does not validate', async () => {
    const h = harness(9)
    const opened: string[] = []
    const n1 = h.addNode('n1', 1, {
      input: { config: { keys: [Uint8Array.of(1, 2, 3)] } },
      open: (at) => {
        opened.push(at)
        return h.net.createTransport(at)
      },
    })
    await settle()
    const snap = n1.actor.getSnapshot()
    expect(snap.status).toBe('active')
    expect(snap.value).toBe('failed')
    expect(snap.context.configError).toMatchObject({ code: 'ERR_INVALID_CONFIG', details: { field: 'swim.keys[0]' } })
    expect(n1.logged.find((l) => l.level === 'error')?.obj).toMatchObject({ err: { code: 'ERR_INVALID_CONFIG' } })
    expect(opened).toEqual([])
    n1.actor.send({ type: 'member.swim-leave' })
    expect(n1.member).toEqual([{ type: 'member.swim-left' }])
    n1.actor.send({ type: 'runtime.shutdown' })
    expect(n1.actor.getSnapshot().status).toBe('done')
  })

  it('advertises the bound port when the input asks for port 0', async () => {
    const h = harness(7)
    const asked: string[] = []
    const n1 = h.addNode('n1', 1, {
      input: { port: 0 },
      open: (at) => {
        asked.push(at)
        return h.net.createTransport('10.0.0.1:40123')
      },
    })
    await settle()
    expect(asked).toEqual(['10.0.0.1:0'])
    expect(n1.actor.getSnapshot().context.address).toBe('10.0.0.1:40123')
    expect(n1.member.find((m) => m.type === 'member.node-joined')).toMatchObject({ node: { name: 'n1', port: 40123 } })
    n1.actor.send({ type: 'runtime.shutdown' })
  })

  it('closes a transport that finishes opening after the actor stopped', async () => {
    const h = harness(8)
    const gated = gatedOpener(h.net)
    const n1 = h.addNode('n1', 1, { open: gated.open })
    n1.actor.send({ type: 'runtime.shutdown' })
    expect(n1.actor.getSnapshot().status).toBe('done')
    gated.release()
    await settle()
    expect(gated.opened()?.isClosed()).toBe(true)
    expect(swimTransportOf(n1.env)).toBeUndefined()
  })

  it("holds the transport in the actor's resource slot, which its placement releases", async () => {
    const h = harness(9)
    const n1 = h.addNode('n1', 1)
    await h.clock.advance(100)
    expect(n1.actor.getSnapshot().value).toBe('running')
    const transport = n1.env.resources!.get<{ transport: MemoryTransport }>(SWIM_TRANSPORT_SLOT)?.transport
    expect(transport).toBeDefined()
    expect(transport).toBe(swimTransportOf(n1.env))
    expect(transport!.isClosed()).toBe(false)
    // The placement ends the actor (its thread closes the slots): the socket is closed with it.
    await n1.env.resources!.closeAll()
    expect(transport!.isClosed()).toBe(true)
    expect(swimTransportOf(n1.env)).toBeUndefined()
    n1.actor.send({ type: 'runtime.shutdown' })
  })

  it('fails with ERR_SWIM_NO_TRANSPORT, coded, on an env without resource slots', async () => {
    const h = harness(10)
    const n1 = h.addNode('n1', 1, { noResources: true })
    await settle()
    expect(n1.actor.getSnapshot().value).toBe('failed')
    expect(n1.actor.getSnapshot().context.bindError).toMatchObject({ code: 'ERR_SWIM_NO_TRANSPORT' })
    n1.actor.send({ type: 'runtime.shutdown' })
  })

  it('fails with ERR_SWIM_NO_TRANSPORT when spawned inline without an opener', async () => {
    const system = await ActorSystem.start({ logLevel: 'silent', clock: new SimulatedClock() })
    try {
      const ref = await system.spawn(swimDefinition, { id: 'swim', placement: 'inline', input: { name: 'x', addr: Uint8Array.of(10, 0, 0, 1), port: 7946 } })
      await settle()
      const snap = await ref.getSnapshot()
      expect(snap.value).toBe('failed')
      expect(snap.context.bindError?.code).toBe('ERR_SWIM_NO_TRANSPORT')
      expect((await system.stats()).find((s) => s.id === 'swim')?.status).toBe('running')
      // A join to a malformed address is refused at the door (it would make a dial throw). A bare
      // host is a valid join address now (port swim.bindPort, as in memberlist): a space is not.
      const invalid: string[] = []
      system.on((e) => void (e.type === 'message.invalid' && invalid.push(e.error.code)))
      ref.send({ type: 'swim.join', addresses: ['not an address'] })
      await settle()
      expect(invalid).toEqual(['ERR_ACTOR_INVALID_MESSAGE'])
    } finally {
      await system.shutdown()
    }
  })
})

describe('swim on the runtime: restart in place', () => {
  it('keeps its socket (same address) across a supervised restart and runs again', async () => {
    const clock = new SimulatedClock()
    const net = new MemoryNetwork({ clock, random: createSeededRandom(11), defaultLink: { latencyMs: 1 } })
    const BOOM = '10.0.0.66:7946'
    const opened: string[] = []
    // A transport whose dial throws for one address: the machine's action throws, the actor crashes.
    const open = crashingOpener(net, BOOM, opened)
    const system = await ActorSystem.start({ logLevel: 'silent', clock })
    const events: string[] = []
    system.on((e) => void events.push(e.type === 'actor.started' ? `started:${e.restarts}` : e.type))
    try {
      const ref = await system.spawn(swimDefinition, {
        id: 'swim',
        placement: 'inline',
        input: { name: 'n1', addr: Uint8Array.of(10, 0, 0, 1), port: 7946 },
        ...swimIo(open),
      })
      await clock.advance(100)
      expect((await ref.getSnapshot()).value).toBe('running')
      ref.send({ type: 'swim.join', addresses: [BOOM] })
      await clock.advance(1_000)
      expect(events).toContain('actor.crashed')
      expect(events).toContain('started:1')
      const snap = await ref.getSnapshot()
      expect(snap.value).toBe('running')
      expect(snap.context.address).toBe('10.0.0.1:7946')
      // The restarted machine reused the open transport: opened once, still reachable.
      expect(opened).toEqual(['10.0.0.1:7946'])
      // It works on the reused socket: a second node joins it and both see two nodes.
      const other = await system.spawn(swimDefinition, {
        id: 'swim-2',
        placement: 'inline',
        input: { name: 'n2', addr: Uint8Array.of(10, 0, 0, 2), port: 7946, join: ['10.0.0.1:7946'] },
        ...swimIo((at) => net.createTransport(at)),
      })
      await clock.advance(3_000)
      expect((await ref.getSnapshot()).context.numNodes).toBe(2)
      expect((await other.getSnapshot()).context.numNodes).toBe(2)
    } finally {
      await system.shutdown()
    }
  })
})

/** The transport contract the machine relies on: MemoryTransport fits it. */
const _fits: (t: MemoryTransport) => SwimTransport = (t) => t
void _fits
