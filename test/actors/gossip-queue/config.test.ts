/**
 * gossipQueueConfigFor: the gossip-queue config derived from swim's, so the two cannot disagree
 * on the retransmit multiplier or on the largest broadcast a packet can carry.
 */
import { describe, expect, it } from 'vitest'
import { createGossipQueueConfig, gossipQueueConfigFor } from '../../../actors/gossip-queue/config.ts'
import { QueueSet } from '../../../actors/gossip-queue/queue-set.ts'
import { SWIM_PRESETS, createSwimConfig } from '../../../actors/swim/config.ts'
import { COMPOUND_HEADER_OVERHEAD, COMPOUND_PART_OVERHEAD } from '../../../src/wire/compound.ts'
import { ENCRYPT_OVERHEAD } from '../../../src/wire/crypto.ts'
import { InvalidConfigError } from '../../../src/errors/index.ts'

describe('gossipQueueConfigFor', () => {
  it.each(Object.keys(SWIM_PRESETS) as Array<keyof typeof SWIM_PRESETS>)('takes retransmitMult from the swim %s preset', (preset) => {
    const swim = createSwimConfig({}, preset)
    const c = gossipQueueConfigFor({ retransmitMult: swim.retransmitMult, udpBufferSize: swim.udpBufferSize, encrypted: false })
    expect(c.retransmitMult).toBe(swim.retransmitMult)
  })

  it('gives a Local-preset node a multiplier of 2, where the plain default is 4', () => {
    const local = createSwimConfig({}, 'local')
    expect(local.retransmitMult).toBe(2)
    expect(createGossipQueueConfig().retransmitMult).toBe(4)
    expect(gossipQueueConfigFor({ retransmitMult: local.retransmitMult, udpBufferSize: local.udpBufferSize, encrypted: false }).retransmitMult).toBe(2)
  })

  it('leaves room for the compound header, one part length and, when encrypted, the sealing', () => {
    const plain = gossipQueueConfigFor({ retransmitMult: 4, udpBufferSize: 1400, encrypted: false })
    const sealed = gossipQueueConfigFor({ retransmitMult: 4, udpBufferSize: 1400, encrypted: true })
    expect(plain.maxMessageBytes).toBe(1400 - COMPOUND_HEADER_OVERHEAD - COMPOUND_PART_OVERHEAD)
    expect(plain.maxMessageBytes).toBe(createGossipQueueConfig().maxMessageBytes) // the plaintext default
    expect(sealed.maxMessageBytes).toBe(plain.maxMessageBytes - ENCRYPT_OVERHEAD)
    expect(sealed.maxMessageBytes).toBe(1367)
  })

  it('refuses at enqueue, counted, a broadcast that fits plaintext but not an encrypted packet', () => {
    const qs = new QueueSet(gossipQueueConfigFor({ retransmitMult: 4, udpBufferSize: 1400, encrypted: true }))
    expect(qs.enqueue({ queue: 'memberlist', message: new Uint8Array(1367), name: 'fits' })).toBe(true)
    expect(qs.enqueue({ queue: 'memberlist', message: new Uint8Array(1368), name: 'too-long', notify: { to: 'swim', id: 'b1' } })).toBe(false)
    expect(qs.stats().memberlist).toMatchObject({ depth: 1, oversized: 1 })
    expect(qs.drainNotifications()).toEqual([{ to: 'swim', msg: { type: 'gossip.broadcast-finished', queue: 'memberlist', id: 'b1', outcome: 'pruned' } }])
    // The largest accepted one fits the fill swim makes for an encrypted gossip packet.
    const budget = 1400 - COMPOUND_HEADER_OVERHEAD - ENCRYPT_OVERHEAD
    expect(qs.fill(COMPOUND_PART_OVERHEAD, budget).parts).toHaveLength(1)
  })

  it('keeps the other fields from init, but never lets init override what comes from swim', () => {
    const c = gossipQueueConfigFor({ retransmitMult: 2, udpBufferSize: 1400, encrypted: false }, { maxQueueDepth: 100, retransmitMult: 9, maxMessageBytes: 5000 })
    expect(c).toMatchObject({ maxQueueDepth: 100, hardMaxDepth: 200, retransmitMult: 2, maxMessageBytes: 1396 })
  })

  it('floors the retransmit limit at two gossip ticks (2 x gossipNodes) when swim gives gossipNodes', () => {
    const local = createSwimConfig({}, 'local')
    const c = gossipQueueConfigFor({ retransmitMult: local.retransmitMult, udpBufferSize: local.udpBufferSize, gossipNodes: local.gossipNodes, encrypted: false })
    expect(c.minRetransmits).toBe(2 * local.gossipNodes)
    // Local, 9 members: memberlist's 2 × ceil(log10(10)) = 2 is raised to 6; 100 members keep their 2 × 3 = 6.
    const qs = new QueueSet(c)
    qs.setClusterSize('serf', 9)
    qs.setClusterSize('memberlist', 9)
    expect(qs.stats()['serf-event'].retransmitLimit).toBe(6)
    expect(qs.stats().memberlist.retransmitLimit).toBe(6)
    qs.setClusterSize('serf', 1000)
    expect(qs.stats()['serf-event'].retransmitLimit).toBe(8)
    // Without gossipNodes (or set by init) memberlist's formula alone, or the given floor.
    expect(gossipQueueConfigFor({ retransmitMult: 2, udpBufferSize: 1400, encrypted: false }).minRetransmits).toBe(0)
    expect(gossipQueueConfigFor({ retransmitMult: 2, udpBufferSize: 1400, gossipNodes: 3, encrypted: false }, { minRetransmits: 0 }).minRetransmits).toBe(0)
    expect(createGossipQueueConfig().minRetransmits).toBe(0)
  })

  it("tells a waiter at memberlist's limit, and keeps the broadcast queued to the floor (fills and lease reports)", () => {
    const c = gossipQueueConfigFor({ retransmitMult: 4, udpBufferSize: 1400, gossipNodes: 3, encrypted: false })
    const finished = (qs: QueueSet) => qs.drainNotifications().map((n) => n.msg)
    // By fills: told after the 4th (LAN, 5 members), sent 6 times, told once.
    const a = new QueueSet(c)
    a.setClusterSize('serf', 5)
    a.enqueue({ queue: 'serf-intent', message: Uint8Array.of(1, 2, 3), name: 'leave', notify: { to: 'mm', id: 'w1' } })
    for (let i = 0; i < 3; i++) expect(a.fill(2, 1400).parts).toHaveLength(1)
    expect(finished(a)).toEqual([])
    expect(a.fill(2, 1400).parts).toHaveLength(1)
    expect(finished(a)).toEqual([{ type: 'gossip.broadcast-finished', queue: 'serf-intent', id: 'w1', outcome: 'transmitted' }])
    expect(a.depth('serf-intent')).toBe(1)
    for (let i = 0; i < 2; i++) expect(a.fill(2, 1400).parts).toHaveLength(1)
    expect(a.fill(2, 1400).parts).toHaveLength(0)
    expect(a.depth('serf-intent')).toBe(0)
    expect(finished(a)).toEqual([])
    expect(a.stats()['serf-intent']).toMatchObject({ transmits: 6, finished: 1 })
    // By a lease report of 4 sends, then one of 2.
    const b = new QueueSet(c)
    b.setClusterSize('serf', 5)
    b.enqueue({ queue: 'serf-intent', message: Uint8Array.of(1, 2, 3), name: 'leave', notify: { to: 'mm', id: 'w2' } })
    const { epoch, entries } = b.lease()
    b.applySent({ type: 'gossip.sent', epoch, report: 1, sent: [[entries[0]!.id, 4]], room: {} })
    expect(finished(b)).toEqual([{ type: 'gossip.broadcast-finished', queue: 'serf-intent', id: 'w2', outcome: 'transmitted' }])
    expect(b.depth('serf-intent')).toBe(1)
    b.applySent({ type: 'gossip.sent', epoch, report: 2, sent: [[entries[0]!.id, 2]], room: {} })
    expect(b.depth('serf-intent')).toBe(0)
    expect(finished(b)).toEqual([])
  })

  it.each([-1, 65, 1.5, '6'])('refuses minRetransmits %o naming the field', (v) => {
    expect(() => createGossipQueueConfig({ minRetransmits: v as number })).toThrow(InvalidConfigError)
    expect(() => createGossipQueueConfig({ minRetransmits: v as number })).toThrow('gossipQueue.minRetransmits')
  })

  it.each([
    [{ retransmitMult: 0, udpBufferSize: 1400, encrypted: false }, 'swim.retransmitMult'],
    [{ retransmitMult: 4, udpBufferSize: 0, encrypted: false }, 'swim.udpBufferSize'],
    [{ retransmitMult: 4, udpBufferSize: 33, encrypted: true }, 'swim.udpBufferSize'],
    [{ retransmitMult: 4, udpBufferSize: 1400, encrypted: 'yes' as unknown as boolean }, 'swim.encrypted'],
  ])('rejects %o naming the field', (swim, field) => {
    expect(() => gossipQueueConfigFor(swim)).toThrow(InvalidConfigError)
    expect(() => gossipQueueConfigFor(swim)).toThrow(field)
  })
})
