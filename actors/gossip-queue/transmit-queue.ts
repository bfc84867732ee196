/**
 * One transmit-limited queue: memberlist's TransmitLimitedQueue (spec §4.9-4.10) as plain data and
 * the functions over it. The gossip-queue core (core.ts) owns four of these in its state; the
 * TransmitQueue class below wraps one for tests and benches that drive a single queue.
 *
 * Order of the queue: fewer transmits first; then longer messages first; then newer (higher id)
 * first. Items are kept in one array per transmit count ("tier"), each sorted by (length asc,
 * id asc), i.e. the queue order reversed, so the usual cases touch the array's end: the largest
 * message that still fits is found by binary search and is usually the last item (pop), and a
 * broadcast bumped to the next tier is usually the newest there (push). No fill re-sorts anything.
 * The most-transmitted end (for pruning) is the first item of the highest tier.
 *
 * The state is owned by whoever holds it and updated in place (the core hands its state from one
 * turn to the next and keeps no other reference): copying the tiers on every fill would cost more
 * than the fill. Every function reports a broadcast that leaves through `leave`.
 *
 * The cluster size that sets the retransmit limit is pushed in by whoever owns the table; the
 * queue never derives it (lesson 004).
 */
import type { BroadcastOutcome } from './protocol.ts'

/** One queued broadcast. `message` is what a fill hands out (already prefixed if needed). */
export interface QueuedBroadcast<T = unknown> {
  readonly message: Uint8Array
  readonly name: string | undefined
  readonly unique: boolean
  /** Opaque value returned with the leave notification (e.g. who to notify). */
  readonly tag: T
  /** Insertion id: increments per enqueue, reset to 0 when the queue empties (the queue's tie-break). */
  id: number
  /** Lease entry id: unique within the owner's lease epoch, never reused in it. */
  readonly entry: number
  transmits: number
}

export type LeaveListener<T> = (item: QueuedBroadcast<T>, outcome: BroadcastOutcome) => void

/**
 * A waiter told before its broadcast leaves: once it has `at` transmits (memberlist's limit, when a
 * floor keeps the broadcast queued longer), `tell` runs, on every count at or past `at` (the
 * listener tells a waiter once).
 */
export interface EarlyTell<T> {
  at: number
  tell: (item: QueuedBroadcast<T>) => void
}

/**
 * retransmitMult × ceil(log10(n + 1)) (spec §4.9): LAN n 1-9 → 4, 10-99 → 8, 100-999 → 12.
 *
 * Floor (a deliberate difference from memberlist): a size below 1 counts as 1, so the limit is never
 * below retransmitMult. memberlist computes 0 for n = 0, which it never meets (its node count
 * includes itself from the start), but this queue learns the size by message and starts with none
 * (a fresh actor, or one restarted before its sizes were persisted). A limit of 0 would hand every
 * broadcast out once and drop it: a silent loss. The cluster always holds at least this node, so 1
 * is the smallest true size, and over-sending a little to a small cluster is harmless.
 *
 * `minRetransmits` (GossipQueueConfig, 0 = none) raises the limit of small clusters further, where
 * memberlist's leaves a node without the broadcast too often (see that field).
 */
export function retransmitLimit(retransmitMult: number, numNodes: number, minRetransmits = 0): number {
  const n = Number.isFinite(numNodes) ? Math.max(1, numNodes) : 1
  return Math.max(minRetransmits, retransmitMult * Math.ceil(Math.log10(n + 1)))
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

/**
 * The queue as data. Two parts:
 * - `size`, `nextId`, `counters`: small, enumerable, and what a persisted copy keeps.
 * - `tiers`, `byName`, `byEntry`: the broadcasts themselves (with their bytes) and their indexes,
 *   non-enumerable, so a structured clone, the runtime's persisted copy and XState's persisted
 *   snapshot skip them: the queued broadcasts are soft state, and walking their bytes on every
 *   persisted turn cost milliseconds at a depth of 1,000 (bench/gossip-queue.bench.ts). A copy of
 *   the state therefore has no broadcasts (`isLive` is false) and is only read for its counts.
 */
export interface TransmitQueueState<T = unknown> {
  /** tiers[t] holds the items transmitted t times, sorted by (message length asc, id asc). Not persisted. */
  tiers: QueuedBroadcast<T>[][]
  /** The queued non-unique broadcast of each name. Not persisted. */
  byName: Map<string, QueuedBroadcast<T>>
  /** Every queued broadcast by lease entry id. Not persisted. */
  byEntry: Map<number, QueuedBroadcast<T>>
  size: number
  nextId: number
  counters: TransmitQueueCounters
}

export function emptyQueue<T>(): TransmitQueueState<T> {
  const q = { size: 0, nextId: 0, counters: { enqueued: 0, transmits: 0, finished: 0, invalidated: 0, pruned: 0, unsendable: 0 } } as TransmitQueueState<T>
  const soft = { writable: true, enumerable: false, configurable: false } as const
  Object.defineProperty(q, 'tiers', { ...soft, value: [] })
  Object.defineProperty(q, 'byName', { ...soft, value: new Map() })
  Object.defineProperty(q, 'byEntry', { ...soft, value: new Map() })
  return q
}

/** Whether a queue state holds its broadcasts (false for a copy: a persisted or cloned one). */
export function isLive(q: TransmitQueueState<unknown> | undefined): boolean {
  return q !== undefined && Array.isArray(q.tiers) && q.byEntry instanceof Map && q.byName instanceof Map
}

/**
 * Adds a broadcast with zero transmits. A named one replaces (invalidates) a queued broadcast of
 * the same name; a unique one never invalidates anything and is never invalidated.
 */
export function enqueueItem<T>(q: TransmitQueueState<T>, message: Uint8Array, givenName: string | undefined, givenUnique: boolean | undefined, tag: T, entry: number, leave: LeaveListener<T>): void {
  const unique = givenUnique === true
  const name = unique ? undefined : givenName
  if (name !== undefined) {
    const old = q.byName.get(name)
    if (old !== undefined) {
      remove(q, old)
      q.counters.invalidated++
      leave(old, 'invalidated')
    }
  }
  if (q.size === 0) q.nextId = 0
  const item: QueuedBroadcast<T> = { message, name, unique, tag, id: q.nextId++, entry, transmits: 0 }
  insert(q, item)
  if (name !== undefined) q.byName.set(name, item)
  q.byEntry.set(item.entry, item)
  q.counters.enqueued++
}

/**
 * Takes broadcasts for one packet: tier by tier from the fewest transmits, repeatedly the largest
 * message that fits in `limitBytes − used − overheadBytes`, charging `overheadBytes + length` each.
 * A broadcast that reaches the retransmit `limit` leaves the queue ('transmitted'); the others move
 * up one tier after the search, so one fill never hands out the same broadcast twice. `early`: its
 * waiter may be told before it leaves (see EarlyTell).
 * Appends the messages to `out` and returns the bytes charged.
 */
export function fillQueue<T>(q: TransmitQueueState<T>, limit: number, overheadBytes: number, limitBytes: number, out: Uint8Array[], leave: LeaveListener<T>, early?: EarlyTell<T>): number {
  let used = 0
  const bumped: QueuedBroadcast<T>[] = []
  for (let t = 0; t < q.tiers.length; ) {
    const free = limitBytes - used - overheadBytes
    if (free <= 0) break
    const tier = q.tiers[t]!
    const idx = lastFitting(tier, free)
    if (idx < 0) {
      t++
      continue
    }
    const item = tier[idx]!
    removeAt(tier, idx)
    q.size--
    used += overheadBytes + item.message.length
    out.push(item.message)
    q.counters.transmits++
    if (item.transmits + 1 >= limit) {
      forget(q, item)
      q.counters.finished++
      leave(item, 'transmitted')
    } else {
      item.transmits++
      if (early !== undefined && item.transmits >= early.at) early.tell(item)
      bumped.push(item)
    }
  }
  for (const item of bumped) insert(q, item)
  return used
}

/**
 * Counts `times` transmits of a queued broadcast that left in packets without a fill (a lease
 * report), exactly as that many fills handing it out would: it leaves ('transmitted') on reaching
 * `limit`, otherwise it moves to its new tier. Returns the transmits past the limit (a report that
 * claims more than the limit allowed; 0 normally).
 */
export function countTransmits<T>(q: TransmitQueueState<T>, item: QueuedBroadcast<T>, times: number, limit: number, leave: LeaveListener<T>, early?: EarlyTell<T>): number {
  if (times <= 0) return 0
  remove(q, item)
  const reached = item.transmits + times
  if (reached >= limit) {
    // A fill hands an item out once more at most when it is already at the limit (a limit that
    // dropped); anything beyond the first transmit at or past the limit is over it.
    const allowed = Math.max(1, limit - item.transmits)
    q.counters.transmits += times
    q.counters.finished++
    leave(item, 'transmitted')
    return Math.max(0, times - allowed)
  }
  item.transmits = reached
  q.counters.transmits += times
  if (early !== undefined && reached >= early.at) early.tell(item)
  insert(q, item)
  if (item.name !== undefined) q.byName.set(item.name, item)
  q.byEntry.set(item.entry, item)
  return 0
}

/** Every broadcast already transmitted `limit` times or more leaves as 'transmitted'; returns how many. */
export function finishAtLimit<T>(q: TransmitQueueState<T>, limit: number, leave: LeaveListener<T>): number {
  let finished = 0
  for (let t = Math.max(0, limit); t < q.tiers.length; t++) {
    const tier = q.tiers[t]!
    while (tier.length > 0) {
      const item = tier.pop()!
      q.size--
      forget(q, item)
      q.counters.finished++
      finished++
      leave(item, 'transmitted')
    }
  }
  return finished
}

/** Drops broadcasts from the most-transmitted end until at most `maxRetain` remain; returns how many. */
export function pruneQueue<T>(q: TransmitQueueState<T>, maxRetain: number, leave: LeaveListener<T>): number {
  let dropped = 0
  while (q.size > Math.max(0, maxRetain)) {
    const item = last(q)
    if (item === undefined) break
    remove(q, item)
    q.counters.pruned++
    dropped++
    leave(item, 'pruned')
  }
  return dropped
}

/**
 * Drops every broadcast longer than `maxLength` bytes, as 'pruned' (also counted as `unsendable`);
 * returns how many. Used when no fill offered room for them: fill skips a broadcast that does not
 * fit and moves on, so without this such a broadcast would sit at the front of its tier, pruned
 * last, until the queue overflows. The longest items are at the end of each tier: no search.
 */
export function dropLongerThan<T>(q: TransmitQueueState<T>, maxLength: number, leave: LeaveListener<T>): number {
  let dropped = 0
  for (const tier of q.tiers) {
    while (tier.length > 0 && tier[tier.length - 1]!.message.length > maxLength) {
      const item = tier.pop()!
      q.size--
      forget(q, item)
      q.counters.pruned++
      q.counters.unsendable++
      dropped++
      leave(item, 'pruned')
    }
  }
  return dropped
}

/** Every queued item in queue order (fewest transmits, longest, newest first). */
export function* orderedItems<T>(q: TransmitQueueState<T>): IterableIterator<QueuedBroadcast<T>> {
  for (const tier of q.tiers) for (let i = tier.length - 1; i >= 0; i--) yield tier[i]!
}

/** A single queue with its own cluster size and leave listener: the queue on its own, for tests and benches. */
export class TransmitQueue<T = unknown> {
  readonly state: TransmitQueueState<T> = emptyQueue<T>()
  private numNodes = 0
  private nextEntry = 0

  constructor(
    private readonly retransmitMult: number,
    private readonly onLeave: LeaveListener<T> = () => {},
  ) {}

  get depth(): number {
    return this.state.size
  }

  get counters(): TransmitQueueCounters {
    return this.state.counters
  }

  get clusterSize(): number {
    return this.numNodes
  }

  /** The cluster size, from the member table's owner; 0 = not known yet. */
  setNumNodes(n: number): void {
    this.numNodes = n
  }

  get retransmitLimit(): number {
    return retransmitLimit(this.retransmitMult, this.numNodes)
  }

  enqueue(message: Uint8Array, options: { name?: string; unique?: boolean; tag: T }): void {
    enqueueItem(this.state, message, options.name, options.unique, options.tag, this.nextEntry++, this.onLeave)
  }

  fill(overheadBytes: number, limitBytes: number, out: Uint8Array[] = []): number {
    return fillQueue(this.state, this.retransmitLimit, overheadBytes, limitBytes, out, this.onLeave)
  }

  prune(maxRetain: number): number {
    return pruneQueue(this.state, maxRetain, this.onLeave)
  }

  dropLongerThan(maxLength: number): number {
    return dropLongerThan(this.state, maxLength, this.onLeave)
  }

  ordered(): IterableIterator<QueuedBroadcast<T>> {
    return orderedItems(this.state)
  }
}

/** The last item in queue order: the shortest, oldest item of the highest non-empty tier. */
function last<T>(q: TransmitQueueState<T>): QueuedBroadcast<T> | undefined {
  for (let t = q.tiers.length - 1; t >= 0; t--) {
    const tier = q.tiers[t]!
    if (tier.length > 0) return tier[0]
  }
  return undefined
}

function insert<T>(q: TransmitQueueState<T>, item: QueuedBroadcast<T>): void {
  while (q.tiers.length <= item.transmits) q.tiers.push([])
  const tier = q.tiers[item.transmits]!
  const idx = insertionIndex(tier, item.message.length, item.id)
  if (idx === tier.length) tier.push(item)
  else tier.splice(idx, 0, item)
  q.size++
}

/** Takes a queued item out of its tier and the indexes. */
function remove<T>(q: TransmitQueueState<T>, item: QueuedBroadcast<T>): void {
  const tier = q.tiers[item.transmits]
  if (tier === undefined) return
  const idx = insertionIndex(tier, item.message.length, item.id)
  if (tier[idx] !== item) return
  removeAt(tier, idx)
  q.size--
  forget(q, item)
}

/** Drops an item (already out of its tier) from the indexes. */
function forget<T>(q: TransmitQueueState<T>, item: QueuedBroadcast<T>): void {
  if (item.name !== undefined && q.byName.get(item.name) === item) q.byName.delete(item.name)
  if (q.byEntry.get(item.entry) === item) q.byEntry.delete(item.entry)
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
