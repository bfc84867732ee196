/**
 * The partition detector's core on simulated time (DetectorHost): the expected size (learned mark,
 * persisted, lowered by leaves and reaps, never by failures), the three statuses with their counts,
 * Akka's stability grace and the down-all escalation, and counted no-ops.
 */
import { describe, expect, it } from 'vitest'
import { createPartitionDetectorConfig, graceFor } from '../../../actors/partition-detector/config.ts'
import { rawStatus } from '../../../actors/partition-detector/detector.ts'
import { DetectorHost } from './detector-host.ts'

const five = (init = {}) => new DetectorHost({ graceMs: 7_000, ...init }).send('member-joined', 'a', 'b', 'c', 'd').advance(7_000)

describe('partition detector: status from counts', () => {
  it.each([
    // visible, expected, fraction, status
    [5, 5, 0.5, 'healthy'],
    [4, 5, 0.5, 'degraded'],
    [3, 5, 0.5, 'degraded'],
    [2, 5, 0.5, 'minority'],
    [2, 4, 0.5, 'minority'], // a tie is a minority: both halves of a 2+2 split step down
    [3, 4, 0.5, 'degraded'],
    [1, 1, 0.5, 'healthy'],
    [7, 10, 0.7, 'minority'],
    [8, 10, 0.7, 'degraded'],
  ] as const)('visible %i of expected %i (fraction %f) is %s', (visible, expected, fraction, status) => {
    const quorum = Math.floor(fraction * expected) + 1
    expect(rawStatus({ visible, expected, quorum, failed: expected - visible })).toBe(status)
  })
})

describe('partition detector: expected size', () => {
  it('learns the high-water mark and persists each rise', () => {
    const h = new DetectorHost({ graceMs: 7_000 })
    h.send('member-joined', 'a', 'b')
    expect([h.state.view.highWater, h.persisted]).toEqual([3, 3])
    expect(h.events.filter((e) => e.type === 'partition.expected-size').map((e) => e.type === 'partition.expected-size' && [e.previous, e.expected, e.cause])).toEqual([
      [1, 2, 'grew'],
      [2, 3, 'grew'],
    ])
  })

  it.each([
    ['failures never lower it', ['member-failed', 'a', 'b', 'c'], 5, 'minority'],
    ['graceful leaves lower it by one each', ['member-left', 'a', 'b', 'c'], 2, 'healthy'],
    ['a reap of a failed member lowers it', ['member-failed', 'a', 'member-reaped', 'a'], 4, 'healthy'],
    ['a reap after a leave does not lower it twice', ['member-left', 'a', 'member-reaped', 'a'], 4, 'healthy'],
    ['a failed member alive again restores the count', ['member-failed', 'a', 'b', 'member-alive-again', 'a', 'b'], 5, 'healthy'],
  ] as const)('%s', (_name, script, expected, status) => {
    const h = five()
    let type = script[0]
    for (const word of script) {
      if (word.startsWith('member-')) type = word as typeof type
      else h.send(type, word)
    }
    h.advance(7_000)
    expect([h.state.view.highWater, h.status]).toEqual([expected, status])
  })

  it('a restart from the persisted mark is a minority alone, and healthy once the others are back', () => {
    const h = new DetectorHost({ graceMs: 7_000 }, { persistedHighWater: 5 })
    expect(h.status).toBe('minority')
    expect(h.statusEvents()[0]).toMatchObject({ status: 'minority', counts: { visible: 1, expected: 5, quorum: 3 } })
    h.send('member-joined', 'a', 'b', 'c', 'd').advance(7_000)
    expect(h.status).toBe('healthy')
  })

  it('a configured size is fixed: leaves do not lower it and joins do not raise it', () => {
    const h = new DetectorHost({ graceMs: 7_000, expectedSize: 3 })
    h.send('member-joined', 'a', 'b', 'c', 'd').advance(7_000)
    expect(h.statusEvents().at(-1)).toMatchObject({ status: 'healthy', counts: { visible: 5, expected: 3 } })
    h.send('member-left', 'a', 'b', 'c').advance(7_000)
    expect(h.statusEvents().at(-1)).toMatchObject({ status: 'degraded', counts: { visible: 2, expected: 3, quorum: 2 } })
  })
})

describe('partition detector: stability grace (Akka stable-after)', () => {
  it('publishes a change only after the view is still for the grace, with the counts that caused it', () => {
    const h = five()
    expect(h.status).toBe('healthy')
    h.send('member-failed', 'a', 'b', 'c')
    h.advance(6_999)
    expect(h.status).toBe('healthy')
    h.advance(1)
    expect(h.status).toBe('minority')
    expect(h.statusEvents().at(-1)).toEqual({
      type: 'partition.status',
      status: 'minority',
      previous: 'healthy',
      cause: 'stable',
      counts: { visible: 2, expected: 5, quorum: 3, failed: 3 },
      at: 14_000,
    })
  })

  it('restarts the grace on every change, and publishes nothing when the view returns to where it was', () => {
    const h = five()
    const before = h.statusEvents().length
    h.send('member-failed', 'a').advance(5_000).send('member-alive-again', 'a').advance(5_000)
    expect(h.status).toBe('healthy')
    h.advance(2_000)
    expect(h.statusEvents().length).toBe(before)
    expect(h.state.stats.statusChanges).toBe(0) // healthy alone, healthy at five: never a change
  })

  it.each([
    [5, 7_000],
    [10, 10_000],
    [15, 11_500],
    [100, 20_000],
    [1000, 30_000],
    [3, 7_000],
    [5000, 30_000],
  ])('defaults the grace by expected size: %i members → %i ms', (n, ms) => {
    expect(graceFor(createPartitionDetectorConfig(), n)).toBe(ms)
  })
})

describe('partition detector: down-all when unstable', () => {
  it('escalates to minority when the view keeps changing past grace + 3/4 grace (min 4 s), and clears after a still grace', () => {
    const h = five() // settled at 7 s
    // A member flapping every 5 s keeps resetting the 7 s grace; the escalation is armed at the
    // first change (7 s) for 7 s + 5.25 s and is not pushed back by the later ones.
    h.send('member-failed', 'a').advance(5_000).send('member-alive-again', 'a').advance(5_000).send('member-failed', 'a').advance(2_249)
    expect([h.now, h.status, h.state.stats.escalations]).toEqual([19_249, 'healthy', 0])
    h.advance(1)
    expect(h.state.stats.escalations).toBe(1)
    expect(h.status).toBe('minority')
    const esc = h.events.find((e) => e.type === 'partition.escalated')
    expect(esc).toMatchObject({ at: 19_250, unstableForMs: 12_250, changes: 3, counts: { visible: 4, expected: 5 } })
    h.advance(7_000)
    expect(h.status).toBe('degraded')
    expect(h.statusEvents().at(-1)).toMatchObject({ previous: 'minority', status: 'degraded', cause: 'stable' })
  })

  it('does not escalate when downAllWhenUnstable is off', () => {
    const h = five({ downAllWhenUnstable: false })
    for (let i = 0; i < 10; i++) h.send(i % 2 === 0 ? 'member-failed' : 'member-alive-again', 'a').advance(5_000)
    expect([h.state.stats.escalations, h.status]).toEqual([0, 'healthy'])
  })
})

describe('partition detector: inputs that change nothing are counted', () => {
  it('counts repeats, unknown members, events about itself, stale timers and members past the bound', () => {
    const h = new DetectorHost({ graceMs: 1_000, maxMembers: 2 })
    h.send('member-joined', 'a', 'a', 'self', 'b', 'c')
    h.send('member-reaped', 'zz')
    expect(h.state.stats).toMatchObject({ events: 6, noops: 2, aboutSelf: 1, overCapacity: 1, unknownMember: 1 })
    expect(h.state.view.alive).toBe(3)
  })

  it('refuses a misspelled or out-of-range config field by name', () => {
    expect(() => createPartitionDetectorConfig({ graceMS: 1 } as never)).toThrow(/partitionDetector.graceMS is not a known field; did you mean graceMs\?/)
    expect(() => createPartitionDetectorConfig({ minorityFraction: 0.3 })).toThrow(/partitionDetector.minorityFraction must be/)
  })
})

describe('partition detector: timers', () => {
  it('re-arms a stable timer that fires a little early instead of losing the status change', () => {
    const h = five()
    h.send('member-failed', 'a', 'b', 'c')
    const due = h.timers.get('stable')!
    h.timers.delete('stable')
    // The host's clock reads a hair before the due time (rounding of a drifting clock).
    h.now = due - 0.5
    h.fire('stable')
    expect([h.status, h.state.stats.earlyTimers, h.timers.get('stable')]).toEqual(['healthy', 1, due])
    h.advance(0.5)
    expect(h.status).toBe('minority')
  })

  it('counts a firing for a timer that is not armed', () => {
    const h = five()
    h.fire('unstable')
    expect(h.state.stats.staleTimers).toBe(1)
  })
})
