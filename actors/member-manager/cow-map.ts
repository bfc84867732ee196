/**
 * CowMap: a persistent (never changed in place) string-keyed map, for state that an XState context
 * holds and a persisted snapshot shares. A member table of 100,000 members cannot be copied on every
 * message; here a write copies only the path to its entry: a hash trie of fixed depth (three levels
 * of 32 slots, keyed by 15 bits of the key's FNV-1a hash) whose leaves are short arrays of entries.
 * One write copies three 32-slot arrays and one leaf (about 3 entries at 100,000 keys), whatever the
 * size; every other node is shared with the previous version. A leaf is one flat array of
 * `key, seq, value` triples (no object per entry: fewer objects to copy when a version is persisted).
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

/** An entry as `entries()` returns it. */
export interface CowEntry<V> {
  readonly k: string
  /** Insertion sequence number (iteration order). */
  readonly s: number
  readonly v: V
}

/** A leaf: `key, seq, value` triples. */
type Leaf = ReadonlyArray<unknown>
/** A trie node: WIDTH slots of child nodes, or (at the last level) of leaves (each slot may be undefined). */
export type CowNode = ReadonlyArray<unknown>
type Slot = CowNode | undefined

export interface CowMap<V> {
  readonly size: number
  /** The next insertion sequence number. */
  readonly seq: number
  readonly root: CowNode | undefined
  /** Phantom: the value type. */
  readonly _v?: V
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

function leafOf(root: CowNode | undefined, h: number): Leaf | undefined {
  let node: Slot = root
  for (let level = 0; level < DEPTH; level++) {
    if (node === undefined) return undefined
    node = node[slotAt(h, level)] as Slot
  }
  return node
}

/** Index of `key` in `leaf` (a multiple of 3), or -1. */
function indexIn(leaf: Leaf | undefined, key: string): number {
  if (leaf === undefined) return -1
  for (let i = 0; i < leaf.length; i += 3) if (leaf[i] === key) return i
  return -1
}

function lookup<V>(root: CowNode | undefined, key: string): V | undefined {
  const leaf = leafOf(root, hash(key))
  const i = indexIn(leaf, key)
  return i < 0 ? undefined : (leaf![i + 2] as V)
}

export function cowGet<V>(map: CowMap<V>, key: string): V | undefined {
  return lookup<V>(map.root, key)
}

function walk(node: Slot, level: number, f: (k: string, s: number, v: unknown) => void): void {
  if (node === undefined) return
  if (level === DEPTH) {
    for (let i = 0; i < node.length; i += 3) f(node[i] as string, node[i + 1] as number, node[i + 2])
    return
  }
  for (let i = 0; i < node.length; i++) walk(node[i] as Slot, level + 1, f)
}

function entriesOf<V>(root: CowNode | undefined): CowEntry<V>[] {
  const out: CowEntry<V>[] = []
  walk(root, 0, (k, s, v) => void out.push({ k, s, v: v as V }))
  return out.sort((a, b) => a.s - b.s)
}

/** Every entry, in insertion order. O(n log n): for whole-table reads (a reply, a push/pull). */
export function cowEntries<V>(map: CowMap<V>): CowEntry<V>[] {
  return entriesOf<V>(map.root)
}

export function cowValues<V>(map: CowMap<V>): V[] {
  return cowEntries(map).map((e) => e.v)
}

/** Calls `f` on every value, in no particular order (cheaper than `cowValues` for counts and scans). */
export function cowForEach<V>(map: CowMap<V>, f: (v: V, k: string) => void): void {
  walk(map.root, 0, (k, _s, v) => f(v as V, k))
}

/**
 * A transient editor over one version. Nodes it copied are its own (tracked in `owned`) and are
 * written in place until `finish()`; nodes of the base are copied before their first write.
 */
export class MapDraft<V> {
  private root: unknown[] | undefined
  /** Nodes this draft made (copies, or new): written in place until `finish()`. A plain Set: a draft lives one turn. */
  private owned: Set<object> | undefined
  private _size: number
  private seq: number
  /** Any write happened (finish() then returns a new version). */
  changed = false

  constructor(private readonly base: CowMap<V> = emptyCowMap<V>()) {
    this.root = base.root as unknown[] | undefined
    this._size = base.size
    this.seq = base.seq
  }

  get size(): number {
    return this._size
  }

  get(key: string): V | undefined {
    return lookup<V>(this.root, key)
  }

  has(key: string): boolean {
    return indexIn(leafOf(this.root, hash(key)), key) >= 0
  }

  /** Sets `key`; an existing key keeps its place in the order. */
  set(key: string, value: V): void {
    const leaf = this.writableLeaf(hash(key))
    const i = indexIn(leaf, key)
    if (i >= 0) leaf[i + 2] = value
    else {
      leaf.push(key, this.seq++, value)
      this._size++
    }
    this.changed = true
  }

  delete(key: string): boolean {
    const h = hash(key)
    if (indexIn(leafOf(this.root, h), key) < 0) return false
    const leaf = this.writableLeaf(h)
    leaf.splice(indexIn(leaf, key), 3)
    this._size--
    this.changed = true
    return true
  }

  /** The current entries, in insertion order. */
  entries(): CowEntry<V>[] {
    return entriesOf<V>(this.root)
  }

  values(): V[] {
    return this.entries().map((e) => e.v)
  }

  forEach(f: (v: V, k: string) => void): void {
    walk(this.root, 0, (k, _s, v) => f(v as V, k))
  }

  /** The new version (the base itself when nothing was written). Ends this draft's ownership. */
  finish(): CowMap<V> {
    if (!this.changed) return this.base
    // What this draft wrote now belongs to the version returned: a later write copies again.
    this.owned = undefined
    return { size: this._size, seq: this.seq, root: this.root }
  }

  /** The leaf for hash `h`, copied along its path if the base owns any of it. */
  private writableLeaf(h: number): unknown[] {
    const root = this.own(this.root, WIDTH)
    this.root = root
    let node = root
    for (let level = 0; level < DEPTH - 1; level++) {
      const i = slotAt(h, level)
      const child = this.own(node[i] as unknown[] | undefined, WIDTH)
      node[i] = child
      node = child
    }
    const i = slotAt(h, DEPTH - 1)
    const leaf = this.own(node[i] as unknown[] | undefined, 0)
    node[i] = leaf
    return leaf
  }

  /** `node` if this draft made it, else a copy (or a fresh one of `width` empty slots) that it now owns. */
  private own(node: unknown[] | undefined, width: number): unknown[] {
    if (node !== undefined && this.owned?.has(node) === true) return node
    const mine = node === undefined ? new Array<unknown>(width).fill(undefined) : node.slice()
    ;(this.owned ??= new Set()).add(mine)
    return mine
  }
}

/** What changed from one version to a later one of the same map (cowDiff). */
export interface CowDiff<V> {
  /** Entries new or with a different value (by reference), in insertion order. */
  set: CowEntry<V>[]
  /** Keys gone, or deleted and set again (then also in `set`, at their new place in the order). */
  deleted: string[]
}

function diffLeaves<V>(a: Leaf | undefined, b: Leaf | undefined, out: CowDiff<V>): void {
  const before = a ?? []
  const after = b ?? []
  for (let i = 0; i < after.length; i += 3) {
    const k = after[i] as string
    const j = indexIn(before, k)
    if (j >= 0 && before[j + 1] === after[i + 1]) {
      if (before[j + 2] !== after[i + 2]) out.set.push({ k, s: after[i + 1] as number, v: after[i + 2] as V })
      continue
    }
    // New, or deleted and set again (a new sequence number: a new place in the order).
    if (j >= 0) out.deleted.push(k)
    out.set.push({ k, s: after[i + 1] as number, v: after[i + 2] as V })
  }
  for (let i = 0; i < before.length; i += 3) if (indexIn(after, before[i] as string) < 0) out.deleted.push(before[i] as string)
}

function diffNodes<V>(a: Slot, b: Slot, level: number, out: CowDiff<V>): void {
  // Shared with the earlier version: nothing below changed.
  if (a === b) return
  if (level === DEPTH) return diffLeaves(a, b, out)
  for (let i = 0; i < WIDTH; i++) diffNodes(a?.[i] as Slot, b?.[i] as Slot, level + 1, out)
}

/**
 * The changes from `before` to `after`, where `after` was made from `before` by drafts: only the
 * paths a draft copied are visited (a node shared by both versions is skipped by reference), so a
 * turn that wrote one entry costs three 32-slot scans and one leaf, whatever the map's size.
 * Between unrelated versions (say, a restored copy) it is still right, only not cheap.
 */
export function cowDiff<V>(before: CowMap<V>, after: CowMap<V>): CowDiff<V> {
  const out: CowDiff<V> = { set: [], deleted: [] }
  diffNodes(before.root, after.root, 0, out)
  out.set.sort((x, y) => x.s - y.s)
  return out
}
