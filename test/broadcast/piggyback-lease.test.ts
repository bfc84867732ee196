/**
 * The consumer side of the piggyback lease (src/broadcast/piggyback-lease.ts), on leases built by
 * hand: which lease it keeps, how it replays its own sends over a newer lease, when it stops
 * piggybacking, and what its reports say. The pick order against fill is the property test's
 * (lease-vs-fill.property.test.ts).
 */
import { describe, expect, it } from 'vitest'
import type { LeaseEntry, LeaseMsg } from '../../actors/gossip-queue/protocol.ts'
import { acceptLease, emptyLease, MAX_UNAPPLIED_REPORTS, pickForPacket, takeReport, type PiggybackLease } from '../../src/broadcast/piggyback-lease.ts'

const LIMITS = { memberlist: 3, 'serf-intent': 3, 'serf-query': 3, 'serf-event': 3 }

function entry(id: number, len: number, transmits = 0, seq = id, queue: LeaseEntry['queue'] = 'memberlist'): LeaseEntry {
  const message = new Uint8Array(len)
  message[0] = id
  return { id, queue, message, transmits, seq }
}

function lease(epoch: number, version: number, appliedReport: number, entries: LeaseEntry[], limits = LIMITS): LeaseMsg {
  return { type: 'gossip.lease', epoch, version, appliedReport, limits, entries, leftOut: 0 }
}

const ids = (parts: Uint8Array[]) => parts.map((p) => p[0])

describe('acceptLease', () => {
  it('ignores a lease older than the one held in the same epoch, and counts it', () => {
    let held = acceptLease(emptyLease(), lease(5, 2, 0, [entry(1, 10)]))
    held = acceptLease(held, lease(5, 1, 0, [entry(9, 10)]))
    expect(held.entries.map((e) => e.id)).toEqual([1])
    expect(held.counters).toMatchObject({ leases: 1, staleLeases: 1 })
  })

  it('replays the sends not yet applied over a newer lease, so a broadcast is never offered past its limit', () => {
    let held = acceptLease(emptyLease(), lease(5, 1, 0, [entry(1, 10)]))
    held = pickForPacket(held, 2, 100).held // sent once, unreported
    let r = takeReport(held) // report 1: {1: 1}
    held = pickForPacket(r.held, 2, 100).held // sent twice, one unreported
    // gossip-queue has applied nothing yet: its lease still says 0 transmits.
    held = acceptLease(held, lease(5, 2, 0, [entry(1, 10, 0)]))
    expect(held.entries[0]!.transmits).toBe(2)
    expect(ids(pickForPacket(held, 2, 100).parts)).toEqual([1]) // the third and last
    held = pickForPacket(held, 2, 100).held
    expect(pickForPacket(held, 2, 100).parts).toEqual([])
    // The lease that applied report 1: the unapplied report is dropped from the replay, the pending send stays.
    r = takeReport(held)
    held = acceptLease(r.held, lease(5, 3, 1, [entry(1, 10, 1)]))
    expect(held.unapplied.map((u) => u.report)).toEqual([2])
    expect(held.entries[0]!.transmits).toBe(3)
  })

  it('starts over on a new epoch: the old reports and sends are void', () => {
    let held = acceptLease(emptyLease(), lease(5, 7, 0, [entry(1, 10)]))
    held = takeReport(pickForPacket(held, 2, 100).held).held
    held = acceptLease(held, lease(6, 1, 0, [entry(1, 10)]))
    expect(held).toMatchObject({ epoch: 6, version: 1, lastReport: 0, unapplied: [], entries: [{ id: 1, transmits: 0 }] })
    expect(held.pending.size).toBe(0)
  })
})

describe('pickForPacket', () => {
  it('picks tier by tier, the largest that fits first (ties: newest), charging overhead per part, one entry once', () => {
    const held = acceptLease(emptyLease(), lease(1, 1, 0, [entry(1, 10, 0, 1), entry(2, 30, 0, 2), entry(3, 10, 0, 3), entry(4, 50, 1, 4), entry(5, 5, 0, 5, 'serf-event')]))
    const pick = pickForPacket(held, 2, 2 + 30 + 2 + 10 + 2 + 10 + 2 + 5)
    expect(ids(pick.parts)).toEqual([2, 3, 1, 5]) // the tier-1 entry (50) no longer fits
    expect(pick.usedBytes).toBe(63)
    expect(pick.held.entries.filter((e) => e.transmits === 1).map((e) => e.id).sort()).toEqual([1, 2, 3, 4, 5])
    expect([...pick.held.pending]).toEqual([[2, 1], [3, 1], [1, 1], [5, 1]])
  })

  it('notes the room every packet offered each queue it drew on, even with nothing to send', () => {
    let held = pickForPacket(emptyLease(), 2, 100, ['memberlist']).held
    held = pickForPacket(held, 2, 50).held
    expect(held.room).toEqual({ memberlist: 98, 'serf-intent': 48, 'serf-query': 48, 'serf-event': 48 })
    const { report } = takeReport(held)
    expect(report).toMatchObject({ type: 'gossip.sent', report: 1, sent: [], room: { memberlist: 98 } })
  })

  it(`stops piggybacking while ${MAX_UNAPPLIED_REPORTS} reports wait to be applied, and counts the packets that went without`, () => {
    let held: PiggybackLease = acceptLease(emptyLease(), lease(1, 1, 0, Array.from({ length: 70 }, (_, i) => entry(i, 1)), { ...LIMITS, memberlist: 1000 }))
    for (let i = 0; i < MAX_UNAPPLIED_REPORTS; i++) held = takeReport(pickForPacket(held, 0, 1).held).held
    expect(held.unapplied).toHaveLength(MAX_UNAPPLIED_REPORTS)
    const starved = pickForPacket(held, 0, 100)
    expect(starved.parts).toEqual([])
    expect(starved.held.counters.starved).toBe(1)
    // A lease that applied them lets it go on.
    held = acceptLease(starved.held, lease(1, 2, MAX_UNAPPLIED_REPORTS, [...held.entries]))
    expect(pickForPacket(held, 0, 1).parts).toHaveLength(1)
  })
})

describe('takeReport', () => {
  it('says nothing when nothing was sent and no room was seen; numbers reports from 1; keeps only reports with sends for replay', () => {
    expect(takeReport(emptyLease()).report).toBeUndefined()
    let held = acceptLease(emptyLease(), lease(3, 1, 0, [entry(1, 4)]))
    const first = takeReport(pickForPacket(held, 0, 0).held) // room only (0 bytes: nothing fits)
    expect(first.report).toMatchObject({ epoch: 3, report: 1, sent: [] })
    expect(first.held.unapplied).toEqual([])
    held = first.held
    const second = takeReport(pickForPacket(held, 0, 10).held)
    expect(second.report).toMatchObject({ epoch: 3, report: 2, sent: [[1, 1]] })
    expect(second.held.unapplied.map((u) => u.report)).toEqual([2])
    expect(second.held.counters.reports).toBe(2)
  })
})
