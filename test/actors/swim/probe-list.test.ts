import { describe, expect, it } from 'vitest'
import { kRandom, ProbeList } from '../../../actors/swim/probe-list.ts'
import { ALIGN_SPREAD, delayToNextStepMs, nextAlignedTickDelayMs, probeStep, tickOffsetMs } from '../../../actors/swim/probe-rotation.ts'

function seeded(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 4294967296
  }
}

describe('ProbeList', () => {
  it('visits every probeable node once per round, in a shuffled order', () => {
    const p = new ProbeList(seeded(3))
    const names = Array.from({ length: 20 }, (_, i) => `n${i}`)
    for (const n of names) p.insert(n)
    const rounds: string[][] = []
    for (let r = 0; r < 3; r++) {
      const round: string[] = []
      for (let i = 0; i < 20; i++) round.push(p.next(() => true)!)
      rounds.push(round)
      expect([...round].sort()).toEqual([...names].sort())
    }
    expect(rounds[1]).not.toEqual(rounds[2])
  })

  it('skips nodes that are not probeable and returns undefined when none is', () => {
    const p = new ProbeList(seeded(1))
    for (const n of ['self', 'a', 'b']) p.insert(n)
    const seen = new Set<string>()
    for (let i = 0; i < 10; i++) seen.add(p.next((n) => n !== 'self')!)
    expect([...seen].sort()).toEqual(['a', 'b'])
    expect(p.next(() => false)).toBeUndefined()
  })

  it('calls onWrap at each wrap so expired nodes can be removed', () => {
    const p = new ProbeList(seeded(1))
    for (const n of ['a', 'b']) p.insert(n)
    let wraps = 0
    p.next(() => true, () => wraps++)
    p.next(() => true, () => wraps++)
    p.next(() => true, () => {
      wraps++
      p.remove('a')
    })
    expect(wraps).toBe(1) // the first two calls walk the initial list; the third wraps
    expect(p.list()).toEqual(['b'])
  })

  it('is deterministic for a seed', () => {
    const order = (seed: number) => {
      const p = new ProbeList(seeded(seed))
      for (let i = 0; i < 10; i++) p.insert(`n${i}`)
      return Array.from({ length: 30 }, () => p.next(() => true))
    }
    expect(order(7)).toEqual(order(7))
    expect(order(7)).not.toEqual(order(8))
  })
})

describe('kRandom', () => {
  it('returns up to k distinct accepted items', () => {
    const items = Array.from({ length: 10 }, (_, i) => i)
    const out = kRandom(items, 3, seeded(2), (x) => x % 2 === 0)
    expect(out).toHaveLength(3)
    expect(new Set(out).size).toBe(3)
    for (const x of out) expect(x % 2).toBe(0)
    expect(kRandom(items, 3, seeded(2), () => false)).toEqual([])
    expect(kRandom([], 3, seeded(2), () => true)).toEqual([])
  })

  it('always finds min(k, accepted): a source whose 3n draws keep missing one still gets it', () => {
    // Five slots, the acceptable ones at 1, 2 and 4; the draws only ever hit slots 1 and 2.
    const items = ['self', 'a', 'b', 'dead', 'c']
    let i = 0
    const missesC = () => [0.2, 0.4, 0.0, 0.6][i++ % 4]!
    const out = kRandom(items, 3, missesC, (x) => x !== 'self' && x !== 'dead')
    expect(out.sort()).toEqual(['a', 'b', 'c'])
    for (let seed = 1; seed <= 500; seed++) expect(kRandom(items, 3, seeded(seed), (x) => x !== 'self' && x !== 'dead'), `seed ${seed}`).toHaveLength(3)
  })
})

describe('ProbeList.rotation: the staggered order (probe-rotation.ts)', () => {
  const listOf = (names: readonly string[]) => {
    const p = new ProbeList(seeded(7))
    for (const n of names) p.insert(n)
    return p
  }

  it('each step is a rotation: every member probed by exactly one other; over n - 1 steps each probes every other once', () => {
    for (let n = 2; n <= 7; n++) {
      // Inserted in reverse: the rotation goes by name, not by insertion or shuffle.
      const names = Array.from({ length: n }, (_, i) => `m${n - 1 - i}`)
      const p = listOf(names)
      const probedBy = new Map<string, Set<string>>(names.map((x) => [x, new Set()]))
      for (let step = 100; step < 100 + n - 1; step++) {
        const targets = names.map((self) => p.rotation(self, step, () => true))
        for (const [i, r] of targets.entries()) {
          expect(r.others).toBe(n - 1)
          expect(r.target).not.toBe(names[i])
          probedBy.get(r.target!)!.add(names[i]!)
        }
        expect(new Set(targets.map((r) => r.target)).size).toBe(n)
      }
      for (const [target, by] of probedBy) expect([...by].sort(), target).toEqual(names.filter((x) => x !== target).sort())
    }
  })

  it('leaves out members not in the rotation; none for a member alone or not listed', () => {
    const p = listOf(['a', 'b', 'c', 'd', 'self'])
    const live = (x: string) => x !== 'c'
    const seen = new Set<string | undefined>()
    for (let step = 0; step < 4; step++) {
      const r = p.rotation('self', step, live)
      expect(r.others).toBe(3)
      seen.add(r.target)
    }
    expect([...seen].sort()).toEqual(['a', 'b', 'd'])
    expect(p.rotation('self', 0, () => false)).toEqual({ target: undefined, others: 0 })
    expect(p.rotation('stranger', 0, () => true).target).toBeUndefined()
    p.remove('b')
    expect(p.rotation('self', 0, () => true).others).toBe(3)
  })
})

describe('aligned probe ticks (probe-rotation.ts)', () => {
  const I = 1_000

  it("a member's offset is its own, stable, within a tenth of the interval, and spread over it by name", () => {
    const names = Array.from({ length: 200 }, (_, i) => `node-${i}`)
    const offsets = names.map((n) => tickOffsetMs(n, I))
    for (const o of offsets) {
      expect(Number.isInteger(o)).toBe(true)
      expect(o).toBeGreaterThanOrEqual(0)
      expect(o).toBeLessThan(ALIGN_SPREAD * I)
    }
    expect(tickOffsetMs('node-7', I)).toBe(offsets[7])
    // 200 names over 100 values: about 86 distinct ones if spread at random (FNV-1a alone gave 46).
    expect(new Set(offsets).size).toBeGreaterThan(75)
    expect(offsets.filter((o) => o < 50).length).toBeGreaterThan(70)
    expect(offsets.filter((o) => o >= 50).length).toBeGreaterThan(70)
  })

  it('the next tick is the next step start plus the offset, however late this one ran; the step counts from the offset', () => {
    const off = 37
    expect(probeStep(5_000 + off, I, off)).toBe(5)
    expect(probeStep(5_000 + off + 999, I, off)).toBe(5)
    expect(probeStep(5_000 + off - 1, I, off)).toBe(4)
    expect(delayToNextStepMs(5_000 + off, 5, I, off)).toBe(I)
    expect(delayToNextStepMs(5_000 + off + 300, 5, I, off)).toBe(700)
    // Ticks that fell behind (the step taken is ahead of the clock's): the next one waits for its step.
    expect(delayToNextStepMs(5_000 + off, 6, I, off)).toBe(2 * I)
    expect(delayToNextStepMs(9_000, 5, I, off)).toBe(0)
  })

  it('the next aligned tick follows the steps taken, and a wall clock set back an hour still gets a tick within two intervals', () => {
    const off = 37
    // On time: the step after this one. A tick 1 ms early (its step already taken): still the step after.
    expect(nextAlignedTickDelayMs(5_000 + off, 4, I, off)).toBe(I)
    expect(nextAlignedTickDelayMs(5_000 + off - 1, 4, I, off)).toBe(I + 1)
    // The clock set back 3,600 s after step 3_605 was taken: the wait is bounded, not an hour.
    expect(nextAlignedTickDelayMs(5_000 + off, 3_605, I, off)).toBe(2 * I)
    // One step ahead of the clock (two ticks fell in one step): the step after next, within the bound.
    expect(nextAlignedTickDelayMs(5_000 + off + 100, 5, I, off)).toBe(2 * I - 100)
    // Set forward: the clock's step leads, the next tick is at its step's successor.
    expect(nextAlignedTickDelayMs(90_000 + off + 200, 4, I, off)).toBe(800)
  })

  /** Over 40 steps of a rotation whose members tick `offsetOf(self)` into each step: the longest a member can go unprobed from any instant (ms). */
  const worstWait = (names: string[], offsetOf: (self: string) => number): number => {
    const p = new ProbeList(seeded(3))
    for (const n of names) p.insert(n)
    const probes: Array<{ at: number; target: string }> = []
    for (let step = 10; step < 50; step++) {
      for (const self of names) probes.push({ at: step * I + offsetOf(self), target: p.rotation(self, step, () => true).target! })
    }
    let worst = 0
    for (let t = 12 * I; t < 45 * I; t += 7) {
      for (const victim of names) {
        const next = probes.filter((x) => x.target === victim && x.at > t).reduce((m, x) => Math.min(m, x.at), Number.POSITIVE_INFINITY)
        worst = Math.max(worst, next - t)
      }
    }
    return worst
  }

  it('aligned: no member goes unprobed longer than 1.1 intervals; at random phases up to about two', () => {
    for (let n = 3; n <= 8; n++) {
      const names = Array.from({ length: n }, (_, i) => `m${i}`)
      expect(worstWait(names, (self) => tickOffsetMs(self, I)), `n = ${n}`).toBeLessThanOrEqual(I * (1 + ALIGN_SPREAD))
    }
    const names = Array.from({ length: 8 }, (_, i) => `m${i}`)
    const random = seeded(11)
    const phases = new Map(names.map((x) => [x, Math.floor(random() * I)]))
    expect(worstWait(names, (self) => phases.get(self)!)).toBeGreaterThan(1.5 * I)
  })
})
