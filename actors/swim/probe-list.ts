/**
 * The probe order (spec §4.2): round-robin over the node list, which is shuffled with the injected
 * random source every time the index wraps. New nodes go in at a random position so a joiner is
 * probed within one round on average, not last. Pure: no clock, no Math.random.
 */
import { insertSorted, removeSorted } from './probe-rotation.ts'

export type Random = () => number

export class ProbeList {
  private names: string[] = []
  private readonly members = new Set<string>()
  /** The same names in ascending order, for the staggered order (probe-rotation.ts). */
  private readonly sorted: string[] = []
  private index = 0

  constructor(private readonly random: Random) {}

  /** Inserts `name` at a random position (no-op if present). */
  insert(name: string): void {
    if (this.members.has(name)) return
    this.members.add(name)
    insertSorted(this.sorted, name)
    const at = Math.floor(this.random() * (this.names.length + 1))
    this.names.splice(at, 0, name)
    // Keep the cursor on the node it pointed at.
    if (at < this.index) this.index++
  }

  remove(name: string): void {
    if (!this.members.delete(name)) return
    removeSorted(this.sorted, name)
    const at = this.names.indexOf(name)
    if (at < 0) return
    this.names.splice(at, 1)
    if (at < this.index) this.index--
  }

  /**
   * The next name for which `probeable` holds, advancing the cursor; on wrapping, calls
   * `onWrap` (which may remove names) and reshuffles. Undefined when nothing is probeable.
   */
  next(probeable: (name: string) => boolean, onWrap: () => void = () => {}): string | undefined {
    let wrapped = false
    for (;;) {
      if (this.index >= this.names.length) {
        if (wrapped) return undefined
        wrapped = true
        onWrap()
        this.shuffle()
        this.index = 0
        continue
      }
      const name = this.names[this.index++]!
      if (probeable(name)) return name
    }
  }

  /**
   * The staggered order's target at `step` (probe-rotation.ts): over the names, ascending, for
   * which `inRotation` holds (self among them), the one 1 + step mod (n - 1) places after `self`.
   * `target` undefined when self is not in the list or nobody else is in the rotation; `others`:
   * how many besides self are in it. O(n), no allocation beyond the answer.
   */
  rotation(self: string, step: number, inRotation: (name: string) => boolean): { target: string | undefined; others: number } {
    const sorted = this.sorted
    let n = 0
    let rank = -1
    for (const name of sorted) {
      if (name === self) rank = n
      if (name === self || inRotation(name)) n++
    }
    const others = rank < 0 ? n : n - 1
    if (rank < 0 || n < 2) return { target: undefined, others }
    const want = (rank + 1 + (((step % (n - 1)) + (n - 1)) % (n - 1))) % n
    let at = 0
    for (const name of sorted) {
      if (name !== self && !inRotation(name)) continue
      if (at++ === want) return { target: name, others }
    }
    return { target: undefined, others }
  }

  /** Fisher-Yates with the injected source. */
  shuffle(): void {
    const a = this.names
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1))
      const t = a[i]!
      a[i] = a[j]!
      a[j] = t
    }
  }

  size(): number {
    return this.names.length
  }

  list(): readonly string[] {
    return this.names
  }
}

/**
 * Up to `k` distinct random elements of `items` satisfying `accept` (memberlist kRandomNodes), and
 * min(k, accepted) of them always. memberlist tries 3n random slots and returns what it found,
 * which in a small cluster can leave out a member that was there to pick: at n = 5 with three
 * acceptable and k = 3, one of them is missed in about 1 round in 10, so a dead declared
 * in a round at once reached one member a gossip tick late. After the 3n tries a sweep from the
 * last slot tried fills the rest (no further random draws, so the picks before it are unchanged).
 */
export function kRandom<T>(items: readonly T[], k: number, random: Random, accept: (item: T) => boolean): T[] {
  const out: T[] = []
  const n = items.length
  if (n === 0 || k <= 0) return out
  // Probe up to 3n random slots, as memberlist does: cheap when most items qualify.
  let slot = 0
  for (let i = 0; i < 3 * n && out.length < k; i++) {
    slot = Math.floor(random() * n)
    const item = items[slot]!
    if (!accept(item) || out.includes(item)) continue
    out.push(item)
  }
  for (let i = 1; i <= n && out.length < k; i++) {
    const item = items[(slot + i) % n]!
    if (accept(item) && !out.includes(item)) out.push(item)
  }
  return out
}
