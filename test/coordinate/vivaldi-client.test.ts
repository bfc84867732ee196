import { describe, expect, it } from 'vitest'
import { createCoordinateConfig, LatencyFilter, MAX_RTT_MS, newCoordinate, VivaldiClient } from '../../src/coordinate/index.ts'
import type { Coordinate, CoordinateInit, CoordinateUpdate } from '../../src/coordinate/index.ts'
import { createSeededRandom } from '../../src/types/random.ts'

const H = 2 ** -10 // a binary-exact heightMin (0.0009765625 s), so distances are whole nanoseconds
const noDraw = {
  next: (): number => {
    throw new Error('drew a random number')
  },
}
const client = (init: CoordinateInit, random: { next(): number } = noDraw): VivaldiClient => new VivaldiClient(createCoordinateConfig(init), random)
const updated = (r: CoordinateUpdate): Coordinate => {
  if (r.type !== 'updated') throw r.error
  return r.coordinate
}
const rejected = (r: CoordinateUpdate): string => {
  if (r.type !== 'rejected') throw new Error('the sample was applied')
  return r.error.code
}
/** A peer at (0.375, 0.5) s, Error 0.5: 0.625 s from the origin. */
const peer: Coordinate = { Vec: [0.375, 0.5], Error: 0.5, Adjustment: 0, Height: H }
/** Gravity on a coordinate at the origin draws a direction (as in Serf), even when its pull is ~0. */
const seeded = () => createSeededRandom(3)

function expectNear(actual: Coordinate, expected: Coordinate): void {
  const a = [...actual.Vec, actual.Error, actual.Adjustment, actual.Height]
  const e = [...expected.Vec, expected.Error, expected.Adjustment, expected.Height]
  expect(a.length).toBe(e.length)
  a.forEach((v, i) => expect(Math.abs(v - e[i]!), `component ${i}: ${v} vs ${e[i]}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(e[i]!))))
}

describe('VivaldiClient update rule', () => {
  // Two dimensions, gravity out of the way (rho 1e12 s: a pull of ~1e-24 s), a fresh node at the
  // origin and the peer: distance 0.625 + 2H = 0.626953125 s, weight 1.5 / (1.5 + 0.5) = 0.75, so
  // ce·w = cc·w = 0.1875; the unit vector from the peer is (−0.6, −0.8).
  const rows: Array<{ name: string; rttMs: number; expected: Coordinate }> = [
    {
      // wrongness |0.626953125 − 1| / 1 = 0.373046875; Error 0.1875·0.373046875 + 1.5·0.8125 = 1.2886962890625;
      // force 0.1875·0.373046875 = 0.0699462890625 away from the peer; Height 2H·force/0.625 + H;
      // Adjustment (1 − (0.625 + force + Height + H)) / 40
      name: 'a peer farther than its estimate pushes us away and grows our height',
      rttMs: 1000,
      expected: { Vec: [-0.0419677734375, -0.05595703125], Error: 1.2886962890625, Adjustment: 0.0075720500946044922, Height: 0.0011951446533203125 },
    },
    {
      // wrongness 0.376953125 / 0.25 = 1.5078125; Error 0.1875·1.5078125 + 1.21875 = 1.50146484375 → capped at 1.5;
      // force 0.1875·(0.25 − 0.626953125) = −0.0706787109375 (towards the peer); Height would drop below H → H;
      // Adjustment (0.25 − (0.625 − 0.0706787109375 + 2H)) / 40
      name: 'a peer nearer than its estimate pulls us closer, Error capped at vivaldiErrorMax, height at heightMin',
      rttMs: 250,
      expected: { Vec: [0.0424072265625, 0.05654296875], Error: 1.5, Adjustment: -0.0076568603515625, Height: H },
    },
  ]
  for (const row of rows) {
    it(row.name, () => {
      const c = client({ dimensionality: 2, heightMin: H, gravityRho: 1e12 })
      expectNear(updated(c.update('b', peer, row.rttMs)), row.expected)
      expect(c.stats()).toMatchObject({ updates: 1, resets: 0, filterNodes: 1 })
    })
  }

  it('does not move a certain node (Error 0) when its peer is certain too: the weight is 0', () => {
    const c = client({ dimensionality: 2, heightMin: H, gravityRho: 1e12, adjustmentWindowSize: 0 })
    const certain: Coordinate = { Vec: [0.1, 0.2], Error: 0, Adjustment: 0, Height: H }
    c.setCoordinate(certain)
    expectNear(updated(c.update('b', { ...peer, Error: 0 }, 40)), certain)
  })

  it('pulls towards the origin by (distance / rho)² (gravity), never below heightMin', () => {
    // Error 0: no Vivaldi move. Distance to the origin 50 + 2H = 50.001953125 s; force −(50.001953125 / 150)²
    // = −0.11111979183620876 along (0.6, 0.8); the height would shrink below H, so it stays H.
    const c = client({ dimensionality: 2, heightMin: H, adjustmentWindowSize: 0 })
    c.setCoordinate({ Vec: [30, 40], Error: 0, Adjustment: 0, Height: H })
    const after = updated(c.update('b', newCoordinate({ dimensionality: 2, vivaldiErrorMax: 1.5, heightMin: H }), 10))
    expectNear(after, { Vec: [29.933328124898274, 39.91110416653103], Error: 0, Adjustment: 0, Height: H })
  })

  it('averages (rtt − raw distance) over the adjustment window, zeros counting until it fills', () => {
    // Window 2, peer and us certain (no moves): each sample is rtt − (0.625 + 2H) = rtt − 0.626953125;
    // Adjustment = (sum of the window) / (2·2). The raw distance ignores the adjustments already set.
    const c = client({ dimensionality: 2, heightMin: H, gravityRho: 1e12, adjustmentWindowSize: 2, latencyFilterSize: 1 }, seeded())
    c.setCoordinate({ Vec: [0, 0], Error: 0, Adjustment: 0, Height: H })
    const other = { ...peer, Error: 0 }
    const samples = [1000, 500, 750]
    const expected = [(1 - 0.626953125) / 4, (1 - 0.626953125 + 0.5 - 0.626953125) / 4, (0.5 - 0.626953125 + 0.75 - 0.626953125) / 4]
    samples.forEach((ms, i) => expect(updated(c.update('b', other, ms)).Adjustment).toBeCloseTo(expected[i]!, 14))
  })

  it('takes a random direction when both coordinates coincide, from the injected source', () => {
    // Fresh vs fresh: distance 2H, rtt 1 s, weight 0.5: force 0.125·(1 − 2H) along the drawn (0.4, 0) → (1, 0)
    const draws = [0.9, 0.5]
    const c = client({ dimensionality: 2, heightMin: H, gravityRho: 1e12 }, { next: () => draws.shift()! })
    const after = updated(c.update('b', newCoordinate({ dimensionality: 2, vivaldiErrorMax: 1.5, heightMin: H }), 1000))
    expect(after.Vec[0]).toBeCloseTo(0.125 * (1 - 2 * H), 14)
    expect(after.Vec[1]).toBe(0)
    expect(after.Height).toBe(H) // the positions coincided: no height change
    expect(draws).toEqual([])
  })

  it('repeats itself with the same seed', () => {
    const run = (seed: number): Coordinate[] => {
      const c = client({}, createSeededRandom(seed))
      const fresh = newCoordinate(createCoordinateConfig())
      return [updated(c.update('b', fresh, 3)), updated(c.update('c', fresh, 5))]
    }
    expect(run(7)).toEqual(run(7))
    expect(run(7)).not.toEqual(run(8))
  })
})

describe('VivaldiClient latency filter', () => {
  it('uses the median of the last 3 samples per peer (the upper middle of two)', () => {
    // A certain peer and a certain us: the filtered rtt shows in the adjustment (window 1: (rtt − d) / 2).
    const c = client({ dimensionality: 2, heightMin: H, gravityRho: 1e12, adjustmentWindowSize: 1 }, seeded())
    c.setCoordinate({ Vec: [0, 0], Error: 0, Adjustment: 0, Height: H })
    const other = { ...peer, Error: 0 }
    const d = 0.626953125
    const filtered = [10, 30, 20, 40, 5].map((ms) => updated(c.update('b', other, ms)).Adjustment * 2 + d)
    // windows: [10] → 10; [10, 30] → 30; [10, 30, 20] → 20; [30, 20, 40] → 30; [20, 40, 5] → 20
    expect(filtered.map((s) => Math.round(s * 1e6) / 1e3)).toEqual([10, 30, 20, 30, 20])
    expect(c.samplesOf('b')).toEqual([0.02, 0.04, 0.005])
    // another peer has its own window
    updated(c.update('c', other, 1))
    expect(c.samplesOf('c')).toEqual([0.001])
  })

  it('forgets a peer: its next sample starts a new window', () => {
    const c = client({}, seeded())
    const fresh = newCoordinate(createCoordinateConfig())
    c.update('b', fresh, 10)
    c.update('b', fresh, 30)
    expect(c.forget('b')).toBe(true)
    expect(c.forget('b')).toBe(false)
    expect(c.samplesOf('b')).toEqual([])
    c.update('b', fresh, 5)
    expect(c.samplesOf('b')).toEqual([0.005])
    expect(c.stats().filterNodes).toBe(1)
  })

  it('keeps at most maxPeers peers, dropping the least recently sampled (counted)', () => {
    const f = new LatencyFilter(3, 2)
    f.add('a', 1)
    f.add('b', 2)
    f.add('a', 3) // a is now the most recent
    f.add('c', 4) // drops b
    expect([f.samplesOf('a'), f.samplesOf('b'), f.samplesOf('c')]).toEqual([[1, 3], [], [4]])
    expect([f.nodes, f.evictions]).toEqual([2, 1])
    const c = client({ maxPeers: 1 }, seeded())
    const fresh = newCoordinate(createCoordinateConfig())
    for (const n of ['a', 'b', 'c']) c.update(n, fresh, 1)
    expect(c.stats()).toMatchObject({ filterNodes: 1, filterEvictions: 2, updates: 3 })
  })
})

describe('VivaldiClient refusals and resets', () => {
  const fresh2 = newCoordinate({ dimensionality: 2, vivaldiErrorMax: 1.5, heightMin: 1e-5 })

  it('refuses a peer coordinate of another dimensionality or with NaN/Inf, changing nothing but a counter', () => {
    const c = client({ dimensionality: 2 })
    const before = c.coordinate
    expect(rejected(c.update('b', { ...fresh2, Vec: [0, 0, 0] }, 1))).toBe('ERR_COORDINATE_DIMENSION')
    expect(rejected(c.update('b', { ...fresh2, Vec: [NaN, 0] }, 1))).toBe('ERR_COORDINATE_INVALID')
    expect(rejected(c.update('b', { ...fresh2, Height: Infinity }, 1))).toBe('ERR_COORDINATE_INVALID')
    expect(rejected(c.update('b', { ...fresh2, Error: NaN }, 1))).toBe('ERR_COORDINATE_INVALID')
    expect(rejected(c.update('b', null as unknown as Coordinate, 1))).toBe('ERR_COORDINATE_DIMENSION')
    expect(c.coordinate).toEqual(before)
    expect(c.samplesOf('b')).toEqual([])
    expect(c.stats()).toMatchObject({ updates: 0, rejectedDimension: 2, rejectedInvalid: 3 })
  })

  it('refuses RTTs below 0, above 10 s or not numbers, and accepts 0 and exactly 10 s (as Serf)', () => {
    const c = client({ dimensionality: 2 })
    for (const bad of [-0.001, MAX_RTT_MS + 0.001, NaN, Infinity, '5' as unknown as number]) {
      expect(rejected(c.update('b', fresh2, bad))).toBe('ERR_COORDINATE_RTT_RANGE')
    }
    expect(c.stats()).toMatchObject({ rejectedRtt: 5, updates: 0 })
    const random = createSeededRandom(1)
    const d = client({ dimensionality: 2 }, random)
    updated(d.update('b', fresh2, 0))
    updated(d.update('c', fresh2, MAX_RTT_MS))
    updated(d.update('e', fresh2, 0.0000004)) // 0.4 ns: 0 whole nanoseconds
    expect(d.stats()).toMatchObject({ updates: 3, zeroRtt: 2, rejectedRtt: 0 })
    expect(d.samplesOf('b')).toEqual([0])
  })

  it('takes a zero RTT as 1 µs in the Vivaldi step (a finite relative error), as Serf does', () => {
    // heightMin 2^-20 s: two coinciding nodes are 1907 ns apart. Our Error 0.1 vs the peer's 1.5:
    // ce·w = 0.25 · 0.1 / 1.6 = 0.015625; wrongness |1.907e-6 − 1e-6| / 1e-6 = 0.907;
    // Error 0.015625 · 0.907 + 0.1 · (1 − 0.015625) = 0.112609375 (with no floor: Infinity, capped at 1.5).
    const h = 2 ** -20
    const c = client({ dimensionality: 2, heightMin: h }, seeded())
    c.setCoordinate({ Vec: [0, 0], Error: 0.1, Adjustment: 0, Height: h })
    const after = updated(c.update('b', { Vec: [0, 0], Error: 1.5, Adjustment: 0, Height: h }, 0))
    expect(after.Error).toBeCloseTo(0.112609375, 15)
    expect(c.stats().zeroRtt).toBe(1)
  })

  it('resets to a fresh coordinate (counted) when an update leaves it NaN or infinite', () => {
    // A finite but enormous peer: the distance overflows to Infinity, the unit vector to 0, and 0·−Inf is NaN.
    const c = client({ dimensionality: 2 }, seeded())
    const result = c.update('b', { Vec: [1e300, 1e300], Error: 1, Adjustment: 0, Height: 1e-5 }, 10)
    expect(result).toEqual({ type: 'updated', coordinate: fresh2, reset: true })
    expect(c.coordinate).toEqual(fresh2)
    expect(c.stats()).toMatchObject({ updates: 1, resets: 1 })
    // and goes on normally afterwards: the overflowing sample left the adjustment window with the
    // reset (Serf keeps it there and resets again on each of the next updates until the ring
    // overwrites it). Median of [10, 2] ms is 10 ms, far more than 1.02 ms: pushed away from the peer.
    expect(updated(c.update('b', { ...fresh2, Vec: [0.001, 0] }, 2)).Vec[0]).toBeLessThan(0)
    expect(c.stats().resets).toBe(1)
  })

  it('refuses to be set to an unusable coordinate', () => {
    const c = client({ dimensionality: 2 })
    expect(() => c.setCoordinate({ ...fresh2, Vec: [0] })).toThrow(expect.objectContaining({ code: 'ERR_COORDINATE_DIMENSION' }))
    expect(() => c.setCoordinate({ ...fresh2, Adjustment: NaN })).toThrow(expect.objectContaining({ code: 'ERR_COORDINATE_INVALID' }))
  })

  it('hands out copies: changing one does not change the client', () => {
    const c = client({ dimensionality: 2 })
    const mine = c.coordinate as unknown as { Vec: number[] }
    mine.Vec[0] = 5
    expect(c.coordinate.Vec[0]).toBe(0)
    expect(c.distanceTo(fresh2)).toBe(2e-5)
  })
})
