import { describe, expect, it } from 'vitest'
import { replaySnapshot } from '../../../actors/snapshotter/replay.ts'
import { restoredState } from '../../../actors/snapshotter/restored-state.ts'
import { createSeededRandom } from '../../../src/types/random.ts'

const bytes = (s: string) => new TextEncoder().encode(s)

describe('snapshotter - restored state', () => {
  it('offers previous members for rejoin shuffled, skipping our own name, with min times', () => {
    const r = replaySnapshot(bytes('alive: self 1.1.1.1:1\nalive: a 1.1.1.2:1\nalive: b 1.1.1.3:1\nevent-clock: 4\nquery-clock: 9\n'))
    const s = restoredState(r, 'self', createSeededRandom(3).next)
    expect(s.previousNodes.map((p) => p.name).sort()).toEqual(['a', 'b'])
    expect(s.eventMinTime).toBe(5n)
    expect(s.queryMinTime).toBe(10n)
  })
})
