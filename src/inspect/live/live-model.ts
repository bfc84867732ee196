/**
 * What the live page knows about a node's actors, as plain data: each actor's current state and
 * how many transitions it made, and the last transitions. Pure (no clock, no I/O): the server feeds
 * it inspection events and asks it, once per flush interval, for what changed.
 *
 * Throttling: between two flushes an actor gets at most `perActorPerFlush` transitions recorded;
 * past that the newest replaces the last recorded one and the ones in between are counted
 * (`skipped` on that record, `coalesced` in the stats), so an actor making 100,000 transitions a
 * second costs the page a few records a flush. Everything here is bounded: the ring of kept
 * transitions, the records per actor per flush, and the actors tracked (`maxActors`; transitions
 * of actors past it are counted in `untracked`).
 */
import type { InspectionEvent } from '../../runtime/types.ts'
import type { LiveLimits } from './live-config.ts'
import { activeStateIds, stateText, type PathIndex } from './state-paths.ts'
import type { ActorView, TransitionRecord, UpdateMsg } from './live-protocol.ts'

interface Pending {
  seq: number
  event: string
  state: unknown
  at: number
  skipped: number
}

interface ActorEntry {
  id: string
  state: unknown
  event: string
  at: number
  transitions: number
  /** Set by an inspection event since inspection was (re)started: a fetched state is older. */
  seen: boolean
  dirty: boolean
  pending: Pending[]
}

export interface LiveModelStats {
  /** Transitions observed (those a worker folded into one event included). */
  observed: number
  /** Transitions not listed on the page because their actor was busier than perActorPerFlush. */
  coalesced: number
  /** Transitions of actors past maxActors (not tracked). */
  untracked: number
}

export class LiveModel {
  readonly #actors = new Map<string, ActorEntry>()
  readonly #ring: TransitionRecord[] = []
  #ringNext = 0
  #seq = 0
  readonly stats: LiveModelStats = { observed: 0, coalesced: 0, untracked: 0 }

  constructor(
    readonly limits: Pick<LiveLimits, 'transitionsKept' | 'perActorPerFlush' | 'maxActors'>,
    /** Chart path indexes by actor id (actors without a chart have none). */
    readonly charts: ReadonlyMap<string, PathIndex> = new Map(),
  ) {}

  #entry(id: string): ActorEntry | undefined {
    let e = this.#actors.get(id)
    if (e === undefined) {
      if (this.#actors.size >= this.limits.maxActors) return undefined
      e = { id, state: undefined, event: '', at: 0, transitions: 0, seen: false, dirty: false, pending: [] }
      this.#actors.set(id, e)
    }
    return e
  }

  /** One transition (the hot path while a page is open: a map lookup and a few stores). */
  observe(ev: InspectionEvent): void {
    this.stats.observed += 1 + (ev.skipped ?? 0)
    const e = this.#entry(ev.actor)
    if (e === undefined) {
      this.stats.untracked += 1 + (ev.skipped ?? 0)
      return
    }
    // A worker thread already folded `skipped` transitions into this one (at most 8 an actor a turn).
    const folded = ev.skipped ?? 0
    e.state = ev.state
    e.event = ev.event
    e.at = ev.at
    e.transitions += 1 + folded
    e.seen = true
    e.dirty = true
    this.stats.coalesced += folded
    const pending = e.pending
    if (pending.length < this.limits.perActorPerFlush) {
      pending.push({ seq: ++this.#seq, event: ev.event, state: ev.state, at: ev.at, skipped: folded })
    } else {
      // Keep the newest in the last slot; the one it replaces is counted as skipped.
      const last = pending[pending.length - 1]!
      last.skipped += 1 + folded
      last.seq = ++this.#seq
      last.event = ev.event
      last.state = ev.state
      last.at = ev.at
      this.stats.coalesced++
    }
  }

  /** The state read from the actor when inspection started, unless a transition already told a newer one. */
  seed(id: string, state: unknown): void {
    const e = this.#entry(id)
    if (e === undefined || e.seen) return
    e.state = state
    e.dirty = true
  }

  /** Every actor's view is sent again at the next flush (its chart was just drawn). */
  touchAll(): void {
    for (const e of this.#actors.values()) e.dirty = true
  }

  /** Inspection stopped: the next states may be older than a later seed. */
  unseen(): void {
    for (const e of this.#actors.values()) e.seen = false
  }

  #view(e: ActorEntry): ActorView {
    const index = this.charts.get(e.id)
    return { id: e.id, state: stateText(e.state), active: index === undefined ? [] : activeStateIds(e.state, index), transitions: e.transitions, event: e.event, at: e.at }
  }

  /** What changed since the last flush, or undefined when nothing did. */
  flush(): UpdateMsg | undefined {
    const actors: ActorView[] = []
    const records: TransitionRecord[] = []
    let coalesced = 0
    for (const e of this.#actors.values()) {
      if (!e.dirty) continue
      e.dirty = false
      actors.push(this.#view(e))
      for (const p of e.pending) {
        coalesced += p.skipped
        records.push({ seq: p.seq, actor: e.id, event: p.event, state: stateText(p.state), at: p.at, ...(p.skipped > 0 ? { skipped: p.skipped } : {}) })
      }
      e.pending = []
    }
    if (actors.length === 0) return undefined
    records.sort((a, b) => a.seq - b.seq)
    for (const r of records) this.#keep(r)
    return { type: 'update', actors, transitions: records, coalesced }
  }

  #keep(r: TransitionRecord): void {
    const cap = this.limits.transitionsKept
    if (this.#ring.length < cap) this.#ring.push(r)
    else {
      this.#ring[this.#ringNext] = r
      this.#ringNext = (this.#ringNext + 1) % cap
    }
  }

  /** The kept transitions, oldest first. */
  transitions(): TransitionRecord[] {
    return [...this.#ring.slice(this.#ringNext), ...this.#ring.slice(0, this.#ringNext)]
  }

  /** Every tracked actor as the page shows it. */
  actors(): ActorView[] {
    return [...this.#actors.values()].map((e) => this.#view(e))
  }

  /** Sizes, for tests and the page's footer: each is bounded by a limit. */
  sizes(): { actors: number; kept: number; pending: number } {
    let pending = 0
    for (const e of this.#actors.values()) pending += e.pending.length
    return { actors: this.#actors.size, kept: this.#ring.length, pending }
  }
}
