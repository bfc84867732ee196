import { describe, expect, it } from 'vitest'
import { Awareness, probeAwarenessDelta } from '../../../actors/swim/awareness.ts'

describe('Awareness', () => {
  it('clamps the score to [0, max-1] and scales timeouts by score+1', () => {
    // Rows as in memberlist's TestAwareness: {delta, score, timeout for 1000 ms}.
    const rows: Array<[number, number, number]> = [
      [0, 0, 1000],
      [-1, 0, 1000],
      [-10, 0, 1000],
      [1, 1, 2000],
      [-1, 0, 1000],
      [10, 7, 8000],
      [-1, 6, 7000],
      [-1, 5, 6000],
      [-1, 4, 5000],
      [-1, 3, 4000],
      [-1, 2, 3000],
      [-1, 1, 2000],
      [-1, 0, 1000],
      [-1, 0, 1000],
    ]
    const a = new Awareness(8)
    for (const [delta, score, timeout] of rows) {
      a.applyDelta(delta)
      expect(a.getHealthScore()).toBe(score)
      expect(a.scaleTimeout(1000)).toBe(timeout)
    }
  })

  it.each([
    [true, 3, 0, -1],
    [false, 3, 0, 3],
    [false, 3, 2, 1],
    [false, 3, 3, 0],
    [false, 0, 0, 1],
    // More nacks than asked for (duplicates): a failed probe never lowers the score.
    [false, 3, 4, 0],
    [false, 1, 9, 0],
  ])('probe delta acked=%s expected=%d nacks=%d -> %d', (acked, expected, nacks, delta) => {
    expect(probeAwarenessDelta(acked, expected, nacks)).toBe(delta)
  })
})
