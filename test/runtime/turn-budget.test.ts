/** The per-turn item budget: what may be handled at once, which links pause until the next check phase, and what the reset costs. */
import { describe, expect, it, vi } from 'vitest'
import { TurnBudget } from '../../src/runtime/turn-budget.ts'

const nextTurn = () => new Promise<void>((r) => setImmediate(r))
/** Ends a turn without a setImmediate (so a spy on setImmediate sees only the budget's). */
const nextTurnByTimer = () => new Promise<void>((r) => setTimeout(r, 0))

describe('TurnBudget', () => {
  it('lets links handle up to the limit in one turn, then pauses each once until the next check phase', async () => {
    const budget = new TurnBudget(100)
    const resumed: string[] = []
    const a = { resume: () => void resumed.push('a') }
    const b = { resume: () => void resumed.push('b') }
    expect(budget.take(60, a)).toBe(true)
    expect(budget.take(40, b)).toBe(true)
    expect(budget.take(1, a)).toBe(false)
    expect(budget.take(5, b)).toBe(false)
    expect(budget.take(1, a)).toBe(false) // counted again: still one resume owed, not two
    expect(resumed).toEqual([])
    await nextTurn()
    expect(resumed).toEqual(['a', 'b'])
    expect(budget.deferredTurns).toBe(1)
    expect(budget.take(100, a)).toBe(true) // a fresh turn
  })

  it('a port message larger than the limit is handled whole, then its link pauses and resumes next turn', async () => {
    const budget = new TurnBudget(10)
    let resumed = 0
    const link = { resume: () => void resumed++ }
    expect(budget.take(1000, link)).toBe(false)
    await nextTurn()
    expect(resumed).toBe(1)
    expect(budget.take(5, link)).toBe(true)
  })

  it('arms no check-phase reset for turns that handle little (a round trip is one item per turn)', async () => {
    const budget = new TurnBudget(4096)
    const link = { resume: () => {} }
    const spy = vi.spyOn(globalThis, 'setImmediate')
    try {
      // 200 turns of one item each, as a thread answering asks one at a time handles.
      for (let turn = 0; turn < 200; turn++) {
        expect(budget.take(1, link)).toBe(true)
        await nextTurnByTimer()
      }
      // The turns above end on setTimeout: any setImmediate call would be the budget arming its reset.
      expect(spy.mock.calls.length).toBe(0)
    } finally {
      spy.mockRestore()
    }
  })

  it('counts the small turns until a reset is armed, so no turn ever handles more than the limit', async () => {
    const budget = new TurnBudget(100)
    const link = { resume: () => {} }
    // 20 turns of one item: 20 counted, no reset armed (below a quarter of the limit, 25).
    for (let turn = 0; turn < 20; turn++) {
      expect(budget.take(1, link)).toBe(true)
      await nextTurnByTimer()
    }
    // This turn reaches the quarter (the reset is armed) and pauses past the limit as counted.
    expect(budget.take(50, link)).toBe(true) // 70
    expect(budget.take(30, link)).toBe(true) // 100
    expect(budget.take(1, link)).toBe(false)
    await nextTurn()
    expect(budget.take(100, link)).toBe(true) // a fresh count after the check phase
    expect(budget.take(1, link)).toBe(false)
  })
})
