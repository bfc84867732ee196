import { describe, expect, it } from 'vitest'
import { createActor, type Actor } from 'xstate'
import { createGossipQueueMachine, type GossipQueueMachine } from '../../../actors/gossip-queue/machine.ts'
import type { FillReply, GossipQueueName, StatsReply } from '../../../actors/gossip-queue/protocol.ts'
import { fakeEnv } from './fake-env.ts'

function start(config = {}, known?: string[]) {
  const f = fakeEnv('gossip-queue', 1, known)
  const actor = createActor(createGossipQueueMachine(f.env), { clock: f.clock, input: { config } }).start()
  const depth = (queue: GossipQueueName): number => {
    const t = f.ask<StatsReply>()
    actor.send({ type: 'gossip.stats', replyTo: t })
    return f.replyFor(t)!.queues[queue].depth
  }
  return { ...f, actor, depth }
}

describe('gossip-queue machine', () => {
  it('answers a fill with enqueued broadcasts, memberlist first and Serf prefixed', () => {
    const { actor, ask, replyFor } = start()
    actor.send({ type: 'gossip.cluster-size', source: 'memberlist', numNodes: 3 })
    actor.send({ type: 'gossip.cluster-size', source: 'serf', numNodes: 3 })
    actor.send({ type: 'gossip.enqueue', broadcast: { queue: 'serf-intent', message: Uint8Array.of(1, 0x80), unique: true } })
    actor.send({ type: 'gossip.enqueue', broadcast: { queue: 'memberlist', message: Uint8Array.of(4, 0x80), name: 'a' } })
    const token = ask<FillReply>()
    actor.send({ type: 'gossip.fill', overheadBytes: 2, limitBytes: 1398, replyTo: token })
    expect(replyFor(token)).toEqual({ type: 'gossip.filled', parts: [Uint8Array.of(4, 0x80), Uint8Array.of(8, 1, 0x80)], usedBytes: 9 })
    actor.stop()
  })

  it('uses the cluster size it was last told, per source', () => {
    const { actor, ask, replyFor } = start()
    actor.send({ type: 'gossip.cluster-size', source: 'serf', numNodes: 120 })
    const token = ask<StatsReply>()
    actor.send({ type: 'gossip.stats', replyTo: token })
    const s = replyFor(token)!
    expect(s.queues['serf-event'].retransmitLimit).toBe(12)
    // Not told yet: the floor (1 node), never a limit of 0.
    expect(s.queues.memberlist).toMatchObject({ retransmitLimit: 4, numNodes: 0, sizeKnown: false })
    expect(actor.getSnapshot().context.clusterSizes).toEqual({ memberlist: null, serf: 120 })
    actor.stop()
  })

  it('notifies the waiting actor when its broadcast has been transmitted', () => {
    const { actor, sentOf } = start({ retransmitMult: 1 })
    actor.send({ type: 'gossip.cluster-size', source: 'serf', numNodes: 1 })
    actor.send({ type: 'gossip.enqueue', broadcast: { queue: 'serf-intent', message: Uint8Array.of(0, 0x80), unique: true, notify: { to: 'member-manager', id: 'leave-7' } } })
    expect(sentOf('gossip.broadcast-finished')).toEqual([])
    actor.send({ type: 'gossip.fill', overheadBytes: 2, limitBytes: 100 })
    expect(sentOf('gossip.broadcast-finished')).toEqual([
      { to: 'member-manager', msg: { type: 'gossip.broadcast-finished', queue: 'serf-intent', id: 'leave-7', outcome: 'transmitted' } },
    ])
    actor.stop()
  })

  it('counts notifications that have no receiver', () => {
    const { actor } = start({}, [])
    actor.send({ type: 'gossip.enqueue', broadcast: { queue: 'memberlist', message: Uint8Array.of(4), name: 'x', notify: { to: 'nobody', id: '1' } } })
    actor.send({ type: 'gossip.reset' })
    expect(actor.getSnapshot().context.undeliveredNotifications).toBe(1)
    actor.stop()
  })

  it('prunes on the queue check timer of the actor clock and warns', () => {
    const { actor, clock, logs, ask, replyFor, depth } = start({ maxQueueDepth: 5, queueDepthWarning: 4, queueCheckIntervalMs: 30_000 })
    for (let i = 0; i < 10; i++) actor.send({ type: 'gossip.enqueue', broadcast: { queue: 'serf-event', message: Uint8Array.of(3, i), unique: true } })
    clock.advanceSync(29_999)
    expect(depth('serf-event')).toBe(10) // hard bound 2 x 5 not reached
    clock.advanceSync(1)
    expect(depth('serf-event')).toBe(5)
    expect(logs.some((l) => l.level === 'warn' && l.msg === 'gossip queue depth warning')).toBe(true)
    // And again on the next interval (the timer re-arms).
    for (let i = 0; i < 3; i++) actor.send({ type: 'gossip.enqueue', broadcast: { queue: 'serf-event', message: Uint8Array.of(3, i), unique: true } })
    clock.advanceSync(30_000)
    const token = ask<StatsReply>()
    actor.send({ type: 'gossip.stats', replyTo: token })
    expect(replyFor(token)!.queues['serf-event']).toMatchObject({ depth: 5, pruned: 8, enqueued: 13 })
    actor.stop()
  })

  it('re-arms the check timer after a restore and drops everything on shutdown', () => {
    const { actor, clock, sentOf, depth } = start({ maxQueueDepth: 1, queueCheckIntervalMs: 1000 })
    actor.send({ type: 'runtime.restored', at: 0, restarts: 1 })
    for (let i = 0; i < 3; i++) actor.send({ type: 'gossip.enqueue', broadcast: { queue: 'memberlist', message: Uint8Array.of(4, i), notify: { to: 'swim', id: String(i) } } })
    clock.advanceSync(1000)
    expect(depth('memberlist')).toBe(1)
    actor.send({ type: 'runtime.shutdown' })
    expect(actor.getSnapshot().status).toBe('done')
    expect(sentOf('gossip.broadcast-finished').map((s) => (s.msg as unknown as { outcome: string }).outcome)).toEqual(['pruned', 'pruned', 'pruned'])
  })
})

describe('gossip-queue context', () => {
  it('is the core state; its persisted projection keeps sizes, counters and waiters but not the broadcasts', () => {
    const { actor } = start()
    actor.send({ type: 'gossip.cluster-size', source: 'memberlist', numNodes: 7 })
    actor.send({ type: 'gossip.enqueue', broadcast: { queue: 'memberlist', message: new Uint8Array(500), name: 'a', notify: { to: 'swim', id: 'alive-a' } } })
    const live = actor.getSnapshot().context
    expect([...live.queues.memberlist.items.byEntry.values()].map((i) => i.message.length)).toEqual([500])
    const persisted = JSON.stringify(actor.getPersistedSnapshot())
    expect(persisted.length).toBeLessThan(2000) // the 500 bytes are not in it
    const copy = (JSON.parse(persisted) as { context: typeof live }).context
    expect(copy.clusterSizes).toEqual({ memberlist: 7, serf: null })
    expect(copy.queues.memberlist.items).toMatchObject({ size: 1, counters: { enqueued: 1 } })
    expect(copy.queues.memberlist.items.tiers).toBeUndefined()
    expect(Object.values(copy.queues.memberlist.waiting)).toEqual([{ to: 'swim', id: 'alive-a' }])
    expect(structuredClone(live).queues.memberlist.items.tiers).toBeUndefined()
    actor.stop()
  })


  it('is plain data that survives structured clone (the runtime copies it across threads)', () => {
    const { actor } = start()
    actor.send({ type: 'gossip.enqueue', broadcast: { queue: 'memberlist', message: Uint8Array.of(4, 1), name: 'a' } })
    expect(() => structuredClone(actor.getSnapshot().context)).not.toThrow()
    actor.stop()
  })
})

describe('gossip-queue restore (supervised restart, driven by hand here; test/actors/gossip-queue/restart.test.ts goes through the runtime)', () => {
  const fillCount = (actor: Actor<GossipQueueMachine>, f: Pick<ReturnType<typeof fakeEnv>, 'ask' | 'replyFor'>) => {
    const t = f.ask<FillReply>()
    actor.send({ type: 'gossip.fill', overheadBytes: 2, limitBytes: 1398, replyTo: t })
    return f.replyFor(t)!.parts.length
  }

  it('keeps the cluster sizes, starts with empty queues, counts the lost broadcasts and tells their waiters', () => {
    const f = start({}, ['member-manager'])
    const { actor, sentOf } = f
    actor.send({ type: 'gossip.cluster-size', source: 'memberlist', numNodes: 500 })
    actor.send({ type: 'gossip.cluster-size', source: 'serf', numNodes: 5 })
    actor.send({ type: 'gossip.enqueue', broadcast: { queue: 'memberlist', message: Uint8Array.of(4, 1), name: 'a' } })
    actor.send({ type: 'gossip.enqueue', broadcast: { queue: 'serf-intent', message: Uint8Array.of(1, 1), unique: true, notify: { to: 'member-manager', id: 'leave-1' } } })
    actor.send({ type: 'runtime.restored', at: 0, restarts: 1 })
    const t = f.ask<StatsReply>()
    actor.send({ type: 'gossip.stats', replyTo: t })
    const s = f.replyFor(t)!.queues
    expect(s.memberlist).toMatchObject({ depth: 0, retransmitLimit: 12, numNodes: 500, sizeKnown: true, enqueued: 0 })
    expect(s['serf-intent']).toMatchObject({ depth: 0, retransmitLimit: 4, numNodes: 5, sizeKnown: true })
    expect(actor.getSnapshot().context).toMatchObject({ restarts: 1, lostOnRestart: 2, restartsUncounted: 0 })
    expect(sentOf('gossip.broadcast-finished')).toEqual([
      { to: 'member-manager', msg: { type: 'gossip.broadcast-finished', queue: 'serf-intent', id: 'leave-1', outcome: 'pruned' } },
    ])
    actor.stop()
  })

  it('restores the sizes in a new machine (a new thread) from the persisted snapshot, JSON and all', () => {
    const first = start()
    first.actor.send({ type: 'gossip.cluster-size', source: 'memberlist', numNodes: 50 })
    first.actor.send({ type: 'gossip.enqueue', broadcast: { queue: 'memberlist', message: Uint8Array.of(4, 1), name: 'a' } })
    const persisted = JSON.parse(JSON.stringify(first.actor.getPersistedSnapshot())) as unknown
    first.actor.stop()

    const f = fakeEnv('gossip-queue', 1)
    const actor = createActor(createGossipQueueMachine(f.env), { clock: f.clock, input: { config: {} }, snapshot: persisted as never }).start()
    actor.send({ type: 'runtime.restored', at: 0, restarts: 1 })
    // The record carries the queues (the context is the core's state): the broadcast queued before
    // the restart is counted from it, even through JSON, not lost uncounted.
    expect(actor.getSnapshot().context).toMatchObject({ clusterSizes: { memberlist: 50, serf: null }, lostOnRestart: 1, restartsUncounted: 0 })
    // Limit 8 (50 nodes): a broadcast enqueued after the restart goes out 8 times, not once.
    actor.send({ type: 'gossip.enqueue', broadcast: { queue: 'memberlist', message: Uint8Array.of(4, 2), name: 'b' } })
    const counts = Array.from({ length: 9 }, () => fillCount(actor, f))
    expect(counts).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0])
    actor.stop()
  })

  it('counts a restart as uncounted when the restored queues cannot be read', () => {
    const first = start()
    first.actor.send({ type: 'gossip.cluster-size', source: 'memberlist', numNodes: 50 })
    const persisted = JSON.parse(JSON.stringify(first.actor.getPersistedSnapshot())) as { context: { queues: unknown } }
    first.actor.stop()
    persisted.context.queues = { memberlist: 'garbage' }
    const f = fakeEnv('gossip-queue', 1)
    const actor = createActor(createGossipQueueMachine(f.env), { clock: f.clock, input: { config: {} }, snapshot: persisted as never }).start()
    actor.send({ type: 'runtime.restored', at: 0, restarts: 1 })
    expect(actor.getSnapshot().context).toMatchObject({ clusterSizes: { memberlist: 50, serf: null }, lostOnRestart: 0, restartsUncounted: 1 })
    expect(f.logs.some((l) => l.level === 'warn' && /could not be read/.test(l.msg ?? ''))).toBe(true)
    // The queues work again: a broadcast goes out 8 times (limit for 50 nodes).
    actor.send({ type: 'gossip.enqueue', broadcast: { queue: 'memberlist', message: Uint8Array.of(4, 2), name: 'b' } })
    expect(Array.from({ length: 9 }, () => fillCount(actor, f))).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0])
    actor.stop()
  })

  it('serves a message that arrives before runtime.restored from queues built with the restored sizes', () => {
    const first = start()
    first.actor.send({ type: 'gossip.cluster-size', source: 'serf', numNodes: 20 })
    const persisted = first.actor.getPersistedSnapshot()
    first.actor.stop()
    const f = fakeEnv('gossip-queue', 1)
    const actor = createActor(createGossipQueueMachine(f.env), { clock: f.clock, input: {}, snapshot: persisted }).start()
    const t = f.ask<StatsReply>()
    actor.send({ type: 'gossip.stats', replyTo: t })
    expect(f.replyFor(t)!.queues['serf-event']).toMatchObject({ retransmitLimit: 8, numNodes: 20 })
    actor.stop()
  })

  it('transmits retransmitMult times when no size was ever told (the floor), not once', () => {
    const f = start({ retransmitMult: 3 })
    f.actor.send({ type: 'gossip.enqueue', broadcast: { queue: 'serf-event', message: Uint8Array.of(3, 1), unique: true } })
    expect(Array.from({ length: 4 }, () => fillCount(f.actor, f))).toEqual([1, 1, 1, 0])
    f.actor.stop()
  })

  it('drops at the queue check a broadcast no fill had room for, and tells its waiter', () => {
    const f = start({ queueCheckIntervalMs: 1000 })
    f.actor.send({ type: 'gossip.enqueue', broadcast: { queue: 'memberlist', message: new Uint8Array(1380), name: 'big', notify: { to: 'swim', id: 'big' } } })
    const t = f.ask<FillReply>()
    f.actor.send({ type: 'gossip.fill', overheadBytes: 2, limitBytes: 1400 - 2 - 29, replyTo: t })
    expect(f.replyFor(t)!.parts).toEqual([])
    f.clock.advanceSync(1000)
    expect(f.sentOf('gossip.broadcast-finished').map((s) => s.msg)).toEqual([{ type: 'gossip.broadcast-finished', queue: 'memberlist', id: 'big', outcome: 'pruned' }])
    expect(f.logs.some((l) => l.level === 'warn' && (l.obj as { unsendable?: unknown }).unsendable !== undefined)).toBe(true)
    const s = f.ask<StatsReply>()
    f.actor.send({ type: 'gossip.stats', replyTo: s })
    expect(f.replyFor(s)!.queues.memberlist).toMatchObject({ depth: 0, unsendable: 1, pruned: 1 })
    f.actor.stop()
  })
})

describe('gossip-queue reads', () => {
  it('answers a stats ask without a new context (nothing to persist)', () => {
    const { actor, ask, replyFor } = start()
    actor.send({ type: 'gossip.enqueue', broadcast: { queue: 'memberlist', message: Uint8Array.of(4, 1), name: 'a' } })
    const before = actor.getSnapshot().context
    const t = ask<StatsReply>()
    actor.send({ type: 'gossip.stats', replyTo: t })
    expect(replyFor(t)!.queues.memberlist.depth).toBe(1)
    expect(actor.getSnapshot().context).toBe(before)
    actor.stop()
  })
})
