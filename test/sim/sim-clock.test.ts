import { describe, expect, it } from 'vitest'
import { SimClock } from '../../sim/sim-clock.ts'

describe('SimClock', () => {
  it('fires timers in time order, ties in the order set, and skips cancelled ones', () => {
    const c = new SimClock()
    const out: string[] = []
    c.setTimeout(() => out.push('b'), 20)
    c.setTimeout(() => out.push('a1'), 10)
    const x = c.setTimeout(() => out.push('x'), 15)
    c.setTimeout(() => out.push('a2'), 10)
    c.clearTimeout(x)
    c.runUntil(15)
    expect(out).toEqual(['a1', 'a2'])
    expect(c.now()).toBe(15)
    c.advance(10)
    expect(out).toEqual(['a1', 'a2', 'b'])
    expect(c.pending()).toBe(0)
  })

  it('runs timers set by timers within the same step, and refuses to go back', () => {
    const c = new SimClock()
    const at: number[] = []
    c.setTimeout(() => c.setTimeout(() => at.push(c.now()), 5), 5)
    c.runUntil(100)
    expect(at).toEqual([10])
    expect(() => c.runUntil(50)).toThrow(RangeError)
  })

  it('runUntilTrue stops as soon as the predicate holds', () => {
    const c = new SimClock()
    let n = 0
    for (let i = 1; i <= 10; i++) c.setTimeout(() => n++, i * 10)
    expect(c.runUntilTrue(() => n >= 3, 1000)).toBe(30)
    expect(c.runUntilTrue(() => n >= 99, 500)).toBeUndefined()
    expect(c.now()).toBe(500)
  })

  it('keeps the heap bounded when timers are re-armed far ahead (cancelled ones are purged), order intact', () => {
    const c = new SimClock()
    const fired: number[] = []
    const handles = new Map<number, unknown>()
    for (let round = 0; round < 20_000; round++) {
      for (let k = 0; k < 5; k++) {
        const old = handles.get(k)
        if (old !== undefined) c.clearTimeout(old)
        handles.set(k, c.setTimeout(() => fired.push(k), 60_000 + k))
      }
    }
    expect(c.pending()).toBe(5)
    expect(c.heapSize()).toBeLessThan(3_000)
    c.runUntil(100_000)
    expect(fired).toEqual([0, 1, 2, 3, 4])
    expect(c.heapSize()).toBe(0)
  })
})
