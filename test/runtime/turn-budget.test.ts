/** The per-turn credit budget: what goes at once, what waits for the next check phase, and that it always goes then. */
import { describe, expect, it } from 'vitest'
import { TurnBudget } from '../../src/runtime/turn-budget.ts'

const nextTurn = () => new Promise<void>((r) => setImmediate(r))

describe('TurnBudget', () => {
  it('lets credit go up to the limit in one turn, then holds it until the next check phase', async () => {
    const budget = new TurnBudget(100)
    const flushed: string[] = []
    const a = { flush: () => void flushed.push('a') }
    const b = { flush: () => void flushed.push('b') }
    expect(budget.take(60, a)).toBe(true)
    expect(budget.take(40, b)).toBe(true)
    expect(budget.take(1, a)).toBe(false)
    expect(budget.take(5, b)).toBe(false)
    expect(budget.take(1, a)).toBe(false) // asked again: still one flush owed, not two
    expect(flushed).toEqual([])
    await nextTurn()
    expect(flushed).toEqual(['a', 'b'])
    expect(budget.deferredTurns).toBe(1)
    expect(budget.take(100, a)).toBe(true) // a fresh turn
  })

  it('always lets the first credit of a turn go, however large, so every link progresses', async () => {
    const budget = new TurnBudget(10)
    const holder = { flush: () => {} }
    expect(budget.take(1000, holder)).toBe(true)
    expect(budget.take(1, holder)).toBe(false)
    await nextTurn()
    expect(budget.take(1000, holder)).toBe(true)
  })
})
