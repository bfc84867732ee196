import { describe, expect, it } from 'vitest'
import { LamportClock, MAX_LAMPORT_TIME } from '../../../actors/member-manager/lamport.ts'

describe('LamportClock', () => {
  it('increments, and witnesses only newer-or-equal times (Serf TestLamportClock)', () => {
    const c = new LamportClock()
    expect(c.time()).toBe(0n)
    expect(c.increment()).toBe(1n)
    expect(c.time()).toBe(1n)
    c.witness(41n)
    expect(c.time()).toBe(42n)
    c.witness(41n)
    expect(c.time()).toBe(42n)
    c.witness(30n)
    expect(c.time()).toBe(42n)
    c.witness(42n) // equal: moves past it
    expect(c.time()).toBe(43n)
  })
  it('keeps u64 precision past 2^53 and saturates at 2^64 - 1', () => {
    const c = new LamportClock()
    c.witness(2n ** 60n)
    expect(c.time()).toBe(2n ** 60n + 1n)
    c.witness(MAX_LAMPORT_TIME)
    expect(c.time()).toBe(MAX_LAMPORT_TIME)
    expect(c.increment()).toBe(MAX_LAMPORT_TIME)
  })
})
