/**
 * The lease producer of gossip-queue (issue 11): `gossip.lease-subscribe` keeps the subscriber,
 * `gossip.lease` is pushed once per turn whenever what it holds changes, and `gossip.sent` reports
 * are applied as transmits exactly as fills would have counted them. Driven through the machine on
 * a hand-built env (fake-env.ts), the core (QueueSet) and the config.
 */
import { describe, expect, it } from 'vitest'
import { createActor } from 'xstate'
import { createGossipQueueMachine } from '../../../actors/gossip-queue/machine.ts'
import { QueueSet } from '../../../actors/gossip-queue/queue-set.ts'
import { createGossipQueueConfig, gossipQueueConfigFor } from '../../../actors/gossip-queue/config.ts'
import { gossipQueue } from '../../../actors/gossip-queue/definition.ts'
import type { LeaseMsg, LeaseSentMsg, StatsReply } from '../../../actors/gossip-queue/protocol.ts'
import { InvalidConfigError } from '../../../src/errors/index.ts'
import { fakeEnv } from './fake-env.ts'

/** Lets the turn's microtasks run (the lease is built at the end of the turn). */
const endOfTurn = () => new Promise<void>((r) => setImmediate(r))

function start(config = {}, known?: string[], seed = 1) {
  const f = fakeEnv('gossip-queue', seed, known)
  const actor = createActor(createGossipQueueMachine(f.env), { clock: f.clock, input: { config } }).start()
  const leases = () => f.sentOf('gossip.lease').map((s) => ({ to: s.to, lease: s.msg as unknown as LeaseMsg }))
  const lastLease = () => leases().at(-1)!.lease
  const stats = () => {
    const t = f.ask<StatsReply>()
    actor.send({ type: 'gossip.stats', replyTo: t })
    return f.replyFor(t)!.queues
  }
  return { ...f, actor, leases, lastLease, stats }
}

const alive = (i: number, len = 3) => {
  const m = new Uint8Array(len)
  m[0] = 4
  m[1] = i
  return m
}

const sent = (epoch: number, report: number, pairs: Array<[number, number]>, room: LeaseSentMsg['room'] = {}): LeaseSentMsg => ({ type: 'gossip.sent', epoch, report, sent: pairs, room })

describe('gossip-queue lease producer (machine)', () => {
  it('answers a subscription with a lease at once, and pushes one lease per turn however many changes it had', async () => {
    const f = start()
    f.actor.send({ type: 'gossip.lease-subscribe', to: 'swim' })
    await endOfTurn()
    expect(f.leases()).toHaveLength(1)
    expect(f.lastLease()).toMatchObject({ type: 'gossip.lease', appliedReport: 0, entries: [], leftOut: 0, limits: { memberlist: 4, 'serf-event': 4 } })
    const epoch = f.lastLease().epoch
    expect(epoch).toBeGreaterThan(0)
    for (let i = 0; i < 5; i++) f.actor.send({ type: 'gossip.enqueue', broadcast: { queue: 'memberlist', message: alive(i), name: `n${i}` } })
    f.actor.send({ type: 'gossip.enqueue', broadcast: { queue: 'serf-event', message: Uint8Array.of(3, 1), unique: true } })
    await endOfTurn()
    expect(f.leases()).toHaveLength(2) // 6 changes, 1 lease
    const lease = f.lastLease()
    expect(f.leases()[1]!.to).toBe('swim')
    expect(lease.version).toBeGreaterThan(f.leases()[0]!.lease.version)
    expect(lease.entries.map((e) => [e.queue, e.transmits])).toEqual([...Array(5).fill(['memberlist', 0]), ['serf-event', 0]])
    expect(lease.entries.at(-1)!.message).toEqual(Uint8Array.of(8, 3, 1)) // as a fill would hand it out
    // Queue order: same length, newest first.
    expect(lease.entries.slice(0, 5).map((e) => e.message[1])).toEqual([4, 3, 2, 1, 0])
    // Nothing changed: no lease.
    f.stats()
    await endOfTurn()
    expect(f.leases()).toHaveLength(2)
    f.actor.stop()
  })

  it('gives entry ids that are never reused in an epoch, invalidations included', async () => {
    const f = start()
    f.actor.send({ type: 'gossip.lease-subscribe', to: 'swim' })
    const ids = new Set<number>()
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 4; i++) f.actor.send({ type: 'gossip.enqueue', broadcast: { queue: 'memberlist', message: alive(i), name: `n${i}` } })
      await endOfTurn()
      for (const e of f.lastLease().entries) ids.add(e.id)
    }
    expect(ids.size).toBe(12)
    f.actor.stop()
  })

  it('applies a report as transmits: the broadcast finishes at its limit, its waiter is told, the lease follows', async () => {
    const f = start({ retransmitMult: 2 }) // limit 2 (1 node)
    f.actor.send({ type: 'gossip.lease-subscribe', to: 'swim' })
    f.actor.send({ type: 'gossip.enqueue', broadcast: { queue: 'serf-intent', message: Uint8Array.of(0, 1), unique: true, notify: { to: 'member-manager', id: 'leave' } } })
    await endOfTurn()
    const { epoch, entries } = f.lastLease()
    const id = entries[0]!.id
    f.actor.send(sent(epoch, 1, [[id, 1]]))
    await endOfTurn()
    expect(f.lastLease()).toMatchObject({ appliedReport: 1, entries: [{ id, transmits: 1 }] })
    expect(f.sentOf('gossip.broadcast-finished')).toEqual([])
    f.actor.send(sent(epoch, 2, [[id, 1]]))
    await endOfTurn()
    expect(f.lastLease()).toMatchObject({ appliedReport: 2, entries: [] })
    expect(f.sentOf('gossip.broadcast-finished').map((s) => [s.to, s.msg])).toEqual([['member-manager', { type: 'gossip.broadcast-finished', queue: 'serf-intent', id: 'leave', outcome: 'transmitted' }]])
    expect(f.stats()['serf-intent']).toMatchObject({ transmits: 2, finished: 1, depth: 0 })
    f.actor.stop()
  })

  it("marks a broadcast someone waits for with its tell limit (memberlist's, below the floor), and no other", async () => {
    const f = start({ retransmitMult: 2, minRetransmits: 6 }) // tell limit 2 (1 node), lease limit 6
    f.actor.send({ type: 'gossip.lease-subscribe', to: 'swim' })
    f.actor.send({ type: 'gossip.enqueue', broadcast: { queue: 'serf-intent', message: Uint8Array.of(0, 1), unique: true, notify: { to: 'member-manager', id: 'leave' } } })
    f.actor.send({ type: 'gossip.enqueue', broadcast: { queue: 'memberlist', message: alive(1), name: 'a' } })
    await endOfTurn()
    const lease = f.lastLease()
    expect(lease.limits['serf-intent']).toBe(6)
    const intent = lease.entries.find((e) => e.queue === 'serf-intent')!
    expect(intent.tellAt).toBe(2)
    expect(lease.entries.find((e) => e.queue === 'memberlist')!.tellAt).toBeUndefined()
    // Once its waiter was told, the entry stays queued to the floor without the mark.
    f.actor.send(sent(lease.epoch, 1, [[intent.id, 2]]))
    await endOfTurn()
    expect(f.sentOf('gossip.broadcast-finished')).toHaveLength(1)
    expect(f.lastLease().entries.find((e) => e.id === intent.id)).toMatchObject({ transmits: 2 })
    expect(f.lastLease().entries.find((e) => e.id === intent.id)!.tellAt).toBeUndefined()
    f.actor.stop()
  })

  it('counts and ignores reports of another epoch, stale and duplicated reports and unknown ids; applies past a gap', async () => {
    const f = start({ retransmitMult: 4 })
    f.actor.send({ type: 'gossip.lease-subscribe', to: 'swim' })
    f.actor.send({ type: 'gossip.enqueue', broadcast: { queue: 'memberlist', message: alive(1), name: 'a' } })
    await endOfTurn()
    const { epoch, entries } = f.lastLease()
    const id = entries[0]!.id
    f.actor.send(sent(epoch + 1, 1, [[id, 1]])) // another epoch
    f.actor.send(sent(epoch, 1, [[id, 1], [999, 2]])) // applied; 999 unknown
    f.actor.send(sent(epoch, 1, [[id, 1]])) // duplicate
    f.actor.send(sent(epoch, 4, [[id, 1]])) // 2 and 3 never came: applied, 2 missed
    f.actor.send(sent(epoch, 3, [[id, 1]])) // out of order: stale
    await endOfTurn()
    expect(f.actor.getSnapshot().context.lease.stats).toEqual({ reportsApplied: 2, reportsOtherEpoch: 1, reportsStale: 2, reportsMissed: 2, unknownIds: 1, overLimit: 0 })
    expect(f.stats().memberlist).toMatchObject({ transmits: 2, depth: 1 })
    expect(f.lastLease()).toMatchObject({ appliedReport: 4, entries: [{ id, transmits: 2 }] })
    f.actor.stop()
  })

  it("uses a report's room for the unsendable check, as it used fills' budgets", () => {
    const f = start({ queueCheckIntervalMs: 1000 })
    f.actor.send({ type: 'gossip.lease-subscribe', to: 'swim' })
    f.actor.send({ type: 'gossip.enqueue', broadcast: { queue: 'memberlist', message: new Uint8Array(1380), name: 'big', notify: { to: 'swim', id: 'big' } } })
    const epoch = f.actor.getSnapshot().context.lease.epoch
    f.actor.send(sent(epoch, 1, [], { memberlist: 1400 - 2 - 29 - 2 }))
    f.clock.advanceSync(1000)
    expect(f.sentOf('gossip.broadcast-finished').map((s) => s.msg)).toEqual([{ type: 'gossip.broadcast-finished', queue: 'memberlist', id: 'big', outcome: 'pruned' }])
    expect(f.stats().memberlist).toMatchObject({ depth: 0, unsendable: 1 })
    f.actor.stop()
  })

  it('keeps the subscriber through a restore and starts a new epoch, so old reports are void', async () => {
    const first = start()
    first.actor.send({ type: 'gossip.lease-subscribe', to: 'swim' })
    first.actor.send({ type: 'gossip.enqueue', broadcast: { queue: 'memberlist', message: alive(1), name: 'a' } })
    await endOfTurn()
    const old = first.lastLease()
    const persisted = structuredClone(first.actor.getPersistedSnapshot())
    first.actor.stop()

    const f = fakeEnv('gossip-queue', 1)
    const actor = createActor(createGossipQueueMachine(f.env), { clock: f.clock, input: {}, snapshot: persisted as never }).start()
    actor.send({ type: 'runtime.restored', at: 0, restarts: 1 })
    await endOfTurn()
    const lease = f.sentOf('gossip.lease').at(-1)!
    expect(lease.to).toBe('swim')
    expect((lease.msg as unknown as LeaseMsg).epoch).not.toBe(old.epoch)
    expect((lease.msg as unknown as LeaseMsg).entries).toEqual([])
    actor.send(sent(old.epoch, 1, [[old.entries[0]!.id, 1]]))
    expect(actor.getSnapshot().context.lease.stats.reportsOtherEpoch).toBe(1)
    expect(actor.getSnapshot().context).toMatchObject({ lostOnRestart: 1 })
    actor.stop()
  })

  it('draws its epoch from the runtime random source (seeded): another seed, another epoch', async () => {
    const a = start({}, undefined, 1)
    const b = start({}, undefined, 2)
    const a2 = start({}, undefined, 1)
    const epoch = (x: typeof a) => x.actor.getSnapshot().context.lease.epoch
    expect(epoch(a)).toBe(epoch(a2))
    expect(epoch(a)).not.toBe(epoch(b))
    for (const x of [a, b, a2]) x.actor.stop()
  })

  it('counts a lease its subscriber cannot receive', async () => {
    const f = start({}, [])
    f.actor.send({ type: 'gossip.lease-subscribe', to: 'nobody' })
    await endOfTurn()
    f.actor.send({ type: 'gossip.reset' }) // the next turn folds the count in
    expect(f.actor.getSnapshot().context.undeliveredNotifications).toBe(1)
    f.actor.stop()
  })

  it('keeps gossip.fill working beside the lease, and a fill changes the lease', async () => {
    const f = start()
    f.actor.send({ type: 'gossip.lease-subscribe', to: 'swim' })
    f.actor.send({ type: 'gossip.enqueue', broadcast: { queue: 'memberlist', message: alive(1), name: 'a' } })
    await endOfTurn()
    const t = f.ask()
    f.actor.send({ type: 'gossip.fill', overheadBytes: 2, limitBytes: 100, replyTo: t as never })
    expect(f.replyFor(t)).toMatchObject({ type: 'gossip.filled', usedBytes: 5 })
    await endOfTurn()
    expect(f.lastLease().entries[0]!.transmits).toBe(1)
    f.actor.stop()
  })
})

describe('gossip-queue lease bounds and limit changes (core)', () => {
  it('holds the front of each queue in queue order within leaseMaxEntries and leaseMaxBytes; the rest is counted as left out', () => {
    const qs = new QueueSet(createGossipQueueConfig({ maxMessageBytes: 100, leaseMaxEntries: 3, leaseMaxBytes: 100 }))
    for (let i = 0; i < 4; i++) qs.enqueue({ queue: 'memberlist', message: alive(i, 10 + i), unique: true })
    qs.enqueue({ queue: 'serf-event', message: Uint8Array.of(3, 1), unique: true })
    let lease = qs.lease()
    expect(lease.entries.map((e) => e.message.length)).toEqual([13, 12, 11]) // longest first
    expect(lease.leftOut).toBe(2)
    // Bytes: the memberlist front (60 + 50 > 100) stops that queue; the next queue gets the rest.
    const big = new QueueSet(createGossipQueueConfig({ maxMessageBytes: 100, leaseMaxEntries: 10, leaseMaxBytes: 100 }))
    big.enqueue({ queue: 'memberlist', message: new Uint8Array(60), unique: true })
    big.enqueue({ queue: 'memberlist', message: new Uint8Array(50), unique: true })
    big.enqueue({ queue: 'serf-intent', message: Uint8Array.of(1, 1), unique: true })
    lease = big.lease()
    expect(lease.entries.map((e) => [e.queue, e.message.length])).toEqual([['memberlist', 60], ['serf-intent', 3]])
    expect(lease.leftOut).toBe(1)
  })

  it('finishes a broadcast already transmitted as often as a lowered limit allows, so no lease offers it again', () => {
    const qs = new QueueSet(createGossipQueueConfig({ retransmitMult: 2 }))
    qs.setClusterSize('memberlist', 50) // limit 4
    qs.enqueue({ queue: 'memberlist', message: alive(1), name: 'a', notify: { to: 'swim', id: 'a' } })
    qs.enqueue({ queue: 'memberlist', message: alive(2, 5), name: 'b' })
    for (let i = 0; i < 3; i++) qs.fill(0, 3) // 'a' only (3 bytes; 'b' has 5): 3 transmits
    qs.setClusterSize('memberlist', 5) // limit 2: 'a' has had its sends
    expect(qs.drainNotifications()).toEqual([{ to: 'swim', msg: { type: 'gossip.broadcast-finished', queue: 'memberlist', id: 'a', outcome: 'transmitted' } }])
    expect(qs.lease().entries.map((e) => e.message[1])).toEqual([2])
    expect(qs.fill(0, 100).parts.map((p) => p[1])).toEqual([2])
    expect(qs.stats().memberlist).toMatchObject({ finished: 1, transmits: 4, depth: 1 })
  })
})

describe('gossip-queue lease config', () => {
  const refuses = (fn: () => unknown, field: string) => {
    expect(fn).toThrow(InvalidConfigError)
    try {
      fn()
    } catch (err) {
      expect((err as InvalidConfigError).details?.['field']).toBe(field)
    }
  }

  it('defaults to 512 entries and 4 LAN ticks of bytes (3 × 1,400 × 4)', () => {
    expect(createGossipQueueConfig()).toMatchObject({ leaseMaxEntries: 512, leaseMaxBytes: 16_800 })
  })

  it('sizes the lease from swim: 4 gossip ticks of gossipNodes × udpBufferSize, and refuses less than one tick', () => {
    expect(gossipQueueConfigFor({ retransmitMult: 4, udpBufferSize: 1400, encrypted: false, gossipNodes: 4 }).leaseMaxBytes).toBe(22_400)
    expect(gossipQueueConfigFor({ retransmitMult: 4, udpBufferSize: 1400, encrypted: false }).leaseMaxBytes).toBe(16_800)
    refuses(() => gossipQueueConfigFor({ retransmitMult: 4, udpBufferSize: 1400, encrypted: false, gossipNodes: 3 }, { leaseMaxBytes: 4000 }), 'gossipQueue.leaseMaxBytes')
    refuses(() => gossipQueueConfigFor({ retransmitMult: 4, udpBufferSize: 1400, encrypted: false, gossipNodes: -1 }), 'swim.gossipNodes')
  })

  it.each([
    [{ leaseMaxEntries: 0 }, 'gossipQueue.leaseMaxEntries'],
    [{ leaseMaxEntries: 1.5 }, 'gossipQueue.leaseMaxEntries'],
    [{ leaseMaxBytes: 1000 }, 'gossipQueue.leaseMaxBytes'], // below maxMessageBytes 1,396
    [{ leaseMaxBytes: 2 ** 40 }, 'gossipQueue.leaseMaxBytes'],
  ])('refuses %o naming the field', (init, field) => refuses(() => createGossipQueueConfig(init), field))
})

describe('gossip-queue lease messages at the mailbox (definition.validate)', () => {
  const validate = gossipQueue.validate!
  it.each([
    [{ type: 'gossip.lease-subscribe', to: '' }, /to must/],
    [{ type: 'gossip.sent', epoch: -1, report: 1, sent: [], room: {} }, /epoch/],
    [{ type: 'gossip.sent', epoch: 1, report: 0, sent: [], room: {} }, /report/],
    [{ type: 'gossip.sent', epoch: 1, report: 1, sent: 'x', room: {} }, /sent must be an array/],
    [{ type: 'gossip.sent', epoch: 1, report: 1, sent: [[1, 0]], room: {} }, /pairs/],
    [{ type: 'gossip.sent', epoch: 1, report: 1, sent: [[1]], room: {} }, /pairs/],
    [{ type: 'gossip.sent', epoch: 1, report: 1, sent: [], room: null }, /room must/],
    [{ type: 'gossip.sent', epoch: 1, report: 1, sent: [], room: { nope: 1 } }, /unknown queue/],
    [{ type: 'gossip.sent', epoch: 1, report: 1, sent: [], room: { memberlist: Number.NaN } }, /room values/],
    [{ type: 'gossip.sent', epoch: 1, report: 1, sent: Array.from({ length: 65_537 }, () => [1, 1]), room: {} }, /more than/],
  ])('refuses %#', (msg, reason) => {
    expect(validate(msg as never)).toMatch(reason)
  })
  it('accepts well-formed ones', () => {
    expect(validate({ type: 'gossip.lease-subscribe', to: 'swim' })).toBeUndefined()
    expect(validate({ type: 'gossip.sent', epoch: 7, report: 3, sent: [[0, 2]], room: { memberlist: 1396 } })).toBeUndefined()
  })
})
