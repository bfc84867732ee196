import { describe, expect, it } from 'vitest'
import { createSeededRandom } from '../../src/types/random.ts'

describe('createSeededRandom', () => {
  it('repeats a stream for the same seed and differs for another', () => {
    const a = createSeededRandom(1)
    const b = createSeededRandom(1)
    const c = createSeededRandom(2)
    const xs = Array.from({ length: 50 }, () => a.next())
    expect(Array.from({ length: 50 }, () => b.next())).toEqual(xs)
    expect(Array.from({ length: 50 }, () => c.next())).not.toEqual(xs)
  })

  it('stays in range and spreads evenly enough', () => {
    const r = createSeededRandom(99)
    const buckets = new Array(10).fill(0)
    for (let i = 0; i < 10_000; i++) {
      const x = r.next()
      expect(x >= 0 && x < 1).toBe(true)
      buckets[r.int(10)]++
    }
    for (const n of buckets) expect(n).toBeGreaterThan(800)
  })

  it('shuffles into a permutation', () => {
    const items = Array.from({ length: 20 }, (_, i) => i)
    const shuffled = createSeededRandom(5).shuffle([...items])
    expect([...shuffled].sort((x, y) => x - y)).toEqual(items)
    expect(shuffled).not.toEqual(items)
  })
})
