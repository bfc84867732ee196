/** The per-connection query-ID table: IDs from 1, forgotten at the deadline, bounded with eviction. */
import { describe, expect, it } from 'vitest'
import { QueryIdTable } from '../../src/rpc/query-ids.ts'

describe('QueryIdTable', () => {
  it('numbers from 1 and forgets an ID at its deadline', () => {
    const t = new QueryIdTable(10)
    expect(t.register('a', 1000, 0)).toEqual({ id: 1, evicted: false })
    expect(t.register('b', 2000, 0)).toEqual({ id: 2, evicted: false })
    expect(t.lookup(1, 999)?.key).toBe('a')
    expect(t.lookup(1, 1000)).toBeUndefined()
    expect(t.lookup(2, 1500)?.key).toBe('b')
    expect(t.lookup(3, 0)).toBeUndefined()
  })

  it('a query already past its deadline gets an ID but is not answerable', () => {
    const t = new QueryIdTable(10)
    expect(t.register('late', 50, 100).id).toBe(1)
    expect(t.lookup(1, 100)).toBeUndefined()
    expect(t.size).toBe(0)
  })

  it('keeps at most max live IDs: expired ones go first, then the oldest, which is reported', () => {
    const t = new QueryIdTable(2)
    t.register('a', 100, 0)
    t.register('b', 1000, 0)
    // 'a' expired by now=200: no eviction needed.
    expect(t.register('c', 1000, 200)).toEqual({ id: 3, evicted: false })
    expect(t.register('d', 1000, 200)).toEqual({ id: 4, evicted: true })
    expect(t.lookup(2, 200)).toBeUndefined()
    expect([t.lookup(3, 200)?.key, t.lookup(4, 200)?.key]).toEqual(['c', 'd'])
  })
})
