/**
 * RecentIntents: Serf's buffer of join/leave intents about members not known yet (spec §5.4). One
 * entry per node, replaced only by a newer LTime. When swim later reports the node, its buffered
 * intent sets the new member's statusLTime (join) or starts it as leaving (leave). Entries older
 * than RecentIntentTimeout are dropped on each reap tick. The buffer is bounded: past `maxEntries`
 * the entry stamped earliest is dropped, and counted.
 *
 * The buffer's state (IntentsState) is plain, persistent data: a CowMap (4,096 entries by default,
 * so not copied whole on each write). RecentIntents is an editor over one version of it for one
 * turn; `finish()` gives the next version and leaves the one it started from as it was.
 */
import type { LamportTime } from './protocol.ts'
import { MapDraft, emptyCowMap } from './cow-map.ts'
import type { CowMap } from './cow-map.ts'

export type IntentType = 'join' | 'leave'

export interface NodeIntent {
  type: IntentType
  ltime: LamportTime
  /** Actor-clock time (ms) when it was stored. */
  storedAtMs: number
}

export interface IntentsState {
  /** By node name; insertion order is "stored earliest first" (an upsert deletes, then sets). */
  entries: CowMap<NodeIntent>
  /** Entries dropped because the buffer was full. */
  evicted: number
  /** Entries dropped because they were older than the timeout. */
  expired: number
}

export function emptyIntents(): IntentsState {
  return { entries: emptyCowMap(), evicted: 0, expired: 0 }
}

export class RecentIntents {
  private readonly entries: MapDraft<NodeIntent>
  /** Entries dropped because the buffer was full. */
  evicted: number
  /** Entries dropped because they were older than the timeout. */
  expired: number

  constructor(
    private readonly maxEntries: number,
    private readonly base: IntentsState = emptyIntents(),
  ) {
    this.entries = new MapDraft(base.entries)
    this.evicted = base.evicted
    this.expired = base.expired
  }

  /** The next version of the state (the base itself when nothing changed). */
  finish(): IntentsState {
    if (!this.entries.changed && this.evicted === this.base.evicted && this.expired === this.base.expired) return this.base
    return { entries: this.entries.finish(), evicted: this.evicted, expired: this.expired }
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
    // Delete first so the order stays "oldest stored first" for eviction.
    this.entries.delete(node)
    this.entries.set(node, { type, ltime, storedAtMs: nowMs })
    if (this.entries.size > this.maxEntries) {
      // Only when full: one scan for the earliest stored (the first in insertion order).
      const ordered = this.entries.entries()
      for (let i = 0; this.entries.size > this.maxEntries; i++) {
        this.entries.delete(ordered[i]!.k)
        this.evicted++
      }
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
    const old: string[] = []
    this.entries.forEach((e, node) => {
      if (nowMs - e.storedAtMs > timeoutMs) old.push(node)
    })
    for (const node of old) this.entries.delete(node)
    this.expired += old.length
    return old.length
  }
}
