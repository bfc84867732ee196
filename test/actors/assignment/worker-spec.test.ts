/**
 * normalizeWorkers: checked copies sorted in compareIds' order (UTF-16 code units), a repeated id
 * refused, the bound and the capacity rule.
 */
import { describe, expect, it } from 'vitest'
import { compareIds, normalizeWorkers } from '../../../actors/assignment/worker-spec.ts'

describe('normalizeWorkers', () => {
  it("sorts by id in compareIds' order, whatever the characters, and copies each worker", () => {
    const ids = ['b', 'B', 'a10', 'a9', 'ä', 'z', '😀', '\uff21', 'a', 'A-1']
    const input = ids.map((id, i) => ({ id, weight: i }))
    const out = normalizeWorkers(input)
    expect(out.map((w) => w.id)).toEqual([...ids].sort(compareIds))
    for (const w of out) {
      const from = input.find((x) => x.id === w.id)!
      expect(w).toEqual(from)
      expect(w).not.toBe(from)
    }
  })

  it('refuses a repeated id, past the bound, and no capacity (when required), with codes', () => {
    expect(() => normalizeWorkers([{ id: 'a', weight: 1 }, { id: 'b', weight: 1 }, { id: 'a', weight: 2 }])).toThrow(expect.objectContaining({ code: 'ERR_ASSIGNMENT_INVALID_WORKER', details: { id: 'a' } }))
    expect(() => normalizeWorkers([{ id: 'a', weight: 1 }, { id: 'b', weight: 1 }], { maxWorkers: 1 })).toThrow(expect.objectContaining({ code: 'ERR_ASSIGNMENT_TOO_MANY_WORKERS' }))
    expect(() => normalizeWorkers([{ id: 'a', weight: 0 }])).toThrow(expect.objectContaining({ code: 'ERR_ASSIGNMENT_NO_CAPACITY' }))
    expect(normalizeWorkers([{ id: 'a', weight: 0 }], { requireCapacity: false })).toEqual([{ id: 'a', weight: 0 }])
  })
})
