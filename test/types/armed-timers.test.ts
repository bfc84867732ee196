import { describe, expect, it } from 'vitest'
import { timerFiring } from '../../src/types/armed-timers.ts'

describe('timerFiring', () => {
  const timers = [
    { key: 'a', dueAt: 100 },
    { key: 'b', dueAt: 200 },
  ]
  it('calls a firing of a timer that is not armed stale', () => {
    expect(timerFiring(timers, 'c', 500)).toEqual({ kind: 'stale' })
  })
  it('calls a firing before the due time early, with the time left', () => {
    expect(timerFiring(timers, 'b', 150)).toEqual({ kind: 'early', remainingMs: 50 })
  })
  it('calls a firing at or after the due time due, and returns the list without it', () => {
    expect(timerFiring(timers, 'a', 100)).toEqual({ kind: 'due', timers: [{ key: 'b', dueAt: 200 }] })
    expect(timerFiring(timers, 'b', 900)).toEqual({ kind: 'due', timers: [{ key: 'a', dueAt: 100 }] })
    expect(timers).toHaveLength(2)
  })
})
