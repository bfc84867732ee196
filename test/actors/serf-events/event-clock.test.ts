import { describe, expect, it } from 'vitest'
import { incrementClock, MAX_LAMPORT_TIME, startClock, witnessClock, witnessRemoteClock } from '../../../actors/serf-events/event-clock.ts'

describe('event-clock', () => {
  it.each([
    { cur: 0n, v: 0n, want: 1n },
    { cur: 5n, v: 4n, want: 5n },
    { cur: 5n, v: 5n, want: 6n },
    { cur: 5n, v: 41n, want: 42n },
    { cur: 5n, v: MAX_LAMPORT_TIME, want: MAX_LAMPORT_TIME },
  ])('witness($v) at $cur gives $want', ({ cur, v, want }) => {
    expect(witnessClock(cur, v)).toBe(want)
  })

  it('increments by one and saturates at 2^64 - 1', () => {
    expect(incrementClock(41n)).toBe(42n)
    expect(incrementClock(MAX_LAMPORT_TIME)).toBe(MAX_LAMPORT_TIME)
  })

  it.each([
    { cur: 3n, remote: 0n, want: 3n },
    { cur: 3n, remote: 3n, want: 3n },
    { cur: 3n, remote: 4n, want: 4n },
    { cur: 3n, remote: 100n, want: 100n },
  ])('push/pull witnesses remote - 1: cur $cur, remote $remote gives $want', ({ cur, remote, want }) => {
    expect(witnessRemoteClock(cur, remote)).toBe(want)
  })

  it('starts at 1 with min time 0, or at restored + 1 with min time restored + 1 after a snapshot', () => {
    expect(startClock()).toEqual({ clock: 1n, minTime: 0n })
    expect(startClock(0n)).toEqual({ clock: 1n, minTime: 1n })
    expect(startClock(41n)).toEqual({ clock: 42n, minTime: 42n })
  })
})
