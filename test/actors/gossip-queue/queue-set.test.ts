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

  it('counts the cluster as 1 node until a source tells its size (limit retransmitMult, never 0)', () => {
    const qs = new QueueSet(createGossipQueueConfig({ retransmitMult: 3 }))
    expect(qs.stats().memberlist).toMatchObject({ retransmitLimit: 3, numNodes: 0, sizeKnown: false })
    expect(qs.setClusterSize('serf', 150.7)).toBe(150)
    expect(qs.setClusterSize('memberlist', -1)).toBeUndefined()
    const s = qs.stats()
    expect(s['serf-query']).toMatchObject({ retransmitLimit: 9, numNodes: 150, sizeKnown: true })
    expect(s.memberlist).toMatchObject({ retransmitLimit: 3, sizeKnown: false })
  })

  describe('a broadcast no fill has room for', () => {
    // An encrypted node's gossip fill: 1,400 − 2 (compound header) − 29 (sealing), 2 bytes per part.
    const encryptedFill = (qs: QueueSet) => qs.fill(2, 1400 - 2 - 29)
    const setup = () => {
      const qs = new QueueSet(createGossipQueueConfig()) // plaintext default: 1,396 accepted
      qs.setClusterSize('memberlist', 10)
      qs.enqueue({ queue: 'memberlist', message: new Uint8Array(1380), name: 'big', notify: { to: 'swim', id: 'big' } })
      qs.enqueue({ queue: 'memberlist', message: new Uint8Array(60), name: 'small' })
      return qs
    }

    it('is skipped by the fill (smaller ones still go), then dropped at the check, counted and notified', () => {
      const qs = setup()
      for (let i = 0; i < 3; i++) expect(encryptedFill(qs).parts.map((p) => p.length)).toEqual([60])
      expect(qs.depth('memberlist')).toBe(2)
      const r = qs.check()
      expect(r.unsendable).toEqual({ memberlist: 1 })
      expect(r.pruned).toEqual({})
      expect(qs.stats().memberlist).toMatchObject({ depth: 1, pruned: 1, unsendable: 1 })
      expect(qs.drainNotifications()).toEqual([{ to: 'swim', msg: { type: 'gossip.broadcast-finished', queue: 'memberlist', id: 'big', outcome: 'pruned' } }])
    })

    it('stays while a fill since the last check had room for it, or when no fill came at all', () => {
      const qs = setup()
      expect(qs.check().unsendable).toEqual({}) // no fill yet: no evidence
      encryptedFill(qs)
      qs.fill(2, 1398) // a plaintext-sized fill: 1,396 of room
      expect(qs.check().unsendable).toEqual({})
      expect(qs.depth('memberlist')).toBe(2)
      // The window restarts at each check: only fills since the last one count.
      encryptedFill(qs)
      expect(qs.check().unsendable).toEqual({ memberlist: 1 })
    })

    it('judges a queue only by fills that drew on it, by the room of the whole fill', () => {
      const qs = new QueueSet(createGossipQueueConfig())
      qs.enqueue({ queue: 'serf-event', message: new Uint8Array(1000), unique: true })
      qs.enqueue({ queue: 'memberlist', message: new Uint8Array(1000), name: 'm' })
      qs.fill(2, 100, ['memberlist']) // the Serf queue was not asked: no verdict on it
      expect(qs.check().unsendable).toEqual({ memberlist: 1 })
      qs.enqueue({ queue: 'memberlist', message: new Uint8Array(900), name: 'n' })
      qs.enqueue({ queue: 'memberlist', message: new Uint8Array(900), name: 'o' })
      // Memberlist takes most of the room first, but the Serf message could have had the whole fill.
      expect(qs.fill(2, 1100, ['memberlist', 'serf-event']).parts.map((p) => p.length)).toEqual([900])
      expect(qs.check().unsendable).toEqual({})
      expect(qs.depth('serf-event')).toBe(1)
    })
  })

  it('abandon counts what a replaced set held and tells every waiter, without changing the set', () => {
    const qs = new QueueSet(createGossipQueueConfig())
    qs.enqueue({ queue: 'memberlist', message: bytes(4, 1), name: 'a', notify: { to: 'swim', id: 'alive-a' } })
    qs.enqueue({ queue: 'serf-intent', message: bytes(1, 1), unique: true, notify: { to: 'member-manager', id: 'leave' } })
    qs.enqueue({ queue: 'serf-event', message: bytes(3, 1), unique: true })
    expect(qs.abandon()).toEqual({ lost: { memberlist: 1, 'serf-intent': 1, 'serf-event': 1 }, total: 3 })
    expect(qs.drainNotifications().map((n) => [n.to, n.msg.id, n.msg.outcome])).toEqual([
      ['swim', 'alive-a', 'pruned'],
      ['member-manager', 'leave', 'pruned'],
    ])
    expect(qs.depth('memberlist')).toBe(1)
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
