import { describe, expect, it } from 'vitest'
import { Fnv64, partitionPoint, pointAfterU32, vnodePoint, workerHash } from '../../../actors/assignment/hash.ts'

const hex = (f: Fnv64) => f.hi.toString(16).padStart(8, '0') + f.lo.toString(16).padStart(8, '0')
const utf8 = (s: string) => new TextEncoder().encode(s)

describe('assignment hash', () => {
  it('is 64-bit FNV-1a: the published test vectors', () => {
    expect(hex(new Fnv64())).toBe('cbf29ce484222325')
    expect(hex(new Fnv64().bytes(utf8('a')))).toBe('af63dc4c8601ec8c')
    expect(hex(new Fnv64().bytes(utf8('foobar')))).toBe('85944171f73967e8')
  })

  it('gives the allocation-free point the same value as forking the state', () => {
    const base = workerHash('worker-7', 3)
    for (const n of [0, 1, 255, 256, 65_535, 0xdeadbeef, 0xffffffff]) {
      expect(pointAfterU32(base.hi, base.lo, n)).toBe(base.fork().u32(n).point())
    }
  })

  it('spreads consecutive vnodes over the whole circle (no clustering from FNV low-byte changes)', () => {
    const base = workerHash('worker-0', 0)
    const points = Array.from({ length: 1000 }, (_, v) => vnodePoint(base, v))
    // Each quarter of the circle gets about a quarter of the points.
    const quarters = [0, 0, 0, 0]
    for (const p of points) quarters[Math.floor(p / 2 ** 30)]!++
    for (const q of quarters) expect(q).toBeGreaterThan(200)
    expect(new Set(points).size).toBe(1000)
  })

  it('changes every point with the seed, and keeps them stable for one seed', () => {
    expect(partitionPoint(42, 1)).toBe(partitionPoint(42, 1))
    expect(partitionPoint(42, 1)).not.toBe(partitionPoint(42, 2))
    expect(vnodePoint(workerHash('w', 1), 0)).not.toBe(vnodePoint(workerHash('w', 2), 0))
  })
})
