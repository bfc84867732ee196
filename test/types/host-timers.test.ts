import { describe, expect, it } from 'vitest'
import { SimulatedClock } from '../../src/runtime/simulated-clock.ts'
import { createHostTimers } from '../../src/types/host-timers.ts'

describe('createHostTimers', () => {
  it('re-arms a key, cancels, clears, and forgets a handle before its callback runs', async () => {
    const clock = new SimulatedClock()
    const timers = createHostTimers<string>(clock)
    const fired: string[] = []
    timers.set('a', 100, () => fired.push('a1'))
    timers.set('a', 300, () => fired.push('a2')) // replaces the first
    timers.set('b', 200, () => {
      fired.push('b')
      timers.set('b', 200, () => fired.push('b again')) // re-armed from its own callback
    })
    timers.set('c', 50, () => fired.push('c'))
    timers.cancel('c')
    expect(timers.size).toBe(2)
    await clock.advance(300)
    expect(fired).toEqual(['b', 'a2'])
    expect(timers.size).toBe(1)
    timers.clear()
    await clock.advance(1_000)
    expect(fired).toEqual(['b', 'a2'])
    expect(timers.size).toBe(0)
  })
})
