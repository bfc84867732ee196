/**
 * Model checking of the membership backend's lease core (bench/election/lease-sim.ts, shared with
 * `npm run chaos:lease` and the bench): N = 5, 7, 15 pure cores,
 * drifting clocks (±1%, the config's maxDriftRate), a lossy, duplicating, reordering network with
 * partitions and heals, crashes and restarts from the persisted promise; 200 seeds per size. No two
 * nodes hold an unexpired lease at once (true time), no node grants or persists an older term, and
 * after every heal a leader exists on the majority side within SIM_BOUND_MS. Then the checker is
 * shown to catch planted broken rules: it is not a test that passes whatever the core does.
 */
import { describe, expect, it } from 'vitest'
import { SIM_BOUND_MS, runLeaseSim } from '../../../bench/election/lease-sim.ts'

const SEEDS = 200
/** Simulated time per seed: two to three chaos/stable phase pairs at a 2 s lease. */
const DURATION_MS = 40_000

describe('election lease safety (model checking)', () => {
  it.each([5, 7, 15])('N=%i: no two leases overlap, terms never go back, a leader is back within the bound after each heal (200 seeds)', (n) => {
    const violations: string[] = []
    let heals = 0
    let leaderships = 0
    let worst = 0
    let twoLeaders = 0
    let staleTerms = 0
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = runLeaseSim({ nodes: n, seed, durationMs: DURATION_MS })
      violations.push(...r.violations)
      twoLeaders += r.twoLeaderInstants
      staleTerms += r.staleTermsAccepted
      heals += r.recoveries.length
      leaderships += r.leaderships
      for (const x of r.recoveries) if (x !== undefined) worst = Math.max(worst, x)
    }
    expect(violations).toEqual([])
    expect([twoLeaders, staleTerms]).toEqual([0, 0])
    // The runs exercised what they claim: many heals and many distinct leaderships.
    expect(heals).toBeGreaterThanOrEqual(SEEDS)
    expect(leaderships).toBeGreaterThan(SEEDS)
    expect(worst).toBeLessThanOrEqual(SIM_BOUND_MS)
  })

  it('catches a planted broken grant rule (voters grant every request): two leaders in one term', () => {
    for (const n of [5, 7, 15]) {
      const r = runLeaseSim({ nodes: n, seed: 1, durationMs: DURATION_MS, plant: 'grant-always' })
      expect(r.violations.some((v) => /led by|both held the lease/.test(v)), `N=${n}`).toBe(true)
      // The bench's chaos figure counts them (bench/election.bench.ts reads twoLeaderInstants).
      expect(r.twoLeaderInstants, `N=${n}`).toBeGreaterThan(0)
    }
  })

  it('catches a planted broken hold (a voter forgets its unexpired promise when a newer term asks): overlapping leases', () => {
    // Each voter still grants one candidate per term, so terms stay unique: only the lease check can see this.
    for (const n of [5, 7, 15]) {
      const caught = [1, 2, 3, 4, 5, 6, 7, 8].filter((seed) => runLeaseSim({ nodes: n, seed, durationMs: DURATION_MS, plant: 'no-hold' }).violations.some((v) => v.includes('both held the lease')))
      expect(caught.length, `N=${n}`).toBeGreaterThanOrEqual(4)
    }
  })

  it('is deterministic: the same seed gives the same run', () => {
    const a = runLeaseSim({ nodes: 7, seed: 42, durationMs: DURATION_MS })
    const b = runLeaseSim({ nodes: 7, seed: 42, durationMs: DURATION_MS })
    expect(b).toEqual(a)
  })
})
