/**
 * The probe order (spec §4.2): round-robin over the node list, which is shuffled with the injected
 * random source every time the index wraps. New nodes go in at a random position so a joiner is
 * probed within one round on average, not last. Pure: no clock, no Math.random.
 */
export type Random = () => number

export class ProbeList {
  private names: string[] = []
  private readonly members = new Set<string>()
  private index = 0

  constructor(private readonly random: Random) {}

  /** Inserts `name` at a random position (no-op if present). */
  insert(name: string): void {
    if (this.members.has(name)) return
    this.members.add(name)
    const at = Math.floor(this.random() * (this.names.length + 1))
    this.names.splice(at, 0, name)
    // Keep the cursor on the node it pointed at.
    if (at < this.index) this.index++
  }

  remove(name: string): void {
    if (!this.members.delete(name)) return
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

/** Up to `k` distinct random elements of `items` satisfying `accept` (memberlist kRandomNodes). */
export function kRandom<T>(items: readonly T[], k: number, random: Random, accept: (item: T) => boolean): T[] {
  const out: T[] = []
  const n = items.length
  if (n === 0 || k <= 0) return out
  // Probe up to 3n random slots, as memberlist does: cheap when most items qualify.
  for (let i = 0; i < 3 * n && out.length < k; i++) {
    const item = items[Math.floor(random() * n)]!
    if (!accept(item) || out.includes(item)) continue
    out.push(item)
  }
  return out
}
