/**
 * CowMap: a persistent (never changed in place) string-keyed map, for state that an XState context
 * holds and a persisted snapshot shares. A member table of 100,000 members cannot be copied on every
 * message; here a write copies only the path to its entry: a hash trie of fixed depth (three levels
 * of 32 slots, keyed by 15 bits of the key's FNV-1a hash) whose leaves are short arrays of entries.
 * One write copies three 32-slot arrays and one leaf (about 3 entries at 100,000 keys), whatever the
 * size; every other node is shared with the previous version.
 *
 * Writes go through a MapDraft (a transient editor, as in Clojure's transients): within one draft
 * a node is copied at most once, so a batch of many writes copies each touched path once, and
 * `finish()` returns the new version. The base version is never touched.
 *
 * Order: each entry carries the sequence number of its insertion; `values()` and `entries()` return
 * them in that order, which is a JS Map's (an update keeps its place, a delete then set goes last),
 * so replacing a Map with a CowMap changes no observable order.
 *
 * Plain data only (arrays, objects, numbers): a version is structured-cloneable as it is.
 */

/** Bits of the hash used per level, and levels: 32-way nodes, 32,768 leaves. */
const BITS = 5
const WIDTH = 1 << BITS
const DEPTH = 3

export interface CowEntry<V> {
  readonly k: string
  /** Insertion sequence number (iteration order). */
  readonly s: number
  readonly v: V
}

/** A trie node: WIDTH slots of child nodes, or (at the last level) of leaves. */
type Slot<V> = CowNode<V> | ReadonlyArray<CowEntry<V>> | undefined
export type CowNode<V> = ReadonlyArray<Slot<V>>

export interface CowMap<V> {
  readonly size: number
  /** The next insertion sequence number. */
  readonly seq: number
  readonly root: CowNode<V> | undefined
}

export function emptyCowMap<V>(): CowMap<V> {
  return { size: 0, seq: 0, root: undefined }
}

/** FNV-1a over UTF-16 code units, 32 bits. */
function hash(key: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

const slotAt = (h: number, level: number): number => (h >>> (level * BITS)) & (WIDTH - 1)

function leafOf<V>(root: CowNode<V> | undefined, h: number): ReadonlyArray<CowEntry<V>> | undefined {
  let node: Slot<V> = root
  for (let level = 0; level < DEPTH; level++) {
    if (node === undefined) return undefined
    node = (node as CowNode<V>)[slotAt(h, level)]
  }
  return node as ReadonlyArray<CowEntry<V>> | undefined
}

export function cowGet<V>(map: CowMap<V>, key: string): V | undefined {
  const leaf = leafOf(map.root, hash(key))
  if (leaf === undefined) return undefined
  for (const e of leaf) if (e.k === key) return e.v
  return undefined
}

/** Every entry, in insertion order. O(n log n): for whole-table reads (a reply, a push/pull). */
export function cowEntries<V>(map: CowMap<V>): CowEntry<V>[] {
  const out: CowEntry<V>[] = []
  const walk = (node: Slot<V>, level: number): void => {
    if (node === undefined) return
    if (level === DEPTH) {
      for (const e of node as ReadonlyArray<CowEntry<V>>) out.push(e)
      return
    }
    for (const child of node as CowNode<V>) walk(child, level + 1)
  }
  walk(map.root, 0)
  return out.sort((a, b) => a.s - b.s)
}

export function cowValues<V>(map: CowMap<V>): V[] {
  return cowEntries(map).map((e) => e.v)
}

/** Calls `f` on every value, in no particular order (cheaper than `cowValues` for counts and scans). */
export function cowForEach<V>(map: CowMap<V>, f: (v: V, k: string) => void): void {
  const walk = (node: Slot<V>, level: number): void => {
    if (node === undefined) return
    if (level === DEPTH) {
      for (const e of node as ReadonlyArray<CowEntry<V>>) f(e.v, e.k)
      return
    }
    for (const child of node as CowNode<V>) walk(child, level + 1)
  }
  walk(map.root, 0)
}

/**
 * A transient editor over one version. Nodes it copied are its own (tracked in `owned`) and are
 * written in place until `finish()`; nodes of the base are copied before their first write.
 */
export class MapDraft<V> {
  private root: Array<Slot<V>> | undefined
  private owned = new WeakSet<object>()
  private _size: number
  private seq: number
  /** Any write happened (finish() then returns a new version). */
  changed = false

  constructor(private readonly base: CowMap<V> = emptyCowMap<V>()) {
    this.root = base.root as Array<Slot<V>> | undefined
    this._size = base.size
    this.seq = base.seq
  }

  get size(): number {
    return this._size
  }

  get(key: string): V | undefined {
    const leaf = leafOf(this.root, hash(key))
    if (leaf === undefined) return undefined
    for (const e of leaf) if (e.k === key) return e.v
    return undefined
  }

  has(key: string): boolean {
    const leaf = leafOf(this.root, hash(key))
    return leaf !== undefined && leaf.some((e) => e.k === key)
  }

  /** Sets `key`; an existing key keeps its place in the order. */
  set(key: string, value: V): void {
    const leaf = this.writableLeaf(hash(key))
    const i = leaf.findIndex((e) => e.k === key)
    if (i >= 0) leaf[i] = { k: key, s: leaf[i]!.s, v: value }
    else {
      leaf.push({ k: key, s: this.seq++, v: value })
      this._size++
    }
    this.changed = true
  }

  delete(key: string): boolean {
    const h = hash(key)
    const existing = leafOf(this.root, h)
    if (existing === undefined || !existing.some((e) => e.k === key)) return false
    const leaf = this.writableLeaf(h)
    leaf.splice(
      leaf.findIndex((e) => e.k === key),
      1,
    )
    this._size--
    this.changed = true
    return true
  }

  /** The current entries, in insertion order. */
  entries(): CowEntry<V>[] {
    return cowEntries(this.snapshotView())
  }

  values(): V[] {
    return this.entries().map((e) => e.v)
  }

  forEach(f: (v: V, k: string) => void): void {
    cowForEach(this.snapshotView(), f)
  }

  /** The new version (the base itself when nothing was written). Ends this draft's ownership. */
  finish(): CowMap<V> {
    if (!this.changed) return this.base
    // What this draft wrote now belongs to the version returned: a later write copies again.
    this.owned = new WeakSet<object>()
    return { size: this._size, seq: this.seq, root: this.root }
  }

  /** A read-only view of the current contents (valid until the next write). */
  private snapshotView(): CowMap<V> {
    return { size: this._size, seq: this.seq, root: this.root }
  }

  /** The leaf for hash `h`, copied along its path if the base owns any of it. */
  private writableLeaf(h: number): Array<CowEntry<V>> {
    this.root = this.own(this.root, () => new Array<Slot<V>>(WIDTH).fill(undefined)) as Array<Slot<V>>
    let node = this.root
    for (let level = 0; level < DEPTH - 1; level++) {
      const i = slotAt(h, level)
      const child = this.own(node[i] as Array<Slot<V>> | undefined, () => new Array<Slot<V>>(WIDTH).fill(undefined)) as Array<Slot<V>>
      node[i] = child
      node = child
    }
    const i = slotAt(h, DEPTH - 1)
    const leaf = this.own(node[i] as Array<CowEntry<V>> | undefined, () => []) as Array<CowEntry<V>>
    node[i] = leaf
    return leaf
  }

  /** `node` if this draft made it, else a copy (or a fresh one) that it now owns. */
  private own<T extends unknown[]>(node: T | undefined, fresh: () => T): T {
    if (node !== undefined && this.owned.has(node)) return node
    const mine = node === undefined ? fresh() : (node.slice() as T)
    this.owned.add(mine)
    return mine
  }
}
