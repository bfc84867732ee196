/**
 * A least-recently-used map with a fixed number of entries: `set` past capacity evicts the entry
 * read or written longest ago. Built on Map's insertion order (a hit re-inserts its key), so every
 * operation is O(1). Counts hits, misses and evictions for measurement.
 */
export interface BoundedLruStats {
  size: number
  capacity: number
  hits: number
  misses: number
  evictions: number
}

export class BoundedLru<V> {
  private readonly entries = new Map<string, V>()
  private hits = 0
  private misses = 0
  private evictions = 0

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be an integer ≥ 1, got ${capacity}`)
  }

  /** The value, now the most recently used; undefined when absent (counted as a miss). */
  get(key: string): V | undefined {
    const v = this.entries.get(key)
    if (v === undefined) {
      this.misses++
      return undefined
    }
    this.hits++
    this.entries.delete(key)
    this.entries.set(key, v)
    return v
  }

  set(key: string, value: V): void {
    this.entries.delete(key)
    this.entries.set(key, value)
    if (this.entries.size > this.capacity) {
      // The first key in insertion order is the least recently used.
      this.entries.delete(this.entries.keys().next().value!)
      this.evictions++
    }
  }

  has(key: string): boolean {
    return this.entries.has(key)
  }

  stats(): BoundedLruStats {
    return { size: this.entries.size, capacity: this.capacity, hits: this.hits, misses: this.misses, evictions: this.evictions }
  }
}
