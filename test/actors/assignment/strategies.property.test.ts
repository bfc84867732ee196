/**
 * Property tests of the strategies over random fleets, weights and previous assignments: every
 * partition has exactly one owner from the table, weight 0 owns nothing, consistent hashing keeps
 * its bound, recomputing is a fixed point, and (equal weights) a leave moves only the leaver's
 * partitions while a join moves only what the newcomer takes.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { loadsOf, movedCount, movedMask, ownerOf, partitionsOf, type Assignment } from '../../../actors/assignment/assignment.ts'
import { DEFAULT_LOAD_FACTOR } from '../../../actors/assignment/strategies/consistent-hash.ts'
import { createStrategy, STRATEGY_NAMES } from '../../../actors/assignment/strategies/registry.ts'
import type { StrategyName } from '../../../actors/assignment/strategies/strategy.ts'
import type { WorkerSpec } from '../../../actors/assignment/worker-spec.ts'

const RUNS = 40

const fleet = fc
  .array(fc.record({ n: fc.integer({ min: 0, max: 60 }), weight: fc.constantFrom(0, 0.5, 1, 1, 2, 3) }), { minLength: 1, maxLength: 30 })
  .map((ws) => {
    const seen = new Set<number>()
    return ws.filter((w) => !seen.has(w.n) && seen.add(w.n)).map((w): WorkerSpec => ({ id: `w${w.n}`, weight: w.weight }))
  })
  .filter((ws) => ws.some((w) => w.weight > 0))

const strategyName = fc.constantFrom<StrategyName>(...STRATEGY_NAMES)

/** The checks every assignment must pass, whatever produced it. */
function checkOwnership(a: Assignment, ws: readonly WorkerSpec[]): void {
  // Every partition exactly once across the workers' partition lists: one owner each, none unowned.
  const seen = new Uint8Array(a.partitions)
  for (const w of a.workers) for (const p of partitionsOf(a, w.id)) seen[p]!++
  expect(seen.every((x) => x === 1)).toBe(true)
  expect(a.workers.map((w) => w.id).sort()).toEqual(ws.map((w) => w.id).sort())
  for (const w of ws) if (w.weight === 0) expect(partitionsOf(a, w.id)).toEqual([])
}

describe('assignment strategies (properties)', () => {
  it('give every partition exactly one owner, and weight 0 none, with or without a previous assignment', () => {
    fc.assert(
      fc.property(strategyName, strategyName, fleet, fleet, fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 2000 }), (name, prevName, ws, prevWs, P, prevP) => {
        const previous = createStrategy(prevName).assign({ partitions: prevP, workers: prevWs })
        const a = createStrategy(name).assign({ partitions: P, workers: ws, previous })
        checkOwnership(a, ws)
        checkOwnership(createStrategy(name).assign({ partitions: P, workers: ws }), ws)
      }),
      { numRuns: RUNS },
    )
  })

  it('consistent-hash: no worker above ceil(c × fair share), from any previous assignment', () => {
    fc.assert(
      fc.property(strategyName, fleet, fleet, fc.integer({ min: 1, max: 3000 }), (prevName, ws, prevWs, P) => {
        const previous = createStrategy(prevName).assign({ partitions: P, workers: prevWs })
        const a = createStrategy('consistent-hash').assign({ partitions: P, workers: ws, previous })
        const total = ws.reduce((s, w) => s + w.weight, 0)
        const loads = loadsOf(a)
        a.workers.forEach((w, i) => expect(loads[i]).toBeLessThanOrEqual(Math.ceil((DEFAULT_LOAD_FACTOR * P * w.weight) / total - 1e-9)))
      }),
      { numRuns: RUNS },
    )
  })

  it('are a fixed point: recomputing from their own answer moves nothing', () => {
    fc.assert(
      fc.property(strategyName, strategyName, fleet, fleet, fc.integer({ min: 1, max: 3000 }), (name, prevName, ws, prevWs, P) => {
        const s = createStrategy(name)
        const previous = createStrategy(prevName).assign({ partitions: P, workers: prevWs })
        const a = s.assign({ partitions: P, workers: ws, previous })
        expect(movedCount(a, s.assign({ partitions: P, workers: ws, previous: a }))).toBe(0)
      }),
      { numRuns: RUNS },
    )
  })

  it('equal weights: a leave moves only the leaver partitions; a join moves only partitions to the newcomer', () => {
    fc.assert(
      fc.property(strategyName, fc.integer({ min: 2, max: 40 }), fc.integer({ min: 1, max: 3000 }), fc.nat(), (name, n, P, pick) => {
        const s = createStrategy(name)
        const ws = Array.from({ length: n }, (_, i): WorkerSpec => ({ id: `w${i}`, weight: 1 }))
        const a = s.assign({ partitions: P, workers: ws })
        const leaver = `w${pick % n}`
        const left = s.assign({ partitions: P, workers: ws.filter((w) => w.id !== leaver), previous: a })
        const mask = movedMask(a, left)
        const wrong: number[] = []
        for (let p = 0; p < P; p++) if ((mask[p] === 1) !== (ownerOf(a, p) === leaver)) wrong.push(p)
        expect(wrong).toEqual([])
        const joined = s.assign({ partitions: P, workers: [...ws, { id: 'new', weight: 1 }], previous: a })
        const jm = movedMask(a, joined)
        const notToNewcomer: number[] = []
        for (let p = 0; p < P; p++) if (jm[p] === 1 && ownerOf(joined, p) !== 'new') notToNewcomer.push(p)
        expect(notToNewcomer).toEqual([])
      }),
      { numRuns: RUNS },
    )
  })
})
