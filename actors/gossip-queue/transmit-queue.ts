/**
 * TransmitQueue: memberlist's TransmitLimitedQueue (spec §4.9-4.10), pure and single-threaded.
 *
 * Order of the queue: fewer transmits first; then longer messages first; then newer (higher id)
 * first. Items are kept in one array per transmit count ("tier"), each sorted by (length asc,
 * id asc), i.e. the queue order reversed, so the usual cases touch the array's end: the largest
 * message that still fits is found by binary search and is usually the last item (pop), and a
 * broadcast bumped to the next tier is usually the newest there (push). No fill re-sorts anything.
 * The most-transmitted end (for pruning) is the first item of the highest tier.
 *
 * The cluster size that sets the retransmit limit is pushed in with `setNumNodes` by whoever owns
 * the table; the queue never derives it (lesson 004).
 */
import type { BroadcastOutcome } from './protocol.ts'

/** One queued broadcast. `message` is what a fill hands out (already prefixed if needed). */
export interface QueuedBroadcast<T = unknown> {
  readonly message: Uint8Array
  readonly name: string | undefined
  readonly unique: boolean
  /** Opaque value returned with the leave notification (e.g. who to notify). */
  readonly tag: T
  /** Insertion id: increments per enqueue, reset to 0 when the queue empties. */
  id: number
  transmits: number
}

export type LeaveListener<T> = (item: QueuedBroadcast<T>, outcome: BroadcastOutcome) => void

/**
 * retransmitMult × ceil(log10(n + 1)) (spec §4.9): LAN n 1-9 → 4, 10-99 → 8, 100-999 → 12.
 *
 * Floor (a deliberate difference from memberlist): a size below 1 counts as 1, so the limit is never
 * below retransmitMult. memberlist computes 0 for n = 0, which it never meets (its node count
 * includes itself from the start), but this queue learns the size by message and starts with none
 * (a fresh actor, or one restarted before its sizes were persisted). A limit of 0 would hand every
 * broadcast out once and drop it: a silent loss. The cluster always holds at least this node, so 1
 * is the smallest true size, and over-sending a little to a small cluster is harmless.
 */
export function retransmitLimit(retransmitMult: number, numNodes: number): number {
  const n = Number.isFinite(numNodes) ? Math.max(1, numNodes) : 1
  return retransmitMult * Math.ceil(Math.log10(n + 1))
}

/** Counters of one queue; every broadcast that leaves is counted under exactly one outcome. */
export interface TransmitQueueCounters {
  enqueued: number
  transmits: number
  finished: number
  invalidated: number
  pruned: number
  /** Of `pruned`: dropped because no fill offered room for them (see dropLongerThan). */
  unsendable: number
}

export class TransmitQueue<T = unknown> {
  /** tiers[t] holds the items transmitted t times, sorted by (message length asc, id asc). */
  private readonly tiers: QueuedBroadcast<T>[][] = []
  private readonly byName = new Map<string, QueuedBroadcast<T>>()
  private size = 0
  private nextId = 0
  private numNodes = 0
  readonly counters: TransmitQueueCounters = { enqueued: 0, transmits: 0, finished: 0, invalidated: 0, pruned: 0, unsendable: 0 }

  constructor(
    private readonly retransmitMult: number,
    private readonly onLeave: LeaveListener<T> = () => {},
  ) {}

  get depth(): number {
    return this.size
  }

  get clusterSize(): number {
    return this.numNodes
  }

  /** The cluster size, from the member table's owner (by message, never a private estimate); 0 = not known yet. */
  setNumNodes(n: number): void {
    this.numNodes = n
  }

  get retransmitLimit(): number {
    return retransmitLimit(this.retransmitMult, this.numNodes)
  }

  /**
   * Adds a broadcast with zero transmits. A named one replaces (invalidates) a queued broadcast of
   * the same name; a unique one never invalidates anything and is never invalidated.
   */
  enqueue(message: Uint8Array, options: { name?: string; unique?: boolean; tag: T }): void {
    const unique = options.unique === true
    const name = unique ? undefined : options.name
    if (name !== undefined) {
      const old = this.byName.get(name)
      if (old !== undefined) {
        this.remove(old)
        this.counters.invalidated++
        this.onLeave(old, 'invalidated')
      }
    }
    if (this.size === 0) this.nextId = 0
    const item: QueuedBroadcast<T> = { message, name, unique, tag: options.tag, id: this.nextId++, transmits: 0 }
    this.insert(item)
    if (name !== undefined) this.byName.set(name, item)
    this.counters.enqueued++
  }

  /**
   * Takes broadcasts for one packet: tier by tier from the fewest transmits, repeatedly the largest
   * message that fits in `limitBytes − used − overheadBytes`, charging `overheadBytes + length` each.
   * A broadcast that reaches the retransmit limit leaves the queue ('transmitted'); the others move
   * up one tier after the search, so one fill never hands out the same broadcast twice.
   * Returns the messages and the bytes charged.
   */
  fill(overheadBytes: number, limitBytes: number, out: Uint8Array[] = []): number {
    const limit = this.retransmitLimit
    let used = 0
    const bumped: QueuedBroadcast<T>[] = []
    for (let t = 0; t < this.tiers.length; ) {
      const free = limitBytes - used - overheadBytes
      if (free <= 0) break
      const tier = this.tiers[t]!
      const idx = lastFitting(tier, free)
      if (idx < 0) {
        t++
        continue
      }
      const item = tier[idx]!
      removeAt(tier, idx)
      this.size--
      used += overheadBytes + item.message.length
      out.push(item.message)
      this.counters.transmits++
      if (item.transmits + 1 >= limit) {
        if (item.name !== undefined) this.byName.delete(item.name)
        this.counters.finished++
        this.onLeave(item, 'transmitted')
      } else {
        item.transmits++
        bumped.push(item)
      }
    }
    for (const item of bumped) this.insert(item)
    return used
  }

  /** Drops broadcasts from the most-transmitted end until at most `maxRetain` remain; returns how many. */
  prune(maxRetain: number): number {
    let dropped = 0
    while (this.size > Math.max(0, maxRetain)) {
      const item = this.last()
      if (item === undefined) break
      this.remove(item)
      this.counters.pruned++
      dropped++
      this.onLeave(item, 'pruned')
    }
    return dropped
  }

  /**
   * Drops every broadcast longer than `maxLength` bytes, as 'pruned' (also counted as `unsendable`);
   * returns how many. Used when no fill offered room for them: fill skips a broadcast that does not
   * fit and moves on, so without this such a broadcast would sit at the front of its tier, pruned
   * last, until the queue overflows. The longest items are at the end of each tier: no search.
   */
  dropLongerThan(maxLength: number): number {
    let dropped = 0
    for (const tier of this.tiers) {
      while (tier.length > 0 && tier[tier.length - 1]!.message.length > maxLength) {
        const item = tier.pop()!
        this.size--
        if (item.name !== undefined && this.byName.get(item.name) === item) this.byName.delete(item.name)
        this.counters.pruned++
        this.counters.unsendable++
        dropped++
        this.onLeave(item, 'pruned')
      }
    }
    return dropped
  }

  /** Every queued item in queue order (fewest transmits, longest, newest first). For tests and stats. */
  *ordered(): IterableIterator<QueuedBroadcast<T>> {
    for (const tier of this.tiers) for (let i = tier.length - 1; i >= 0; i--) yield tier[i]!
  }

  /** The last item in queue order: the shortest, oldest item of the highest non-empty tier. */
  private last(): QueuedBroadcast<T> | undefined {
    for (let t = this.tiers.length - 1; t >= 0; t--) {
      const tier = this.tiers[t]!
      if (tier.length > 0) return tier[0]
    }
    return undefined
  }

  private insert(item: QueuedBroadcast<T>): void {
    while (this.tiers.length <= item.transmits) this.tiers.push([])
    const tier = this.tiers[item.transmits]!
    const idx = insertionIndex(tier, item.message.length, item.id)
    if (idx === tier.length) tier.push(item)
    else tier.splice(idx, 0, item)
    this.size++
  }

  private remove(item: QueuedBroadcast<T>): void {
    const tier = this.tiers[item.transmits]
    if (tier === undefined) return
    const idx = insertionIndex(tier, item.message.length, item.id)
    if (tier[idx] !== item) return
    removeAt(tier, idx)
    this.size--
    if (item.name !== undefined && this.byName.get(item.name) === item) this.byName.delete(item.name)
  }
}

/**
 * Removes tier[idx]. The ends use pop/shift: V8's splice(0, 1) followed by push costs microseconds
 * on a 1,000-item array (measured), shift is a cheap left-trim.
 */
function removeAt(tier: QueuedBroadcast<unknown>[], idx: number): void {
  if (idx === tier.length - 1) tier.pop()
  else if (idx === 0) tier.shift()
  else tier.splice(idx, 1)
}

/** Array order within a tier (queue order reversed): a before b when a is shorter, or as long and older. */
function before(lenA: number, idA: number, lenB: number, idB: number): boolean {
  return lenA < lenB || (lenA === lenB && idA < idB)
}

/** Index of the first item not before (len, id): where (len, id) sits or would be inserted. */
function insertionIndex(tier: readonly QueuedBroadcast<unknown>[], len: number, id: number): number {
  let lo = 0
  let hi = tier.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const m = tier[mid]!
    if (before(m.message.length, m.id, len, id)) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Index of the largest (then newest) item whose length is ≤ free; −1 if none. */
function lastFitting(tier: readonly QueuedBroadcast<unknown>[], free: number): number {
  const n = tier.length
  if (n === 0) return -1
  if (tier[n - 1]!.message.length <= free) return n - 1
  // First index whose length exceeds free; the one before it fits.
  let lo = 0
  let hi = n - 1
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (tier[mid]!.message.length > free) hi = mid
    else lo = mid + 1
  }
  return lo - 1
}
