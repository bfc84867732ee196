import { describe, expect, it } from 'vitest'
import { HandoffQueue } from '../../../actors/swim/handoff-queue.ts'

describe('HandoffQueue (spec §4.11)', () => {
  it('drains high before low, newest first in each', () => {
    const q = new HandoffQueue<string>(10)
    q.push('s1', false)
    q.push('a1', true)
    q.push('s2', false)
    q.push('a2', true)
    const out: string[] = []
    for (let x = q.pop(); x !== undefined; x = q.pop()) out.push(x)
    expect(out).toEqual(['a2', 'a1', 's2', 's1'])
  })

  it('is bounded per queue; overflow is dropped and counted', () => {
    const q = new HandoffQueue<number>(2)
    expect(q.push(1, false)).toBe(true)
    expect(q.push(2, false)).toBe(true)
    expect(q.push(3, false)).toBe(false)
    expect(q.push(4, true)).toBe(true)
    expect(q.push(5, true)).toBe(true)
    expect(q.push(6, true)).toBe(false)
    expect(q.push(7, true)).toBe(false)
    expect(q.droppedLow).toBe(1)
    expect(q.droppedHigh).toBe(2)
    expect(q.size()).toBe(4)
    q.clear()
    expect(q.size()).toBe(0)
    expect(q.pop()).toBeUndefined()
  })
})
