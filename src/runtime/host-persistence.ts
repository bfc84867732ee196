/**
 * HostPersistence: one hosted actor's turn ends. It observes the machine's snapshot only while
 * somebody needs its changes (the actor persists, or a subscriber wants digests: an observer costs
 * a call per event the hot path otherwise does not pay), asks the placement for a turn end when it
 * changed, and at a turn end or a batch's checkpoint takes a detached persisted record (throttled
 * by the definition's `throttleMs`). A snapshot that cannot be copied is handed back as the
 * actor's crash, never thrown into the placement's turn loop.
 */
import type { Actor, AnyStateMachine } from 'xstate'
import type { ActorClock } from '../types/time.ts'
import type { PersistOptions, PersistedRecord } from './options.ts'
import { detachSnapshot, UncloneableSnapshotError } from './snapshot-copy.ts'

export class HostPersistence {
  /** The last record taken (or restored from): what a restart starts from. */
  lastPersisted: PersistedRecord | undefined
  /** The snapshot changed since the last turn end. */
  dirty = false
  #turnRequested = false
  /** Someone wants snapshot digests after each turn (a subscriber on the system thread). */
  #watched = false
  #sub: { unsubscribe(): void } | undefined
  #lastPersistAt = -Infinity
  #pending = false

  constructor(
    readonly parts: {
      id: string
      persist: PersistOptions | undefined
      clock: ActorClock
      /** Schedules a turn end soon (a microtask inline, an immediate in a worker). */
      requestTurn: () => void
      persisted?: ((record: PersistedRecord) => void) | undefined
      /** The machine that is running now, or undefined (restarting, stopped). */
      running: () => Actor<AnyStateMachine> | undefined
      /** The snapshot could not be copied: the host handles it as this incarnation's crash. */
      failed: (actor: Actor<AnyStateMachine>, err: UncloneableSnapshotError) => void
    },
    restored: PersistedRecord | undefined,
  ) {
    this.lastPersisted = restored
  }

  /** A new incarnation of the machine (before it starts): observed if someone needs its changes. */
  attach(actor: Actor<AnyStateMachine>): void {
    this.#sub = undefined
    if (this.#watched || this.parts.persist !== undefined) this.#observe(actor)
  }

  /** Digests wanted after each turn (turn ends are scheduled only while watched or persisting). */
  setWatched(on: boolean): void {
    this.#watched = on
    const actor = this.parts.running()
    if (on && this.#sub === undefined && actor !== undefined) this.#observe(actor)
  }

  /**
   * End of a turn (after the messages and timers that changed the snapshot): persists if the actor
   * opted in. Returns whether the snapshot changed during the turn (for digest subscribers).
   */
  endTurn(): boolean {
    this.#turnRequested = false
    const changed = this.dirty
    this.dirty = false
    if (this.#pending) this.#persist()
    return changed
  }

  /** End of a batch of messages: persist now, so a crash in the next batch restores this state. */
  checkpoint(): void {
    if (this.#pending) this.#persist()
  }

  #persist(): void {
    const persist = this.parts.persist
    const actor = this.parts.running()
    if (persist === undefined || actor === undefined) return
    const now = this.parts.clock.now()
    if (persist.throttleMs !== undefined && now - this.#lastPersistAt < persist.throttleMs) return
    const snap = actor.getSnapshot()
    if (snap.status !== 'active' && snap.status !== 'done') return
    let snapshot: unknown
    try {
      // Detached: the live context may be updated in place after this (see snapshot-copy.ts).
      snapshot = detachSnapshot(this.parts.id, actor.getPersistedSnapshot())
    } catch (err) {
      this.#pending = false
      const coded = err instanceof UncloneableSnapshotError ? err : new UncloneableSnapshotError(this.parts.id, 'snapshot', `not persistable (${String((err as Error)?.message ?? err)})`, { cause: err })
      this.parts.failed(actor, coded)
      return
    }
    const record: PersistedRecord = { version: persist.version, snapshot, at: now }
    this.lastPersisted = record
    // The throttle runs from the end of this persist: one that takes longer than throttleMs (a
    // large context) must not be due again at the next turn, or the actor does little else.
    this.#lastPersistAt = this.parts.clock.now()
    this.#pending = false
    this.parts.persisted?.(record)
  }

  #observe(actor: Actor<AnyStateMachine>): void {
    this.#sub = actor.subscribe({
      next: () => {
        this.dirty = true
        this.#pending = true
        if (!this.#turnRequested && (this.#watched || this.parts.persist !== undefined)) {
          this.#turnRequested = true
          this.parts.requestTurn()
        }
      },
      // Every observer needs an error handler, or XState rethrows the error on a timer.
      error: () => {},
    })
  }
}
