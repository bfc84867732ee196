import { describe, expect, it } from 'vitest'
import { createSwimConfig } from '../../../actors/swim/config.ts'
import { SwimCounters } from '../../../actors/swim/counters.ts'
import { EXPECTED_PROBERS, MAX_PENDING, SuspectProbes } from '../../../actors/swim/suspect-probes.ts'
import type { SuspectProbesHost } from '../../../actors/swim/suspect-probes.ts'
import type { NodeTable } from '../../../actors/swim/node-table.ts'
import { createSeededRandom } from '../../../src/types/random.ts'

/** A host whose table has `size` entries (heard() reads only the size and our name). */
function host(size: number, seed = 1): SuspectProbesHost & { counters: SwimCounters; health: { score: number } } {
  const health = { score: 0 }
  const random = createSeededRandom(seed)
  const table = { selfName: 'self', size: () => size, get: () => undefined, suspicionOf: () => undefined } as unknown as NodeTable
  return {
    config: createSwimConfig({}),
    env: { now: () => 0, random: () => random.next() } as SuspectProbesHost['env'],
    table,
    counters: new SwimCounters(),
    heardSince: () => false,
    awareness: { getHealthScore: () => health.score },
    health,
  }
}

describe('SuspectProbes bounds', () => {
  it(`holds at most ${MAX_PENDING} suspects; one more is counted, not kept`, () => {
    const h = host(10)
    const p = new SuspectProbes(h)
    for (let i = 0; i < MAX_PENDING + 3; i++) p.heard(`n${i}`, 0)
    expect(p.size()).toBe(MAX_PENDING)
    expect(h.counters.suspectProbesDropped).toBe(3)
    // A suspect already waiting is refreshed, not counted as dropped.
    p.heard('n0', 5)
    expect(p.size()).toBe(MAX_PENDING)
    expect(h.counters.suspectProbesDropped).toBe(3)
  })

  it('not while our own health score is above 0 (our probes fail: weak evidence); what waits is dropped then', () => {
    const h = host(5)
    const p = new SuspectProbes(h)
    p.heard('a', 0)
    h.health.score = 1
    p.heard('b', 0)
    expect(p.size()).toBe(1)
    expect(p.next()).toBeUndefined()
    expect(p.size()).toBe(0)
    expect(h.counters.suspectProbesDropped).toBe(0)
  })

  it('never about ourselves', () => {
    const p = new SuspectProbes(host(5))
    p.heard('self', 0)
    expect(p.size()).toBe(0)
  })

  it(`in a large cluster about ${EXPECTED_PROBERS} members in all take part for one suspect, not every member`, () => {
    // 1,000 members: each of the 998 possible confirmers decides with its own random source.
    let takingPart = 0
    for (let member = 0; member < 998; member++) {
      const p = new SuspectProbes(host(1_000, member + 1))
      p.heard('x', 0)
      takingPart += p.size()
    }
    // Binomial(998, 8/998): mean 8, sd 2.8; the bounds are over 3 sd away.
    expect(takingPart).toBeGreaterThanOrEqual(1)
    expect(takingPart).toBeLessThanOrEqual(18)
  })
})
