/**
 * RecentIntents: Serf's buffer of join/leave intents about members not known yet (spec §5.4). One
 * entry per node, replaced only by a newer LTime. When swim later reports the node, its buffered
 * intent sets the new member's statusLTime (join) or starts it as leaving (leave). Entries older
 * than RecentIntentTimeout are dropped on each reap tick. The buffer is bounded: past `maxEntries`
 * the entry stamped earliest is dropped, and counted.
 */
import type { LamportTime } from './protocol.ts'

export type IntentType = 'join' | 'leave'

export interface NodeIntent {
  type: IntentType
  ltime: LamportTime
  /** Actor-clock time (ms) when it was stored. */
  storedAtMs: number
}

export class RecentIntents {
  private readonly entries = new Map<string, NodeIntent>()
  /** Entries dropped because the buffer was full. */
  evicted = 0
  /** Entries dropped because they were older than the timeout. */
  expired = 0

  constructor(private readonly maxEntries: number) {}

  /** Rebuilds the buffer from its data (e.g. a persisted, structured-cloned copy). */
  static from(data: { maxEntries: number; entries: Map<string, NodeIntent>; evicted: number; expired: number }, maxEntries = data.maxEntries): RecentIntents {
    const r = new RecentIntents(maxEntries)
    for (const [node, e] of data.entries) r.entries.set(node, { ...e })
    r.evicted = data.evicted
    r.expired = data.expired
    return r
  }

  get size(): number {
    return this.entries.size
  }

  /**
   * Stores the intent if there is no entry for the node or this LTime is newer (Serf upsertIntent).
   * Returns true when stored (the caller then rebroadcasts the message).
   */
  upsert(node: string, type: IntentType, ltime: LamportTime, nowMs: number): boolean {
    const old = this.entries.get(node)
    if (old !== undefined && ltime <= old.ltime) return false
    // Delete first so Map order stays "oldest stored first" for eviction.
    this.entries.delete(node)
    this.entries.set(node, { type, ltime, storedAtMs: nowMs })
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string
      this.entries.delete(oldest)
      this.evicted++
    }
    return true
  }

  /** The buffered LTime of this type for the node, if the entry is of that type (Serf recentIntent). */
  get(node: string, type: IntentType): LamportTime | undefined {
    const e = this.entries.get(node)
    return e !== undefined && e.type === type ? e.ltime : undefined
  }

  entry(node: string): NodeIntent | undefined {
    return this.entries.get(node)
  }

  /** Drops entries stored more than `timeoutMs` ago; returns how many. */
  expire(nowMs: number, timeoutMs: number): number {
    let n = 0
    for (const [node, e] of this.entries) {
      if (nowMs - e.storedAtMs > timeoutMs) {
        this.entries.delete(node)
        n++
      }
    }
    this.expired += n
    return n
  }
}
