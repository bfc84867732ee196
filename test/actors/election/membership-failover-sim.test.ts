/**
 * bench:election's membership measure (bench/election/membership-failover.ts): the real election and
 * assignment actors in the simulator, five nodes. A publication crosses the simulated swim on the
 * assignment channel to the other nodes' assignment actors (the cluster settles on one assignment
 * at all five), and the measures end at the new term's first assignment accepted by a node other
 * than its publisher: after the election they follow (at least one simulated link's latency: a
 * measure that ended at the election would equal it), and no later than that election plus
 * the calculator's restart window and one renewal interval (the followers learn the new leader
 * from its first renewal, then register with it).
 */
import { describe, expect, it } from 'vitest'
import { membershipRun } from '../../../bench/election/membership-failover.ts'
import { DEFAULT_ELECTION_CONFIG, renewIntervalMs } from '../../../actors/election/config.ts'
import { DEFAULT_ASSIGNMENT_CONFIG } from '../../../actors/assignment/config.ts'

describe('membership failover in the simulator, to the first assignment', () => {
  it.each([1, 2, 3])('seed %i: crash failover and handover end at an assignment of the new term, after its election', async (seed) => {
    const detectionMs = 6_000
    const r = await membershipRun(seed, detectionMs)
    const slack = DEFAULT_ASSIGNMENT_CONFIG.restartWindowMs + renewIntervalMs(DEFAULT_ELECTION_CONFIG) + 1_000
    expect(r.crashElectedMs).toBeGreaterThan(0)
    expect(r.crashFailoverMs).toBeGreaterThan(r.crashElectedMs)
    expect(r.crashFailoverMs).toBeLessThanOrEqual(r.crashElectedMs + slack)
    expect(r.handoverMs).toBeGreaterThan(r.handoverElectedMs)
    expect(r.handoverMs).toBeLessThanOrEqual(r.handoverElectedMs + slack)
  }, 60_000)
})
