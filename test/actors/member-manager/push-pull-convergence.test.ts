/**
 * member-manager's table converges with swim's after a huge push/pull (issue 10 item 4). One node
 * (swim, gossip-queue, member-manager inline on a SimulatedClock) joins a peer on the memory network
 * whose push/pull names N nodes; swim's merge reports all of them in one turn. Before the fix each
 * was one message, and member-manager's mailbox refused everything past 4 × 2,048: a 10,000-node
 * merge left it at 8,193 members for good. Now the changes go in numbered batches paced by the
 * mailbox's room, and a gap or a restore is repaired by a resync of swim's whole table.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ActorSystem } from '../../../src/runtime/actor-system.ts'
import { SimulatedClock } from '../../../src/runtime/simulated-clock.ts'
import { defineActor } from '../../../src/runtime/define-actor.ts'
import type { MailboxOptions } from '../../../src/runtime/options.ts'
import type { SystemEvent } from '../../../src/runtime/types.ts'
import { MemoryNetwork } from '../../../src/transport/memory-network.ts'
import { createSeededRandom } from '../../../src/types/random.ts'
import { swim } from '../../../actors/swim/definition.ts'
import { swimIo } from '../../../actors/swim/io/swim-io.ts'
import { LAN_SWIM_CONFIG } from '../../../actors/swim/config.ts'
import { gossipQueue } from '../../../actors/gossip-queue/definition.ts'
import { gossipQueueConfigFor } from '../../../actors/gossip-queue/config.ts'
import { memberManager } from '../../../actors/member-manager/definition.ts'
import { createMemberManagerMachine } from '../../../actors/member-manager/machine.ts'
import type { MemberEventMsg } from '../../../actors/member-manager/protocol.ts'
import { eventCounter, memoryPushPullPeer, peerStates, pushPullReply } from './support/push-pull-peer.ts'
import { node } from './fixtures.ts'

const PEER = { name: 'peer', addr: Uint8Array.of(10, 0, 0, 2), port: 7946 }
const PEER_ADDRESS = '10.0.0.2:7946'

let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown({ drainTimeoutMs: 2_000 })
  system = undefined
})

interface NodeOptions {
  /** Nodes the peer's push/pull names besides itself. */
  count: number
  mailbox?: Partial<MailboxOptions>
  /** The member-manager definition (a crashing or lossy variant). */
  mm?: typeof memberManager
  /** Join at start (default), or later by `swim.join`. */
  joinAtStart?: boolean
}

/** One node inline on a simulated clock, and a peer whose push/pull names `count` more nodes. */
async function startNode(options: NodeOptions) {
  const clock = new SimulatedClock()
  const net = new MemoryNetwork({ clock, random: createSeededRandom(9), defaultLink: { latencyMs: 1 } })
  system = await ActorSystem.start({ node: 'self', clock, seed: 1, logLevel: 'silent', compute: false, supervision: { backoffMs: 100 }, ...(options.mailbox === undefined ? {} : { mailbox: options.mailbox }) })
  const systemEvents: SystemEvent[] = []
  system.on((e) => systemEvents.push(e))
  memoryPushPullPeer(net, PEER_ADDRESS, pushPullReply(peerStates(options.count, PEER)))
  const events = await system.spawn(eventCounter, { id: 'events', placement: 'inline' })
  const gq = await system.spawn(gossipQueue, { id: 'gossip-queue', placement: 'inline', input: { config: gossipQueueConfigFor({ ...LAN_SWIM_CONFIG, encrypted: false }) } })
  const mm = await system.spawn(options.mm ?? memberManager, {
    id: 'member-manager',
    placement: 'inline',
    input: { config: { nodeName: 'self' }, peers: { events: 'events' } },
    dependsOn: ['gossip-queue', 'events'],
  })
  const sw = await system.spawn(swim, {
    id: 'swim',
    placement: 'inline',
    input: { name: 'self', addr: Uint8Array.of(10, 0, 0, 1), port: 7946, preset: 'lan', join: options.joinAtStart === false ? [] : [PEER_ADDRESS] },
    dependsOn: ['gossip-queue', 'member-manager'],
    ...swimIo((at) => net.createTransport(at)),
  })
  /** swim's node count and member-manager's table, read after what was sent has been handled. */
  const tables = async () => {
    const swimCtx = (await sw.getSnapshot()).context
    const mmStats = await mm.ask({ type: 'member.stats' })
    return { swimNodes: swimCtx.numNodes, feed: swimCtx.memberFeed!, counts: mmStats.counts, mmFeed: mmStats.feed! }
  }
  return { clock, system, systemEvents, gq, mm, sw, events, tables }
}

describe('member-manager after a huge push/pull (inline, simulated clock)', () => {
  it('ends with every one of 100,000 pushed nodes in its table, as swim has them', async () => {
    const N = 100_000
    const n = await startNode({ count: N })
    await n.clock.advance(1_000) // the join's push/pull: 1 ms each way; probes of the new nodes just begin
    const t = await n.tables()
    expect(t.swimNodes).toBe(N + 2) // self, the peer and N nodes
    expect(t.counts).toEqual({ alive: N + 2, leaving: 0, left: 0, failed: 0, total: N + 2 })
    // Nothing lost or repaired: each change went once, in ~N/512 numbered batches.
    expect(t.feed).toMatchObject({ changes: N + 2, undelivered: 0, collapsed: 0, resyncs: 0, deferred: 0, queued: 0 })
    expect(t.mmFeed).toMatchObject({ changes: N + 2, gaps: 0, resyncRequests: 0 })
    expect(t.mmFeed.messages).toBeLessThanOrEqual(Math.ceil(N / 512) + 3)
    expect(t.mmFeed.lastSeq).toBe(t.mmFeed.messages)
    const mmStats = await n.mm.stats()
    expect([mmStats.rejected, mmStats.dropped, mmStats.invalid]).toEqual([0, 0, 0])
    // The public event stream has every join, in batches; gossip-queue has both sizes.
    const ev = (await n.events.getSnapshot()).context
    expect(ev.members['member-join']).toBe(N + 2)
    expect(ev.messages).toBeLessThanOrEqual(Math.ceil(N / 512) + 3)
    const queues = (await n.gq.ask({ type: 'gossip.stats' })).queues
    expect([queues.memberlist.numNodes, queues['serf-intent'].numNodes]).toEqual([N + 2, N + 2])
  }, 120_000)

  it('converges through a mailbox of 8 (the feed waits for room instead of overrunning it)', async () => {
    const N = 20_000
    const n = await startNode({ count: N, mailbox: { capacity: 8 } })
    await n.clock.advance(1_000)
    const t = await n.tables()
    expect(t.swimNodes).toBe(N + 2)
    expect(t.counts.total).toBe(N + 2)
    expect(t.counts.alive).toBe(N + 2)
    expect(t.feed).toMatchObject({ undelivered: 0, resyncs: 0, queued: 0 })
    // ~40 batches through a mailbox of 8 (refusing past 32), none refused.
    expect(t.mmFeed.messages).toBeGreaterThan(32)
    expect((await n.mm.stats()).rejected).toBe(0)
    // The cluster sizes were refused by gossip-queue's full mailbox (swim's alive broadcasts fill
    // it) and sent again: the queue has the final ones.
    const queues = (await n.gq.ask({ type: 'gossip.stats' })).queues
    expect([queues.memberlist.numNodes, queues['serf-intent'].numNodes]).toEqual([N + 2, N + 2])
  }, 60_000)

  it('converges with a reject-policy mailbox of 8 too', async () => {
    const N = 5_000
    const n = await startNode({ count: N, mailbox: { capacity: 8, overflow: 'reject' } })
    await n.clock.advance(1_000)
    const t = await n.tables()
    expect([t.swimNodes, t.counts.total, t.counts.alive]).toEqual([N + 2, N + 2, N + 2])
    expect((await n.mm.stats()).rejected).toBe(0)
  }, 60_000)

  it('repairs a lost batch: the next one shows a gap, member-manager asks, swim resends its table', async () => {
    // A mailbox that loses swim's third feed message (refused as invalid, counted by the runtime).
    let lost = 0
    const lossy = defineActor({
      ...memberManager,
      validate: (msg) => {
        if (msg.type === 'member.nodes-changed' && msg.seq === 3 && lost === 0) return `lost on purpose (${++lost})`
        return memberManager.validate?.(msg)
      },
    }) as typeof memberManager
    const N = 3_000
    const n = await startNode({ count: N, mm: lossy })
    await n.clock.advance(1_000)
    expect(lost).toBe(1)
    expect((await n.mm.stats()).invalid).toBe(1)
    const t = await n.tables()
    expect([t.swimNodes, t.counts.total, t.counts.alive]).toEqual([N + 2, N + 2, N + 2])
    expect(t.mmFeed).toMatchObject({ gaps: 1, resyncRequests: 1, awaitingResync: false })
    expect(t.feed.resyncs).toBe(1)
    // The members the lost batch named joined once, through the resync; nobody joined twice.
    expect((await n.events.getSnapshot()).context.members['member-join']).toBe(N + 2)
  }, 60_000)

  it('catches up after a restart from a persisted snapshot that predates most of the push/pull', async () => {
    const crashable = defineActor({
      ...memberManager,
      machine: (env) =>
        createMemberManagerMachine({
          ...env,
          send: (to, msg) => {
            if (msg.type === 'member.event' && (msg as unknown as MemberEventMsg).members.some((m) => m.name === 'crash-now')) throw new Error('crash on purpose')
            return env.send(to, msg)
          },
        }),
    }) as typeof memberManager
    const N = 5_000
    const n = await startNode({ count: N, mm: crashable, joinAtStart: false })
    await n.clock.advance(1_500) // persisted (throttle 1 s) with self only
    n.sw.send({ type: 'swim.join', addresses: [PEER_ADDRESS] })
    await n.clock.advance(10) // the push/pull; member-manager has every node, its snapshot at most the first batch
    expect((await n.tables()).counts.total).toBe(N + 2)
    n.mm.send({ type: 'member.node-joined', node: node('crash-now') })
    await n.clock.advance(200) // the crash, the restart (backoff 100 ms), the resync
    expect(n.systemEvents.filter((e) => e.type === 'actor.started' && e.actor === 'member-manager').at(-1)).toMatchObject({ restarts: 1, restored: true })
    const t = await n.tables()
    expect([t.swimNodes, t.counts.total, t.counts.alive]).toEqual([N + 2, N + 2, N + 2])
    expect(t.mmFeed).toMatchObject({ resyncRequests: 1, awaitingResync: false })
    expect(t.feed.resyncs).toBe(1)
  }, 60_000)
})
