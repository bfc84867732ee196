/**
 * gossip-queue's persist policy (actors/gossip-queue/persist-policy.ts): what a restart needs (the
 * sizes, the subscriber, each queue's size and waiters, the counts of losses) persists in the turn
 * that changed it; the counters at most once per GOSSIP_PERSIST_THROTTLE_MS. Before, every turn with
 * a change persisted, and most turns of a join burst are swim's `gossip.sent` reports that only
 * count transmits.
 *
 * The real definition (with a crash hook) inline in an ActorSystem on the simulated clock, with a
 * snapshot store that records every save.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ActorSystem, memorySnapshotStore } from '../../../src/runtime/index.ts'
import type { PersistedRecord, SnapshotStore, SystemEvent } from '../../../src/runtime/index.ts'
import { SimulatedClock } from '../../../src/runtime/simulated-clock.ts'
import type { GossipQueueContext } from '../../../actors/gossip-queue/machine.ts'
import type { LeaseSentMsg } from '../../../actors/gossip-queue/protocol.ts'
import { GOSSIP_PERSIST_THROTTLE_MS, gossipUrgentKey } from '../../../actors/gossip-queue/persist-policy.ts'
import { gossipQueue } from '../../../actors/gossip-queue/definition.ts'
import { CRASH, crashableGossipQueue, trigger } from './support/crashable.ts'

let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown({ drainTimeoutMs: 1000 })
  system = undefined
})

/** A memory store that also keeps every record saved, in order. */
function recordingStore(): SnapshotStore & { saved: Array<{ at: number; context: GossipQueueContext }> } {
  const inner = memorySnapshotStore()
  const saved: Array<{ at: number; context: GossipQueueContext }> = []
  return {
    saved,
    load: (id) => inner.load(id),
    delete: (id) => inner.delete(id),
    save: (id, r: PersistedRecord) => {
      saved.push({ at: r.at, context: structuredClone((r.snapshot as { context: GossipQueueContext }).context) })
      inner.save(id, r)
    },
  }
}

async function start() {
  const clock = new SimulatedClock()
  const store = recordingStore()
  const events: SystemEvent[] = []
  system = await ActorSystem.start({ logLevel: 'silent', clock, snapshotStore: store, supervision: { backoffMs: 1 } })
  system.on((e) => events.push(e))
  const gq = await system.spawn(crashableGossipQueue, { id: 'gossip-queue', placement: 'inline' })
  const context = async () => (await gq.getSnapshot()).context as GossipQueueContext
  const restarted = () => events.some((e) => e.type === 'actor.started' && e.actor === 'gossip-queue' && e.restarts === 1)
  return { clock, store, gq, context, restarted }
}

const alive = (i: number) => Uint8Array.of(4, 0x80, i)

describe('gossip-queue persist policy', () => {
  it('is the definition the agent runs', () => {
    expect(gossipQueue.persist).toMatchObject({ version: 2, throttleMs: GOSSIP_PERSIST_THROTTLE_MS, urgentKey: gossipUrgentKey })
  })

  it('reports that only count transmits persist at most once per window; a size change, an enqueue and a waiter persist at once; a crash counts every queued broadcast', async () => {
    const { clock, store, gq, context, restarted } = await start()
    gq.send({ type: 'gossip.cluster-size', source: 'memberlist', numNodes: 10 }) // limit 8 (retransmitMult 4 × 2)
    gq.send({ type: 'gossip.enqueue', broadcast: { queue: 'memberlist', message: alive(1), name: 'a' } })
    gq.send({ type: 'gossip.enqueue', broadcast: { queue: 'memberlist', message: alive(2), name: 'b', notify: { to: 'nobody', id: 'w-b' } } })
    await gq.ask({ type: 'gossip.stats' })
    const c0 = await context()
    expect(c0.queues.memberlist.items.size).toBe(2)
    // The enqueues persisted in their own turn: the last record holds both and the waiter.
    expect(store.saved.at(-1)!.context.queues.memberlist).toMatchObject({ items: { size: 2 }, waiting: { '1': { to: 'nobody', id: 'w-b' } } })
    const saves = store.saved.length

    // Reports that hand entries out below the limit: counted, not persisted (every one was before).
    const report = (n: number, sent: Array<[number, number]>): LeaseSentMsg => ({ type: 'gossip.sent', epoch: c0.lease.epoch, report: n, sent, room: {} })
    for (let n = 1; n <= 3; n++) gq.send(report(n, [[0, 1], [1, 1]]))
    await gq.ask({ type: 'gossip.stats' })
    expect((await context()).queues.memberlist.items.counters.transmits).toBe(6)
    expect(store.saved.length).toBe(saves)

    // A report that finishes entry 0 (8 transmits: the limit) changes the queue's size: persisted now.
    gq.send(report(4, [[0, 5]]))
    await gq.ask({ type: 'gossip.stats' })
    expect(store.saved.length).toBe(saves + 1)
    expect(store.saved.at(-1)!.context.queues.memberlist.items).toMatchObject({ size: 1, counters: { transmits: 11, finished: 1 } })
    expect(store.saved.at(-1)!.at).toBeLessThan(GOSSIP_PERSIST_THROTTLE_MS)

    // Past the window, the next counting turn persists the counters.
    gq.send(report(5, [[1, 1]]))
    await gq.ask({ type: 'gossip.stats' })
    expect(store.saved.length).toBe(saves + 1)
    await clock.advance(GOSSIP_PERSIST_THROTTLE_MS)
    gq.send(report(6, [[1, 1]]))
    await gq.ask({ type: 'gossip.stats' })
    expect(store.saved.length).toBe(saves + 2)
    expect(store.saved.at(-1)!.context.queues.memberlist.items.counters.transmits).toBe(13)

    // A crash restores from the last record: the one queued broadcast is counted lost, its waiter
    // told (to an unknown actor here, so the tell is counted undelivered), the size kept.
    gq.send(trigger(CRASH))
    for (let i = 0; i < 100 && !restarted(); i++) await clock.advance(1)
    expect(restarted()).toBe(true)
    await gq.ask({ type: 'gossip.stats' })
    expect(await context()).toMatchObject({ restarts: 1, lostOnRestart: 1, restartsUncounted: 0, undeliveredNotifications: 1, clusterSizes: { memberlist: 10 } })
  })

  it('a waiter told inside the window persists at once: a restart does not tell it again', async () => {
    const { store, gq, context } = await start()
    gq.send({ type: 'gossip.cluster-size', source: 'memberlist', numNodes: 3 })
    gq.send({ type: 'gossip.enqueue', broadcast: { queue: 'memberlist', message: alive(1), name: 'a', notify: { to: 'nobody', id: 'w-a' } } })
    gq.send({ type: 'gossip.enqueue', broadcast: { queue: 'memberlist', message: alive(2), name: 'b' } })
    await gq.ask({ type: 'gossip.stats' })
    const epoch = (await context()).lease.epoch
    // Invalidating 'a' by name: one in, one out (the size stays 2) and its waiter told 'invalidated'.
    gq.send({ type: 'gossip.enqueue', broadcast: { queue: 'memberlist', message: alive(3), name: 'a' } })
    gq.send({ type: 'gossip.sent', epoch, report: 1, sent: [[1, 1]], room: {} })
    await gq.ask({ type: 'gossip.stats' })
    expect(store.saved.at(-1)!.context.queues.memberlist).toMatchObject({ items: { size: 2 }, waiting: {} })
  })

  it('the key moves with each fact a restart needs, and not with the counters', async () => {
    const { gq, context } = await start()
    gq.send({ type: 'gossip.enqueue', broadcast: { queue: 'serf-event', message: alive(1) } })
    await gq.ask({ type: 'gossip.stats' })
    const c = await context()
    const key = (ctx: GossipQueueContext) => gossipUrgentKey({ value: 'running', context: ctx as never })
    const same = (a: readonly unknown[], b: readonly unknown[]) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]))
    const base = key(c)
    const counted = structuredClone(c)
    counted.queues['serf-event'].items.counters.transmits += 5
    counted.lease.stats.reportsApplied += 3
    counted.lease.version += 2
    expect(same(key(counted), base)).toBe(true)
    const variants: Array<(x: GossipQueueContext) => void> = [
      (x) => void (x.clusterSizes.serf = 7),
      (x) => void (x.lease.subscriber = 'swim'),
      (x) => void x.lease.nextEntry++,
      (x) => void x.queues['serf-event'].items.size--,
      (x) => void (x.queues['serf-query'].waiting['9'] = { to: 'a', id: 'b' }),
      (x) => void x.undeliveredNotifications++,
      (x) => void x.lostOnRestart++,
    ]
    for (const change of variants) {
      const x = structuredClone(c)
      change(x)
      expect(same(key(x), base)).toBe(false)
    }
  })
})
