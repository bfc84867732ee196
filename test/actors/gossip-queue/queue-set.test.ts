import { describe, expect, it } from 'vitest'
import { QueueSet } from '../../../actors/gossip-queue/queue-set.ts'
import { createGossipQueueConfig, queueDepthLimit } from '../../../actors/gossip-queue/config.ts'
import { InvalidConfigError } from '../../../src/errors/index.ts'

const bytes = (...b: number[]) => Uint8Array.from(b)

describe('QueueSet', () => {
  it('fills memberlist first, then intent, query and event queues, prefixing Serf messages with 0x08', () => {
    const qs = new QueueSet(createGossipQueueConfig())
    qs.setClusterSize('memberlist', 3)
    qs.setClusterSize('serf', 3)
    qs.enqueue({ queue: 'serf-event', message: bytes(3, 0xe0), unique: true })
    qs.enqueue({ queue: 'serf-intent', message: bytes(1, 0xa1), unique: true })
    qs.enqueue({ queue: 'memberlist', message: bytes(4, 0xb0), name: 'n1' })
    qs.enqueue({ queue: 'serf-query', message: bytes(4, 0xc0), unique: true })
    const { parts, usedBytes } = qs.fill(2, 1000)
    expect(parts).toEqual([bytes(4, 0xb0), bytes(8, 1, 0xa1), bytes(8, 4, 0xc0), bytes(8, 3, 0xe0)])
    expect(usedBytes).toBe(2 + 2 + 3 * (2 + 3))
  })

  it('charges the prefix against the budget so a Serf message that does not fit stays queued', () => {
    const qs = new QueueSet(createGossipQueueConfig())
    qs.setClusterSize('serf', 3)
    qs.enqueue({ queue: 'serf-intent', message: new Uint8Array(10).fill(1), unique: true })
    expect(qs.fill(2, 12).parts).toEqual([]) // needs 2 + 11
    expect(qs.fill(2, 13).parts).toHaveLength(1)
  })

  it('uses memberlist size for the memberlist queue and Serf size for the Serf queues', () => {
    const qs = new QueueSet(createGossipQueueConfig({ retransmitMult: 4 }))
    qs.setClusterSize('memberlist', 5)
    qs.setClusterSize('serf', 50)
    const s = qs.stats()
    expect(s.memberlist.retransmitLimit).toBe(4)
    expect(s['serf-intent'].retransmitLimit).toBe(8)
    expect(s['serf-event'].numNodes).toBe(50)
  })

  it('counts and refuses messages that could never fit a packet, notifying the waiter', () => {
    const qs = new QueueSet(createGossipQueueConfig({ maxMessageBytes: 100 }))
    expect(qs.enqueue({ queue: 'serf-intent', message: new Uint8Array(100), unique: true, notify: { to: 'member-manager', id: 'x' } })).toBe(false)
    expect(qs.enqueue({ queue: 'memberlist', message: new Uint8Array(0) })).toBe(false)
    expect(qs.enqueue({ queue: 'memberlist', message: new Uint8Array(100) })).toBe(true)
    expect(qs.stats()['serf-intent'].oversized).toBe(1)
    expect(qs.stats().memberlist.oversized).toBe(1)
    expect(qs.drainNotifications()).toEqual([{ to: 'member-manager', msg: { type: 'gossip.broadcast-finished', queue: 'serf-intent', id: 'x', outcome: 'pruned' } }])
  })

  it('notifies when a waited-for broadcast has been fully transmitted', () => {
    const qs = new QueueSet(createGossipQueueConfig({ retransmitMult: 1 }))
    qs.setClusterSize('serf', 1) // limit 1
    qs.enqueue({ queue: 'serf-intent', message: bytes(0, 1), unique: true, notify: { to: 'member-manager', id: 'leave-1' } })
    expect(qs.drainNotifications()).toEqual([])
    qs.fill(2, 100)
    expect(qs.drainNotifications()).toEqual([{ to: 'member-manager', msg: { type: 'gossip.broadcast-finished', queue: 'serf-intent', id: 'leave-1', outcome: 'transmitted' } }])
    expect(qs.drainNotifications()).toEqual([])
  })

  it('prunes to the Serf depth limit on check and reports queues at the warning depth', () => {
    const qs = new QueueSet(createGossipQueueConfig({ maxQueueDepth: 10, queueDepthWarning: 5 }))
    for (let i = 0; i < 20; i++) qs.enqueue({ queue: 'serf-event', message: bytes(3, i), unique: true })
    for (let i = 0; i < 3; i++) qs.enqueue({ queue: 'serf-intent', message: bytes(1, i), unique: true })
    const r = qs.check()
    expect(r.pruned).toEqual({ 'serf-event': 10 })
    expect(r.warnings).toEqual({ 'serf-event': 10 })
    expect(qs.stats()['serf-event']).toMatchObject({ depth: 10, pruned: 10, enqueued: 20 })
  })

  it('enforces the hard depth bound at enqueue', () => {
    const qs = new QueueSet(createGossipQueueConfig({ maxQueueDepth: 4, hardMaxDepth: 6 }))
    for (let i = 0; i < 9; i++) qs.enqueue({ queue: 'memberlist', message: bytes(4, i) })
    expect(qs.depth('memberlist')).toBe(6)
    expect(qs.stats().memberlist.pruned).toBe(3)
  })

  it('reset drops everything as pruned', () => {
    const qs = new QueueSet(createGossipQueueConfig())
    qs.enqueue({ queue: 'memberlist', message: bytes(4, 1), name: 'a' })
    qs.enqueue({ queue: 'serf-event', message: bytes(3, 1), unique: true })
    qs.reset()
    const s = qs.stats()
    expect(s.memberlist.depth + s['serf-event'].depth).toBe(0)
    expect(s.memberlist.pruned + s['serf-event'].pruned).toBe(2)
  })
})

describe('gossip-queue config', () => {
  it('defaults to memberlist LAN and Serf DefaultConfig values', () => {
    const c = createGossipQueueConfig()
    expect(c).toMatchObject({ retransmitMult: 4, maxQueueDepth: 4096, minQueueDepth: 0, queueCheckIntervalMs: 30_000, queueDepthWarning: 128 })
  })
  it.each([
    [{ retransmitMult: 0 }, 'gossipQueue.retransmitMult'],
    [{ maxQueueDepth: 1.5 }, 'gossipQueue.maxQueueDepth'],
    [{ minQueueDepth: -1 }, 'gossipQueue.minQueueDepth'],
    [{ maxQueueDepth: 100, hardMaxDepth: 50 }, 'gossipQueue.hardMaxDepth'],
  ])('rejects %o naming the field', (init, field) => {
    expect(() => createGossipQueueConfig(init)).toThrow(InvalidConfigError)
    expect(() => createGossipQueueConfig(init)).toThrow(field)
  })
  it('computes getQueueMax like Serf', () => {
    expect(queueDepthLimit(createGossipQueueConfig(), 10_000)).toBe(4096)
    expect(queueDepthLimit(createGossipQueueConfig({ minQueueDepth: 100 }), 10)).toBe(100)
    expect(queueDepthLimit(createGossipQueueConfig({ minQueueDepth: 100 }), 80)).toBe(160)
  })
})
