import { describe, expect, it } from 'vitest'
import { acceptLease, emptyLease, pickForPacket, takeReport } from '../../../src/broadcast/piggyback-lease.ts'
import type { LeaseMsg } from '../../../actors/gossip-queue/protocol.ts'
import { leaseProblem, leaseView, NO_LEASE, reportDelayMs, resumeLease, roomReportDelayMs } from '../../../actors/swim/piggyback.ts'
import { LAN_SWIM_CONFIG } from '../../../actors/swim/config.ts'

const limits = { memberlist: 4, 'serf-intent': 4, 'serf-query': 4, 'serf-event': 4 }
const entry = (id: number, transmits: number) => ({ id, queue: 'memberlist' as const, message: Uint8Array.of(id, 1, 2, 3), transmits, seq: id })
const lease = (epoch: number, version: number, appliedReport: number, entries: LeaseMsg['entries']): LeaseMsg => ({ type: 'gossip.lease', epoch, version, appliedReport, limits, entries, leftOut: 0 })

describe('swim piggyback: report windows', () => {
  it('reports sends within half a gossip interval, room alone ten times less often', () => {
    expect(reportDelayMs(LAN_SWIM_CONFIG)).toBe(LAN_SWIM_CONFIG.gossipIntervalMs / 2)
    expect(roomReportDelayMs(LAN_SWIM_CONFIG)).toBe(5 * LAN_SWIM_CONFIG.gossipIntervalMs)
    // Gossip off: the probe interval paces the reports instead.
    expect(reportDelayMs({ ...LAN_SWIM_CONFIG, gossipNodes: 0 })).toBe(LAN_SWIM_CONFIG.probeIntervalMs / 2)
    expect(reportDelayMs({ gossipIntervalMs: 1, gossipNodes: 3, probeIntervalMs: 1 })).toBe(1)
  })
})

describe('swim piggyback: what a restore carries', () => {
  /** A lease that sent entry 1 twice: one report out (not applied yet), one send pending. */
  function used() {
    let held = acceptLease(emptyLease(), lease(3, 5, 0, [entry(1, 0)]))
    held = pickForPacket(held, 2, 1000).held
    const taken = takeReport(held)
    held = pickForPacket(taken.held, 2, 1000).held
    return { held, firstReport: taken.report! }
  }

  it('persists no entry bytes, and survives a structured clone', () => {
    const { held } = used()
    const view = leaseView(held)
    expect(view).toMatchObject({ epoch: 3, version: 5, entries: 1, lastReport: 1, pending: [[1, 1]] })
    expect(view.unapplied).toHaveLength(1)
    expect(structuredClone(view)).toEqual(view)
    expect(JSON.stringify(view)).not.toContain('"message"')
  })

  it('a fresh runner (a new thread) numbers its reports on and replays its sends over the next lease', () => {
    const { held, firstReport } = used()
    const resumed = resumeLease(emptyLease(), structuredClone(leaseView(held)))
    // gossip-queue answers the subscribe with a lease that has not applied report 1 yet.
    const next = acceptLease(resumed, lease(3, 6, 0, [entry(1, 0)]))
    expect(next.entries[0]!.transmits).toBe(2)
    // Sent to its limit (4), never past it.
    let h = next
    let sends = 0
    for (let i = 0; i < 5; i++) {
      const pick = pickForPacket(h, 2, 1000)
      h = pick.held
      sends += pick.parts.length
    }
    expect(sends).toBe(2)
    const report = takeReport(h).report!
    // One number skipped: a report sent in the turn the thread died in (never persisted) had it.
    expect(report.report).toBe(firstReport.report + 2)
    expect(report.sent).toEqual([[1, 3]])
  })

  it('a runner that holds the same epoch and numbering (a restart in place) keeps its own lease', () => {
    const { held } = used()
    expect(resumeLease(held, leaseView(held))).toBe(held)
    expect(resumeLease(held, undefined)).toBe(held)
    expect(resumeLease(held, NO_LEASE)).toBe(held)
  })
})

describe('swim piggyback: a malformed lease is refused whole', () => {
  it.each([
    ['a negative epoch', { epoch: -1 }, /epoch, version and appliedReport/],
    ['a missing limit', { limits: { memberlist: 4 } }, /limits for/],
    ['entries not an array', { entries: 'x' }, /entries \(an array\)/],
    ['an entry without bytes', { entries: [{ ...entry(1, 0), message: [1, 2] }] }, /entries\[0\]\.message/],
    ['an empty message', { entries: [{ ...entry(1, 0), message: new Uint8Array(0) }] }, /entries\[0\]\.message/],
    ['a fractional transmit count', { entries: [entry(1, 0), { ...entry(2, 0), transmits: 0.5 }] }, /entries\[1\] needs id, transmits and seq/],
  ])('%s', (_name, change, problem) => {
    expect(leaseProblem({ ...lease(1, 1, 0, [entry(1, 0)]), ...change } as never)).toMatch(problem)
  })

  it('accepts a well-formed one', () => {
    expect(leaseProblem(lease(1, 1, 0, [entry(1, 0), entry(2, 3)]))).toBeUndefined()
  })
})
