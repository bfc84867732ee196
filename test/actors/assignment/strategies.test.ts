/**
 * The three strategies, table-driven: movement on join and leave, load, weights, stickiness,
 * determinism, and the coded errors for bad input.
 */
import { describe, expect, it } from 'vitest'
import { loadsOf, movedCount, movedMask, ownerOf, partitionsOf, type Assignment } from '../../../actors/assignment/assignment.ts'
import { consistentHash } from '../../../actors/assignment/strategies/consistent-hash.ts'
import { createStrategy, STRATEGY_NAMES } from '../../../actors/assignment/strategies/registry.ts'
import type { Strategy } from '../../../actors/assignment/strategies/strategy.ts'
import { codeOf, loadById, workers } from './support.ts'

const P = 2000

/** Partitions whose move status disagrees with "owned by `leaver` before" (empty when exactly its partitions moved). */
function wrongMoves(before: Assignment, after: Assignment, leaver: string): number[] {
  const mask = movedMask(before, after)
  const wrong: number[] = []
  for (let p = 0; p < before.partitions; p++) if ((mask[p] === 1) !== (ownerOf(before, p) === leaver)) wrong.push(p)
  return wrong
}

describe('assignment strategies: join and leave', () => {
  const rows: Array<{ name: string; strategy: Strategy; joinLimit: (n: number) => number }> = [
    // At most the newcomer's target ceil(P/(N+1)): the 1.1 is the ratio target.
    { name: 'consistent-hash', strategy: consistentHash(), joinLimit: (n) => Math.ceil(P / (n + 1)) },
    // Whatever the newcomer wins: binomial around P/(N+1); 1.3 is > 4 sigma at these sizes.
    { name: 'rendezvous', strategy: createStrategy('rendezvous'), joinLimit: (n) => 1.3 * (P / (n + 1)) },
    // Exactly the newcomer's quota.
    { name: 'round-robin', strategy: createStrategy('round-robin'), joinLimit: (n) => Math.ceil(P / (n + 1)) },
  ]
  for (const { name, strategy, joinLimit } of rows) {
    for (const n of [3, 10, 50]) {
      it(`${name}: a join into ${n} moves only what the newcomer takes, at most ${name === 'rendezvous' ? '1.3x' : 'ceil of'} P/(N+1)`, () => {
        const before = strategy.assign({ partitions: P, workers: workers(n) })
        const after = strategy.assign({ partitions: P, workers: workers(n + 1), previous: before })
        const mask = movedMask(before, after)
        let moved = 0
        const elsewhere: number[] = []
        for (let p = 0; p < P; p++) {
          if (mask[p] === 1) {
            moved++
            if (ownerOf(after, p) !== `worker-${n}`) elsewhere.push(p)
          }
        }
        expect(elsewhere).toEqual([])
        expect(moved).toBe(partitionsOf(after, `worker-${n}`).length)
        expect(moved).toBeLessThanOrEqual(joinLimit(n))
        expect(moved).toBeGreaterThan(0.7 * (P / (n + 1)))
      })

      it(`${name}: a leave from ${n} moves exactly the leaver's partitions`, () => {
        const before = strategy.assign({ partitions: P, workers: workers(n) })
        for (const leaver of [0, n - 1]) {
          const after = strategy.assign({ partitions: P, workers: workers(n).filter((_, i) => i !== leaver), previous: before })
          expect(wrongMoves(before, after, `worker-${leaver}`)).toEqual([])
        }
      })
    }
  }
})

describe('assignment strategies: load', () => {
  it('consistent-hash fills every worker to at most its fair share on a cold start, and within ceil(c × fair) after churn', () => {
    const ch = consistentHash()
    const a = ch.assign({ partitions: 10_000, workers: workers(100) })
    expect(Math.max(...loadsOf(a))).toBe(100)
    // Churn: 10 joins then 10 leaves, each from the last; the bound holds all along.
    let cur = a
    let ws = workers(100)
    for (let i = 0; i < 10; i++) {
      ws = [...ws, { id: `late-${i}`, weight: 1 }]
      cur = ch.assign({ partitions: 10_000, workers: ws, previous: cur })
      expect(Math.max(...loadsOf(cur))).toBeLessThanOrEqual(Math.ceil((1.25 * 10_000) / ws.length))
    }
    for (let i = 0; i < 10; i++) {
      ws = ws.filter((_, k) => k !== (i * 7) % ws.length)
      cur = ch.assign({ partitions: 10_000, workers: ws, previous: cur })
      expect(Math.max(...loadsOf(cur))).toBeLessThanOrEqual(Math.ceil((1.25 * 10_000) / ws.length))
    }
  })

  it('consistent-hash sheds down to the bound when the previous assignment overloads a worker', () => {
    // Previous: everything on worker-0 (as round robin over one worker gives it).
    const all = createStrategy('round-robin').assign({ partitions: 1000, workers: [{ id: 'worker-0', weight: 1 }] })
    const a = consistentHash().assign({ partitions: 1000, workers: workers(4), previous: all })
    const loads = loadById(a)
    expect(loads['worker-0']).toBe(Math.ceil(1.25 * 250))
    expect(Math.max(...Object.values(loads))).toBeLessThanOrEqual(313)
  })

  it('round-robin deals partition p to worker p mod W with equal weights', () => {
    const a = createStrategy('round-robin').assign({ partitions: 103, workers: workers(10) })
    expect(Array.from(a.owners, (o) => a.workers[o]!.id)).toEqual(Array.from({ length: 103 }, (_, p) => `worker-${p % 10}`))
  })

  it('rendezvous spreads equal workers within the binomial spread', () => {
    const a = createStrategy('rendezvous').assign({ partitions: 20_000, workers: workers(10) })
    // Fair 2,000 each, sigma about 42: 1,800..2,200 is beyond 4.5 sigma.
    for (const l of loadsOf(a)) {
      expect(l).toBeGreaterThan(1800)
      expect(l).toBeLessThan(2200)
    }
  })
})

describe('assignment strategies: weights', () => {
  const weighted = [
    { id: 'a', weight: 1 },
    { id: 'b', weight: 2 },
    { id: 'c', weight: 4 },
    { id: 'drain', weight: 0 },
  ]
  const fair: Record<string, number> = { a: 20_000 / 7, b: 40_000 / 7, c: 80_000 / 7, drain: 0 }
  for (const name of STRATEGY_NAMES) {
    it(`${name}: shares follow the weights and weight 0 receives nothing`, () => {
      const a = createStrategy(name).assign({ partitions: 20_000, workers: weighted })
      const loads = loadById(a)
      expect(loads['drain']).toBe(0)
      for (const id of ['a', 'b', 'c']) {
        // consistent-hash and round-robin: at most ceil(fair); rendezvous: binomial, sigma < 75.
        if (name === 'rendezvous') expect(Math.abs(loads[id]! - fair[id]!)).toBeLessThan(400)
        else {
          expect(loads[id]).toBeLessThanOrEqual(Math.ceil(fair[id]!))
          expect(loads[id]).toBeGreaterThanOrEqual(Math.floor(fair[id]!) - (name === 'round-robin' ? 0 : 1))
        }
      }
    })

    it(`${name}: a worker whose weight drops to 0 gives up all its partitions, and nobody else moves`, () => {
      const s = createStrategy(name)
      const before = s.assign({ partitions: 5000, workers: workers(8) })
      const after = s.assign({ partitions: 5000, workers: workers(8).map((w) => (w.id === 'worker-3' ? { ...w, weight: 0 } : w)), previous: before })
      expect(partitionsOf(after, 'worker-3')).toEqual([])
      expect(wrongMoves(before, after, 'worker-3')).toEqual([])
    })
  }
})

describe('assignment strategies: stickiness and determinism', () => {
  for (const name of STRATEGY_NAMES) {
    it(`${name}: recomputing with nothing changed moves nothing`, () => {
      const s = createStrategy(name)
      const a = s.assign({ partitions: 3000, workers: workers(17) })
      const b = s.assign({ partitions: 3000, workers: workers(17), previous: a })
      expect(movedCount(a, b)).toBe(0)
      expect(b.version).toBe(a.version + 1)
    })

    it(`${name}: the worker order does not matter`, () => {
      const s = createStrategy(name)
      const ws = workers(23)
      const shuffled = [...ws].reverse().sort((x, y) => (x.id.length % 3) - (y.id.length % 3))
      expect(Array.from(s.assign({ partitions: 999, workers: shuffled }).owners)).toEqual(Array.from(s.assign({ partitions: 999, workers: ws }).owners))
    })
  }

  it('consistent-hash keeps a balanced previous assignment from another strategy as it is', () => {
    const rr = createStrategy('round-robin').assign({ partitions: 4000, workers: workers(12) })
    const ch = consistentHash().assign({ partitions: 4000, workers: workers(12), previous: rr })
    expect(movedCount(rr, ch)).toBe(0)
  })

  it('consistent-hash and rendezvous depend on the seed; one seed gives one answer', () => {
    for (const make of [(seed: number) => consistentHash({ seed }), (seed: number) => createStrategy('rendezvous', { seed })]) {
      const a = make(1).assign({ partitions: 1000, workers: workers(5) })
      expect(Array.from(make(1).assign({ partitions: 1000, workers: workers(5) }).owners)).toEqual(Array.from(a.owners))
      expect(movedCount(a, make(2).assign({ partitions: 1000, workers: workers(5) }))).toBeGreaterThan(500)
    }
  })

  it('stamps the term and the next version', () => {
    const s = consistentHash()
    const a = s.assign({ partitions: 10, workers: workers(2), term: 7 })
    expect([a.term, a.version]).toEqual([7, 1])
    const b = s.assign({ partitions: 10, workers: workers(2), previous: a })
    expect([b.term, b.version]).toEqual([7, 2])
    expect(s.assign({ partitions: 10, workers: workers(2), previous: a, term: 9, version: 40 }).term).toBe(9)
  })

  it('handles a changed partition count: kept partitions stay, new ones are placed', () => {
    const s = consistentHash()
    const a = s.assign({ partitions: 1000, workers: workers(4) })
    const b = s.assign({ partitions: 1200, workers: workers(4), previous: a })
    expect(b.partitions).toBe(1200)
    let kept = 0
    for (let p = 0; p < 1000; p++) if (ownerOf(a, p) === ownerOf(b, p)) kept++
    expect(kept).toBeGreaterThan(900)
  })
})

describe('assignment strategies: bad input', () => {
  const bad: Array<[string, object, string]> = [
    ['0 partitions', { partitions: 0, workers: workers(2) }, 'ERR_ASSIGNMENT_INVALID_PARTITIONS'],
    ['10,000,000 partitions', { partitions: 10_000_000, workers: workers(2) }, 'ERR_ASSIGNMENT_INVALID_PARTITIONS'],
    ['1.5 partitions', { partitions: 1.5, workers: workers(2) }, 'ERR_ASSIGNMENT_INVALID_PARTITIONS'],
    ['NaN partitions', { partitions: Number.NaN, workers: workers(2) }, 'ERR_ASSIGNMENT_INVALID_PARTITIONS'],
    ['no workers', { partitions: 10, workers: [] }, 'ERR_ASSIGNMENT_NO_CAPACITY'],
    ['all weights 0', { partitions: 10, workers: workers(3, 0) }, 'ERR_ASSIGNMENT_NO_CAPACITY'],
    ['a negative weight', { partitions: 10, workers: [{ id: 'a', weight: -1 }] }, 'ERR_ASSIGNMENT_INVALID_WORKER'],
    ['a NaN weight', { partitions: 10, workers: [{ id: 'a', weight: Number.NaN }] }, 'ERR_ASSIGNMENT_INVALID_WORKER'],
    ['an infinite weight', { partitions: 10, workers: [{ id: 'a', weight: Infinity }] }, 'ERR_ASSIGNMENT_INVALID_WORKER'],
    ['a repeated id', { partitions: 10, workers: [{ id: 'a', weight: 1 }, { id: 'a', weight: 2 }] }, 'ERR_ASSIGNMENT_INVALID_WORKER'],
    ['an empty id', { partitions: 10, workers: [{ id: '', weight: 1 }] }, 'ERR_ASSIGNMENT_INVALID_WORKER'],
    ['a 256-byte id', { partitions: 10, workers: [{ id: 'é'.repeat(128), weight: 1 }] }, 'ERR_ASSIGNMENT_INVALID_WORKER'],
    ['a lone surrogate in an id', { partitions: 10, workers: [{ id: 'w\ud800', weight: 1 }] }, 'ERR_ASSIGNMENT_INVALID_WORKER'],
    ['65,536 workers', { partitions: 10, workers: workers(65_536) }, 'ERR_ASSIGNMENT_TOO_MANY_WORKERS'],
    ['a negative term', { partitions: 10, workers: workers(2), term: -1 }, 'ERR_ASSIGNMENT_INVALID_TERM'],
    ['a fractional version', { partitions: 10, workers: workers(2), version: 1.5 }, 'ERR_ASSIGNMENT_INVALID_TERM'],
    ['a term past 2^53', { partitions: 10, workers: workers(2), term: 2 ** 53 }, 'ERR_ASSIGNMENT_INVALID_TERM'],
  ]
  for (const name of STRATEGY_NAMES) {
    it(`${name}: refuses each with its code`, () => {
      const s = createStrategy(name)
      for (const [, input, code] of bad) expect(codeOf(() => s.assign(input as never))).toBe(code)
    })
  }

  it('accepts the limits themselves: 1 partition, 1,000,000 partitions, 65,535 workers', () => {
    const s = consistentHash({ vnodes: 1 })
    expect(s.assign({ partitions: 1, workers: workers(1) }).partitions).toBe(1)
    expect(createStrategy('round-robin').assign({ partitions: 1_000_000, workers: workers(3) }).partitions).toBe(1_000_000)
    expect(createStrategy('round-robin').assign({ partitions: 70_000, workers: workers(65_535) }).workers.length).toBe(65_535)
  })
})
