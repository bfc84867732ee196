/**
 * fastJoinPropagation (gossip-ticker.ts `joinNews`): a member's alive that a node did not know goes
 * out an eighth of a gossip interval after the last round, so a join burst converges in about its
 * push/pulls' time; `false` is memberlist's timing (the next tick, up to half an interval away
 * with our early rounds).
 */
import { describe, expect, it } from 'vitest'
import type { SwimInit } from '../../../actors/swim/config.ts'
import { joinCase } from '../../../bench/cluster/join-case.ts'
import { RuntimeCluster } from '../../../sim/runtime-cluster.ts'
import { harness } from './harness.ts'

const MEMBERLIST_TIMING: SwimInit = { fastCrashDetection: false, fastJoinPropagation: false, probeOrder: 'shuffled' }
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!

describe('fastJoinPropagation', () => {
  it('counts a round brought forward for an alive of a member we did not know, not for one we knew; off: none', () => {
    const h = harness({ peers: 2 })
    const before = h.node.counters.joinNewsSoon
    h.receive(2, h.alive(9, 1))
    expect(h.node.counters.joinNewsSoon).toBe(before + 1)
    h.receive(2, h.alive(9, 2)) // an update of a known member is not join news
    expect(h.node.counters.joinNewsSoon).toBe(before + 1)
    const off = harness({ peers: 2, init: MEMBERLIST_TIMING })
    off.receive(2, off.alive(9, 1))
    expect(off.node.counters.joinNewsSoon).toBe(0)
  })

  // Pure swim (no queue actor): 4 members join one that ran alone, at the same moment, 1 ms links.
  it('simulator, K = 5, 60 seeds: every seed converges no later than under memberlist timing, the median within a few ms', () => {
    const fast: number[] = []
    const memberlist: number[] = []
    for (let seed = 1; seed <= 60; seed++) {
      const f = joinCase(5, seed, {})
      const m = joinCase(5, seed, MEMBERLIST_TIMING)
      expect(f.convergedMs, `seed ${seed}`).toBeDefined()
      expect(f.convergedMs!, `seed ${seed}`).toBeLessThanOrEqual(m.convergedMs!)
      expect(f.joinRounds, `seed ${seed}`).toBeGreaterThan(0)
      expect(m.joinRounds).toBe(0)
      fast.push(f.convergedMs!)
      memberlist.push(m.convergedMs!)
    }
    expect(median(fast)).toBeLessThanOrEqual(10)
    expect(median(memberlist)).toBeGreaterThanOrEqual(50)
  })

  // The real actors (swim, gossip-queue, member-manager) inline on one simulated clock: the news
  // reaches swim in gossip-queue's lease. Joins 30 ms apart, as push/pulls spread on a busy machine.
  it('runtime cluster, joins 30 ms apart: all converge within 10 ms of the last join in every seed; under memberlist timing some seed waits longer', async () => {
    async function afterLastJoin(seed: number, swim: SwimInit): Promise<number> {
      const c = new RuntimeCluster({ seed, preset: 'lan', swim, pollMs: 2 })
      try {
        const first = await c.addNode()
        await c.run(5_000 + ((seed * 137) % 1_000))
        for (let i = 0; i < 4; i++) {
          if (i > 0) await c.run(30)
          await c.addNode(undefined, [first.name])
        }
        const last = c.now()
        const at = await c.runUntil(() => c.converged(), 5_000)
        expect(at, `seed ${seed}`).toBeDefined()
        return at! - last
      } finally {
        await c.close()
      }
    }
    const memberlist: number[] = []
    for (const seed of [1, 2, 3, 4, 5]) {
      expect(await afterLastJoin(seed, {}), `seed ${seed}`).toBeLessThanOrEqual(10)
      memberlist.push(await afterLastJoin(seed, MEMBERLIST_TIMING))
    }
    expect(Math.max(...memberlist)).toBeGreaterThan(10)
  })
})
