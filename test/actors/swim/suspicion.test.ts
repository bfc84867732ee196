import { describe, expect, it } from 'vitest'
import { remainingSuspicionTime, Suspicion, suspicionBounds } from '../../../actors/swim/suspicion.ts'

describe('remainingSuspicionTime', () => {
  // memberlist's table: n confirmations, k expected, elapsed, min, max -> remaining (ms).
  const rows: Array<[number, number, number, number, number, number]> = [
    [0, 3, 0, 2000, 30_000, 30_000],
    [1, 3, 2000, 2000, 30_000, 14_000],
    [2, 3, 3000, 2000, 30_000, 4_810],
    [3, 3, 4000, 2000, 30_000, -2_000],
    [4, 3, 5000, 2000, 30_000, -3_000],
    [5, 3, 10_000, 2000, 30_000, -8_000],
  ]
  it.each(rows)('c=%d k=%d elapsed=%d min=%d max=%d -> %d', (c, k, elapsed, min, max, expected) => {
    expect(remainingSuspicionTime(c, k, elapsed, min, max)).toBe(expected)
  })
})

describe('suspicionBounds', () => {
  it.each([
    // n, min, max, k on LAN (spec §4.5)
    [3, 4000, 24_000, 0],
    [4, 4000, 24_000, 2],
    [10, 4000, 24_000, 2],
    [100, 8000, 48_000, 2],
    [1000, 12_000, 72_000, 2],
  ])('n=%d -> min %d max %d k %d', (n, min, max, k) => {
    expect(suspicionBounds(n, 4, 6, 1000)).toEqual({ minMs: min, maxMs: max, k })
  })
})

describe('Suspicion', () => {
  it('starts at max and shrinks with distinct confirmations down to min', () => {
    const s = new Suspicion('a', 1000, suspicionBounds(10, 4, 6, 1000))
    expect(s.deadlineMs()).toBe(1000 + 24_000)
    expect(s.confirm('a')).toBe(false) // the accuser does not confirm itself
    expect(s.confirm('b')).toBe(true)
    expect(s.deadlineMs()).toBe(1000 + 11_381) // spec §4.5 example: 1 confirmation -> 11.38 s
    expect(s.confirm('b')).toBe(false)
    expect(s.confirm('c')).toBe(true)
    expect(s.deadlineMs()).toBe(1000 + 4000)
    expect(s.confirm('d')).toBe(false) // k reached
    expect(s.getConfirmations()).toBe(2)
  })

  it('runs at min when k = 0', () => {
    const s = new Suspicion('a', 0, suspicionBounds(3, 4, 6, 1000))
    expect(s.deadlineMs()).toBe(4000)
    expect(s.confirm('b')).toBe(false)
  })
})
