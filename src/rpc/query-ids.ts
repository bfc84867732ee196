/**
 * One connection's query IDs for `respond` (serf-rpc.md §4.1): a counter from 1, shared by all the
 * connection's streams, and the queries still answerable, each until its deadline. Bounded: past
 * `max` live entries the oldest is forgotten (the caller counts it). Pure: time is passed in.
 */
export interface PendingQuery {
  /** The node's key for `respond`. */
  key: string
  /** Epoch ms after which the ID is forgotten. */
  deadline: number
  responded: boolean
}

export class QueryIdTable {
  private next = 1
  private readonly pending = new Map<number, PendingQuery>()

  constructor(private readonly max: number) {}

  get size(): number {
    return this.pending.size
  }

  /** Gives a received query the next ID; `evicted` says an older live ID had to be forgotten. */
  register(key: string, deadline: number, now: number): { id: number; evicted: boolean } {
    const id = this.next++
    for (const [k, p] of this.pending) if (p.deadline <= now) this.pending.delete(k)
    let evicted = false
    if (this.pending.size >= this.max) {
      this.pending.delete(this.pending.keys().next().value as number)
      evicted = true
    }
    if (deadline > now) this.pending.set(id, { key, deadline, responded: false })
    return { id, evicted }
  }

  /** The live entry for `id`, or undefined when unknown or past its deadline (then forgotten). */
  lookup(id: number, now: number): PendingQuery | undefined {
    const p = this.pending.get(id)
    if (p !== undefined && p.deadline > now) return p
    this.pending.delete(id)
    return undefined
  }

  clear(): void {
    this.pending.clear()
  }
}
