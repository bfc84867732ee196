import { describe, expect, it } from 'vitest'
import {
  applyForce,
  createCoordinateConfig,
  distanceNs,
  distanceSeconds,
  estimateRttMs,
  isValidCoordinate,
  newCoordinate,
  nsToSeconds,
  rawDistance,
  unitVectorAt,
} from '../../src/coordinate/index.ts'
import type { Coordinate } from '../../src/coordinate/index.ts'

const at = (Vec: number[], extra: Partial<Coordinate> = {}): Coordinate => ({ Vec, Error: 1.5, Adjustment: 0, Height: 1e-5, ...extra })
const draws = (...values: number[]) => {
  let i = 0
  return { next: () => values[i++]! }
}
const noDraw = {
  next: (): number => {
    throw new Error('drew a random number')
  },
}

describe('coordinate', () => {
  it('starts at the origin with Serf values: 8 zeros, Error 1.5, Adjustment 0, Height 1e-5', () => {
    expect(newCoordinate(createCoordinateConfig())).toEqual({ Vec: [0, 0, 0, 0, 0, 0, 0, 0], Error: 1.5, Adjustment: 0, Height: 1e-5 })
  })

  it('is valid only with every component finite', () => {
    expect(isValidCoordinate(at([1, 2]))).toBe(true)
    for (const bad of [at([NaN, 0]), at([0, Infinity]), at([0, 0], { Error: NaN }), at([0, 0], { Adjustment: -Infinity }), at([0, 0], { Height: NaN })]) {
      expect(isValidCoordinate(bad)).toBe(false)
    }
    expect(isValidCoordinate({ Vec: ['1'], Error: 1, Adjustment: 0, Height: 0 } as unknown as Coordinate)).toBe(false)
    expect(isValidCoordinate({ Error: 1, Adjustment: 0, Height: 0 } as unknown as Coordinate)).toBe(false)
  })

  // [a, b, raw distance (s), distance with adjustments (ns)]; binary-exact values, except the last row
  const q = 0.25
  const distances: Array<[string, Coordinate, Coordinate, number, number]> = [
    ['3-4-5 plus heights', at([0, 0], { Height: q }), at([3, 4], { Height: q }), 5.5, 5.5e9],
    ['adjustments add', at([0, 0], { Height: q, Adjustment: 0.5 }), at([3, 4], { Height: q, Adjustment: 0.25 }), 5.5, 6.25e9],
    ['negative adjustments shorten', at([0, 0], { Height: q, Adjustment: -2 }), at([3, 4], { Height: q }), 5.5, 3.5e9],
    ['a non-positive adjusted distance falls back to the raw one', at([0, 0], { Height: q, Adjustment: -4 }), at([3, 4], { Height: q, Adjustment: -2 }), 5.5, 5.5e9],
    ['heights alone at the same point', at([1, 1], { Height: 0.25 }), at([1, 1], { Height: 0.5 }), 0.75, 750_000_000],
    // 0.00502 s · 1e9 is 5019999.999… in float64; Go's Duration conversion truncates it too
    ['in truncated nanoseconds', at([0, 0]), at([0.003, 0.004]), 0.00502, 5_019_999],
  ]
  for (const [name, a, b, raw, ns] of distances) {
    it(`measures ${name}`, () => {
      expect(rawDistance(a, b)).toBeCloseTo(raw, 15)
      expect(distanceNs(a, b)).toBe(ns)
      expect(distanceNs(b, a)).toBe(ns)
      expect(estimateRttMs(a, b)).toBe(ns / 1e6)
    })
  }

  it('truncates distances to whole nanoseconds, as time.Duration does', () => {
    // 1.9999999999 ns → 1 ns; Seconds() of 1,500,000,001 ns is 1 + 0.500000001
    expect(distanceNs(at([0], { Height: 0 }), at([1.9999999999e-9], { Height: 0 }))).toBe(1)
    expect(nsToSeconds(1_500_000_001)).toBe(1 + 500_000_001 / 1e9)
    expect(distanceSeconds(at([0], { Height: 0 }), at([1.5000000019], { Height: 0 }))).toBe(nsToSeconds(1_500_000_001))
  })

  it('refuses to compare coordinates of different dimensions', () => {
    expect(() => rawDistance(at([0, 0]), at([0, 0, 0]))).toThrow(expect.objectContaining({ code: 'ERR_COORDINATE_DIMENSION' }))
    expect(() => applyForce({ heightMin: 1e-5 }, at([0]), 1, at([0, 0]), noDraw)).toThrow(expect.objectContaining({ code: 'ERR_COORDINATE_DIMENSION' }))
  })

  describe('unitVectorAt', () => {
    it('points from the other position towards this one, with their distance', () => {
      const { unit, mag } = unitVectorAt([3, 4], [0, 0], noDraw)
      expect(unit[0]).toBeCloseTo(0.6, 15)
      expect(unit[1]).toBeCloseTo(0.8, 15)
      expect(mag).toBe(5)
    })

    it('draws a random direction (distance 0) when the positions coincide within 1 µs', () => {
      // draws 0.9, 0.5 → (0.4, 0) → (1, 0)
      expect(unitVectorAt([1e-7, 0], [0, 0], draws(0.9, 0.5))).toEqual({ unit: [1, 0], mag: 0 })
      // draws 0.5, 0.2 → (0, -0.3) → (0, -1)
      expect(unitVectorAt([0, 0], [0, 0], draws(0.5, 0.2))).toEqual({ unit: [0, -1], mag: 0 })
    })

    it('falls back to the first axis when the random draw is itself too short', () => {
      expect(unitVectorAt([0, 0, 0], [0, 0, 0], draws(0.5, 0.5, 0.5))).toEqual({ unit: [1, 0, 0], mag: 0 })
    })
  })

  describe('applyForce', () => {
    it('moves along the line and scales the height with the force over the distance', () => {
      // unit (0.6, 0.8), force 0.5 → Vec + (0.3, 0.4); height = (0.1 + 0.2)·0.5/5 + 0.1 = 0.13
      const moved = applyForce({ heightMin: 1e-5 }, at([3, 4], { Height: 0.1, Error: 0.7, Adjustment: 0.02 }), 0.5, at([0, 0], { Height: 0.2 }), noDraw)
      expect(moved.Vec[0]).toBeCloseTo(3.3, 14)
      expect(moved.Vec[1]).toBeCloseTo(4.4, 14)
      expect(moved.Height).toBeCloseTo(0.13, 15)
      expect([moved.Error, moved.Adjustment]).toEqual([0.7, 0.02])
    })

    it('never lowers the height below heightMin', () => {
      // height = (0.1 + 0.2)·(−5)/5 + 0.1 = −0.2 → heightMin
      const moved = applyForce({ heightMin: 0.05 }, at([3, 4], { Height: 0.1 }), -5, at([0, 0], { Height: 0.2 }), noDraw)
      expect(moved.Height).toBe(0.05)
      expect(moved.Vec[0]).toBeCloseTo(0, 14)
    })

    it('keeps the height when the positions coincide (the direction is random)', () => {
      const moved = applyForce({ heightMin: 1e-5 }, at([0, 0], { Height: 0.1 }), 2, at([0, 0], { Height: 0.2 }), draws(0.9, 0.5))
      expect(moved).toEqual(at([2, 0], { Height: 0.1 }))
    })
  })
})
