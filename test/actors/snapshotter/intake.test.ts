import { describe, expect, it } from 'vitest'
import { Intake } from '../../../actors/snapshotter/intake.ts'
import { SnapshotState } from '../../../actors/snapshotter/snapshot-state.ts'

describe('snapshotter - intake', () => {
  it('keeps one pending entry per member and counts every replacement', () => {
    const intake = new Intake()
    for (let i = 0; i < 100_000; i++) intake.member(`m${i % 50}`, i % 3 === 0 ? null : `10.0.0.1:${i}`)
    expect(intake.depth).toBe(50)
    expect(intake.coalesced).toBe(100_000 - 50)
    const state = new SnapshotState()
    const { text, lines } = intake.drain(state)
    expect(lines).toBe(50)
    // the last change of each member wins: m49 last saw i = 99_999 (99_999 % 3 === 0: not alive)
    expect(text).toContain('not-alive: m49\n')
    expect(state.alive.has('m49')).toBe(false)
    expect(state.alive.get('m48')).toBe('10.0.0.1:99998')
    expect(intake.depth).toBe(0)
    expect(intake.hasPending()).toBe(false)
  })

  it('writes a clock only when it advances past the written one, as Serf does', () => {
    const intake = new Intake()
    const state = new SnapshotState()
    state.lastClock = 10n
    intake.memberClock(7n)
    intake.memberClock(9n)
    intake.eventClockTo(3n)
    intake.eventClockTo(2n)
    intake.queryClockTo(1n)
    expect(intake.coalesced).toBe(2)
    const { text } = intake.drain(state)
    expect(text).toBe('event-clock: 3\nquery-clock: 1\n')
    expect(state.lastClock).toBe(10n)
    intake.memberClock(11n)
    expect(intake.drain(state).text).toBe('clock: 11\n')
  })
})
