import { describe, expect, it } from 'vitest'
import { PhiAccrualDetector, phiOf } from '../../../actors/swim/phi-accrual.ts'

const opts = { windowSize: 100, minStdDevMs: 100, acceptablePauseMs: 0, firstHeartbeatEstimateMs: 1000 }

describe('phiOf', () => {
  it.each([
    // elapsed, mean, std, expected phi (normal tail; -log10(0.5) at the mean)
    [1000, 1000, 100, 0.30103],
    [1100, 1000, 100, 0.79955], // 1 sigma: P_later ≈ 0.1587
    [1200, 1000, 100, 1.64], // 2 sigma: ≈ 0.0228
    [1300, 1000, 100, 2.87], // 3 sigma: ≈ 0.00135
  ])('elapsed %d mean %d std %d -> %d', (elapsed, mean, std, phi) => {
    expect(phiOf(elapsed, mean, std)).toBeCloseTo(phi, 1)
  })

  it('grows monotonically with elapsed time', () => {
    let prev = -1
    for (let t = 0; t <= 5000; t += 100) {
      const p = phiOf(t, 1000, 200)
      expect(p).toBeGreaterThanOrEqual(prev)
      prev = p
    }
  })
})

describe('PhiAccrualDetector', () => {
  it('is 0 before any heartbeat', () => {
    expect(new PhiAccrualDetector(opts).phi(10_000)).toBe(0)
  })

  it('stays low on schedule and crosses 8 after a long silence', () => {
    const d = new PhiAccrualDetector(opts)
    for (let t = 0; t <= 20_000; t += 1000) d.heartbeat(t)
    expect(d.phi(21_000)).toBeLessThan(1)
    expect(d.phi(21_300)).toBeLessThan(8)
    expect(d.phi(30_000)).toBeGreaterThan(8)
  })

  it('keeps only windowSize samples', () => {
    const d = new PhiAccrualDetector({ ...opts, windowSize: 5 })
    for (let t = 0; t <= 100_000; t += 1000) d.heartbeat(t)
    expect(d.sampleCount()).toBe(5)
  })

  it('adapts: a node heard every 5 s is not suspected after 6 s, one heard every 1 s is', () => {
    const slow = new PhiAccrualDetector(opts)
    const fast = new PhiAccrualDetector(opts)
    for (let i = 0; i <= 50; i++) {
      slow.heartbeat(i * 5000)
      fast.heartbeat(i * 1000)
    }
    expect(slow.phi(250_000 + 6000)).toBeLessThan(8)
    expect(fast.phi(50_000 + 6000)).toBeGreaterThan(8)
  })
})
