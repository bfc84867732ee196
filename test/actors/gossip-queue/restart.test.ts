/**
 * gossip-queue under the runtime's supervisor, in both placements: a crash of the actor (thrown
 * inside its machine; support/crashable.ts) restarts it from its persisted snapshot, so the cluster
 * sizes swim and member-manager told it, and the retransmit limits that follow from them, survive.
 * The queued broadcasts do not (soft state) and are counted. In the worker placement the thread
 * itself can die; the system restarts it from the record the main thread keeps, which holds the
 * queues too (the context is the core's state), so even then the lost broadcasts are counted.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ActorSystem, memorySnapshotStore, type Placement, type SystemEvent } from '../../../src/runtime/index.ts'
import type { GossipQueueContext } from '../../../actors/gossip-queue/machine.ts'
import { CRASH, EXIT_THREAD, crashableGossipQueue, crashableVolatileGossipQueue, trigger } from './support/crashable.ts'

async function waitFor(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}

let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown({ drainTimeoutMs: 2000 })
  system = undefined
})

async function startSystem() {
  const store = memorySnapshotStore()
  const events: SystemEvent[] = []
  system = await ActorSystem.start({ logLevel: 'silent', snapshotStore: store, supervision: { backoffMs: 1 } })
  system.on((e) => events.push(e))
  const started = (restarts: number) => events.find((e) => e.type === 'actor.started' && e.actor === 'gossip-queue' && e.restarts === restarts)
  return { system, store, events, started }
}

const alive = (i: number) => Uint8Array.of(4, 0x80, i)

describe.each<Placement>(['inline', 'worker'])('gossip-queue supervised restart (%s)', (placement) => {
  it('keeps the cluster sizes and retransmit limits across a crash; the queued broadcasts are lost and counted', async () => {
    const { system: sys, started } = await startSystem()
    const gq = await sys.spawn(crashableGossipQueue, { id: 'gossip-queue', placement })
    gq.send({ type: 'gossip.cluster-size', source: 'memberlist', numNodes: 120 })
    gq.send({ type: 'gossip.cluster-size', source: 'serf', numNodes: 1000 })
    gq.send({ type: 'gossip.enqueue', broadcast: { queue: 'memberlist', message: alive(1), name: 'a' } })
    const before = (await gq.ask({ type: 'gossip.stats' })).queues
    expect(before.memberlist).toMatchObject({ retransmitLimit: 12, depth: 1 })
    expect(before['serf-event'].retransmitLimit).toBe(16)

    gq.send(trigger(CRASH))
    await waitFor(() => started(1) !== undefined)
    expect(started(1)).toMatchObject({ restored: true })

    const after = (await gq.ask({ type: 'gossip.stats' })).queues
    expect(after.memberlist).toMatchObject({ retransmitLimit: 12, numNodes: 120, sizeKnown: true, depth: 0 })
    expect(after['serf-intent']).toMatchObject({ retransmitLimit: 16, numNodes: 1000, sizeKnown: true })
    const ctx = (await gq.getSnapshot()).context as GossipQueueContext
    expect(ctx).toMatchObject({ restarts: 1, lostOnRestart: 1, restartsUncounted: 0, clusterSizes: { memberlist: 120, serf: 1000 } })

    // The limit is in use, not only reported: a broadcast enqueued now is handed out 12 times.
    gq.send({ type: 'gossip.enqueue', broadcast: { queue: 'memberlist', message: alive(2), name: 'b' } })
    const counts: number[] = []
    for (let i = 0; i < 13; i++) counts.push((await gq.ask({ type: 'gossip.fill', overheadBytes: 2, limitBytes: 1398 })).parts.length)
    expect(counts).toEqual([...Array<number>(12).fill(1), 0])
    expect((await gq.stats()).restarts).toBe(1)
  })

  it('keeps the sizes told after a first restart through a second one', async () => {
    const { system: sys, started } = await startSystem()
    const gq = await sys.spawn(crashableGossipQueue, { id: 'gossip-queue', placement })
    gq.send({ type: 'gossip.cluster-size', source: 'memberlist', numNodes: 9 })
    await gq.ask({ type: 'gossip.stats' })
    gq.send(trigger(CRASH))
    await waitFor(() => started(1) !== undefined)
    gq.send({ type: 'gossip.cluster-size', source: 'memberlist', numNodes: 10 }) // 4 → 8
    expect((await gq.ask({ type: 'gossip.stats' })).queues.memberlist.retransmitLimit).toBe(8)
    gq.send(trigger(CRASH))
    await waitFor(() => started(2) !== undefined)
    expect((await gq.ask({ type: 'gossip.stats' })).queues.memberlist).toMatchObject({ retransmitLimit: 8, numNodes: 10 })
  })
})

describe('gossip-queue restart without persistence (the control)', () => {
  it('forgets the sizes, and falls back to the floor limit (retransmitMult), never 0', async () => {
    const { system: sys, started } = await startSystem()
    const gq = await sys.spawn(crashableVolatileGossipQueue, { id: 'gossip-queue', placement: 'inline' })
    gq.send({ type: 'gossip.cluster-size', source: 'memberlist', numNodes: 120 })
    expect((await gq.ask({ type: 'gossip.stats' })).queues.memberlist.retransmitLimit).toBe(12)
    gq.send(trigger(CRASH))
    await waitFor(() => started(1) !== undefined)
    expect(started(1)).toMatchObject({ restored: false })
    expect((await gq.ask({ type: 'gossip.stats' })).queues.memberlist).toMatchObject({ retransmitLimit: 4, numNodes: 0, sizeKnown: false })
  })
})

describe('gossip-queue thread death (worker)', () => {
  it('comes back in a new thread with the sizes from the main thread record; the lost broadcasts are counted from it', async () => {
    const { system: sys, store, started } = await startSystem()
    const gq = await sys.spawn(crashableGossipQueue, { id: 'gossip-queue', placement: 'worker' })
    gq.send({ type: 'gossip.cluster-size', source: 'memberlist', numNodes: 300 })
    gq.send({ type: 'gossip.enqueue', broadcast: { queue: 'memberlist', message: alive(1), name: 'a' } })
    // The worker posts its persisted record to the main thread after the turn.
    const persisted = () => (store.records.get('gossip-queue')?.snapshot as { context?: GossipQueueContext } | undefined)?.context
    await waitFor(() => persisted()?.clusterSizes.memberlist === 300 && persisted()?.queues.memberlist.items.size === 1)

    gq.send(trigger(EXIT_THREAD))
    await waitFor(() => started(1) !== undefined)
    expect(started(1)).toMatchObject({ restored: true })
    expect((await gq.ask({ type: 'gossip.stats' })).queues.memberlist).toMatchObject({ retransmitLimit: 12, numNodes: 300, depth: 0 })
    // The record holds the queues (the context is the core's state): the loss is counted, not guessed.
    expect((await gq.getSnapshot()).context).toMatchObject({ restartsUncounted: 0, lostOnRestart: 1 })
  })
})
