import { describe, expect, it } from 'vitest'
import { BoundedLru } from '../../../actors/serf-events/bounded-lru.ts'

describe('bounded-lru', () => {
  it('evicts the least recently used entry past capacity; a read makes an entry recent', () => {
    const lru = new BoundedLru<number>(2)
    lru.set('a', 1)
    lru.set('b', 2)
    expect(lru.get('a')).toBe(1) // a is now more recent than b
    lru.set('c', 3)
    expect(lru.has('b')).toBe(false)
    expect(lru.has('a')).toBe(true)
    expect(lru.has('c')).toBe(true)
    expect(lru.get('b')).toBeUndefined()
    expect(lru.stats()).toEqual({ size: 2, capacity: 2, hits: 1, misses: 1, evictions: 1 })
  })

  it('overwriting a key refreshes it and does not grow the map', () => {
    const lru = new BoundedLru<string>(2)
    lru.set('a', 'x')
    lru.set('b', 'y')
    lru.set('a', 'z')
    lru.set('c', 'w')
    expect(lru.get('a')).toBe('z')
    expect(lru.has('b')).toBe(false)
    expect(lru.stats()).toMatchObject({ size: 2, evictions: 1 })
  })

  it.each([0, -1, 1.5, Number.NaN])('refuses capacity %s', (capacity) => {
    expect(() => new BoundedLru(capacity)).toThrow(RangeError)
  })
})
