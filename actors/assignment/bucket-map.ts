/**
 * BucketMap: a persistent (never changed in place) string-keyed map for the assignment actor's
 * context: its member table (up to maxMembers) and each group's registrations (up to maxWorkers).
 * A plain object copied on every change costs O(n) a change, and that code runs cold (a few times
 * a rebalance): 3 ms for 1,000 keys, a stall of the actor's turn. Here the keys hash (FNV-1a) into
 * BUCKETS flat arrays of `key, value` pairs; a batch of writes copies the bucket index (1,024 slots)
 * once and each touched bucket once, and shares every other bucket with the previous version.
 * Plain data (arrays, numbers, the values): structured-cloneable and safe to persist by reference.
 * Any string is a key ("__proto__" included: no object property is ever named by a key).
 */

const BUCKETS = 1024

type Bucket = readonly unknown[]

export interface BucketMap<V> {
  readonly size: number
  /** BUCKETS slots; an empty bucket is undefined (or missing, in an empty map). */
  readonly buckets: readonly (Bucket | undefined)[]
  /** Phantom: the value type. */
  readonly _v?: V
}

export function emptyBucketMap<V>(): BucketMap<V> {
  return { size: 0, buckets: [] }
}

function slotOf(key: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0) % BUCKETS
}

function indexIn(bucket: Bucket | undefined, key: string): number {
  if (bucket === undefined) return -1
  for (let i = 0; i < bucket.length; i += 2) if (bucket[i] === key) return i
  return -1
}

export function bmGet<V>(map: BucketMap<V>, key: string): V | undefined {
  const bucket = map.buckets[slotOf(key)]
  const i = indexIn(bucket, key)
  return i < 0 ? undefined : (bucket![i + 1] as V)
}

export function bmHas<V>(map: BucketMap<V>, key: string): boolean {
  return indexIn(map.buckets[slotOf(key)], key) >= 0
}

/** Calls `f` on every entry, in no particular order. */
export function bmForEach<V>(map: BucketMap<V>, f: (value: V, key: string) => void): void {
  for (const bucket of map.buckets) {
    if (bucket === undefined) continue
    for (let i = 0; i < bucket.length; i += 2) f(bucket[i + 1] as V, bucket[i] as string)
  }
}

export function bmKeys<V>(map: BucketMap<V>): string[] {
  const out: string[] = []
  bmForEach(map, (_v, k) => out.push(k))
  return out
}

/**
 * A transient editor over `base` (never changed): each bucket is copied at most once, on its first
 * write; `finish()` returns the new version (`base` itself when nothing was written).
 */
export class BucketMapDraft<V> {
  #buckets: (Bucket | undefined)[] | undefined
  readonly #owned = new Set<number>()
  #size: number

  constructor(private readonly base: BucketMap<V>) {
    this.#size = base.size
  }

  get size(): number {
    return this.#size
  }

  get(key: string): V | undefined {
    const bucket = (this.#buckets ?? this.base.buckets)[slotOf(key)]
    const i = indexIn(bucket, key)
    return i < 0 ? undefined : (bucket![i + 1] as V)
  }

  has(key: string): boolean {
    return indexIn((this.#buckets ?? this.base.buckets)[slotOf(key)], key) >= 0
  }

  set(key: string, value: V): void {
    const s = slotOf(key)
    const bucket = this.#own(s)
    const i = indexIn(bucket, key)
    if (i >= 0) bucket[i + 1] = value
    else {
      bucket.push(key, value)
      this.#size++
    }
  }

  delete(key: string): boolean {
    const s = slotOf(key)
    if (indexIn((this.#buckets ?? this.base.buckets)[s], key) < 0) return false
    const bucket = this.#own(s)
    bucket.splice(indexIn(bucket, key), 2)
    this.#size--
    return true
  }

  finish(): BucketMap<V> {
    if (this.#buckets === undefined) return this.base
    return { size: this.#size, buckets: this.#buckets }
  }

  #own(s: number): unknown[] {
    if (this.#buckets === undefined) {
      const copy = new Array<Bucket | undefined>(BUCKETS)
      for (let i = 0; i < BUCKETS; i++) copy[i] = this.base.buckets[i]
      this.#buckets = copy
    }
    if (!this.#owned.has(s)) {
      this.#buckets[s] = [...(this.#buckets[s] ?? [])]
      this.#owned.add(s)
    }
    return this.#buckets[s] as unknown[]
  }
}

/** `map` with `key` set to `value` (one write). */
export function bmSet<V>(map: BucketMap<V>, key: string, value: V): BucketMap<V> {
  const d = new BucketMapDraft(map)
  d.set(key, value)
  return d.finish()
}

/** `map` without `key` (itself when absent). */
export function bmDelete<V>(map: BucketMap<V>, key: string): BucketMap<V> {
  const d = new BucketMapDraft(map)
  d.delete(key)
  return d.finish()
}
