/**
 * HostPersistence: one hosted actor's turn ends. It observes the machine's snapshot only while
 * somebody needs its changes (the actor persists, or a subscriber wants digests: an observer costs
 * a call per event the hot path otherwise does not pay), asks the placement for a turn end when it
 * changed, and at a turn end or a batch's checkpoint takes a detached persisted record (throttled
 * by the definition's `throttleMs`, except a turn that changed the definition's `urgentKey`: that
 * one persists at once). A snapshot that cannot be copied is handed back as the
 * actor's crash, never thrown into the placement's turn loop.
 *
 * With `persist.immutable` the record is kept by reference: no detached copy, and not XState's own
 * `getPersistedSnapshot()` walk over the whole context either (it looks for actor refs in every
 * object, typed arrays byte by byte; an immutable context promises none). The worker placement
 * posts such a record to the system thread (a thread restart starts from it) as only the objects
 * it has not sent before (graph-encoder.ts): ~0.07 ms per persist at 100,000 members instead of a
 * whole structured clone (~0.9 s between the two threads); other records go whole.
 *
 * A turn whose snapshot equals the last record (a timer that fired and changed nothing, the common
 * turn of an idle actor) takes no record at all: no copy, no post, no store write (snapshot-equal.ts;
 * swim alone on loopback persisted 6 records a second, 35 of 40 identical to the one before).
 */
import type { Actor, AnyStateMachine } from 'xstate'
import type { ActorClock } from '../types/time.ts'
import type { PersistOptions, PersistedRecord } from './persist-options.ts'
import { assertCloneable, detachSnapshot, UncloneableSnapshotError } from './snapshot-copy.ts'
import { freezeSnapshot } from './snapshot-freeze.ts'
import { samePersisted, unchangedLiveSnapshot } from './snapshot-equal.ts'

/** The context handed to XState's persist when the real one is kept by reference. */
const NO_CONTEXT = Object.freeze({})

/**
 * The persisted snapshot of `actor` as the host keeps it: a detached copy of
 * `getPersistedSnapshot()`, or, for an immutable context, XState's persisted header (state value,
 * children, history) around the live context itself. `freeze`: deep-freeze and check what is kept
 * by reference (see snapshot-freeze.ts). Throws UncloneableSnapshotError.
 */
export function persistedSnapshotOf(id: string, actor: Actor<AnyStateMachine>, immutable: boolean, freeze: boolean, unchangedFrom?: unknown): unknown {
  if (!immutable) {
    // Most turns of an idle actor change nothing: decided on the live snapshot, without XState's walk.
    if (unchangedFrom !== undefined && unchangedLiveSnapshot(actor.getSnapshot(), unchangedFrom)) return UNCHANGED
    const persisted = actor.getPersistedSnapshot()
    if (unchangedFrom !== undefined && samePersisted(persisted, unchangedFrom)) return UNCHANGED
    return detachSnapshot(id, persisted)
  }
  const live = actor.getSnapshot() as unknown as { context: unknown }
  const persisted = actor.logic.getPersistedSnapshot({ ...live, context: NO_CONTEXT } as never) as unknown as { context: unknown }
  persisted.context = live.context
  // Kept by reference: the same context object under the same header is the same record. A new
  // context object is not walked (an immutable context is persisted without walking it).
  const kept = unchangedFrom as { context?: unknown } | undefined
  if (kept !== undefined && kept.context === live.context && samePersisted({ ...persisted, context: NO_CONTEXT }, { ...kept, context: NO_CONTEXT })) return UNCHANGED
  if (freeze) freezeSnapshot(id, persisted)
  return persisted
}

/** persistedSnapshotOf's answer when the snapshot is the same as `unchangedFrom` (nothing to persist). */
export const UNCHANGED: unique symbol = Symbol('unchanged')

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
  /** persist.urgentKey of the last record's snapshot (undefined: none taken yet, or no urgentKey). */
  #lastKey: readonly unknown[] | undefined
  #pending = false
  /** Persists skipped because the snapshot was the same as the last record (see snapshot-equal.ts). */
  unchanged = 0

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
      /** Deep-freeze and check immutable records (see snapshot-freeze.ts). */
      verifyImmutable: boolean
    },
    restored: PersistedRecord | undefined,
  ) {
    // A record of another version (another context shape) is not restored.
    const persist = parts.persist
    this.lastPersisted = restored !== undefined && persist !== undefined && restored.version === persist.version ? restored : undefined
  }

  /** persist.immutable: records are kept and restored by reference. */
  get immutable(): boolean {
    return this.parts.persist?.immutable === true
  }

  /**
   * The snapshot a new incarnation starts from. A copy: XState restores the context by reference,
   * and the record must stay as it is for the next crash (a restored machine that updates in place
   * would otherwise write into it). An immutable machine never writes into it: the record itself.
   */
  startFrom(record: PersistedRecord): unknown {
    return this.immutable ? record.snapshot : structuredClone(record.snapshot)
  }

  /**
   * Throws when the first incarnation's context cannot be persisted, so the spawn fails, not some
   * later persist. An immutable one started from a record (a big table, possibly) was checked when
   * that record was taken, unless records are verified.
   */
  assertPersistable(actor: Actor<AnyStateMachine>): void {
    const { id, persist, verifyImmutable } = this.parts
    if (persist === undefined) return
    if (!this.immutable) assertCloneable(id, actor.getPersistedSnapshot())
    else if (this.lastPersisted === undefined || verifyImmutable) persistedSnapshotOf(id, actor, true, verifyImmutable)
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
    const snap = actor.getSnapshot()
    if (snap.status !== 'active' && snap.status !== 'done') return
    // Within the throttle window only a change of what a restart needs (urgentKey) persists now; the
    // rest stays pending for the first turn after the window.
    const key = persist.urgentKey?.(snap as never)
    const sameAsLast = key !== undefined && sameKey(key, this.#lastKey)
    if (persist.throttleMs !== undefined && now - this.#lastPersistAt < persist.throttleMs && (key === undefined || sameAsLast)) return
    let snapshot: unknown
    // The same version's last record: a snapshot equal to it is not taken or posted again. Unless
    // the urgent key moved since that record (this incarnation's): the key is read from the
    // snapshot, so the snapshot changed too, and comparing it with the record (two walks over the
    // context, about a third of a persist) would only find that out. At worst (a key reading
    // something the record does not hold) an equal record is taken once more.
    const keyMoved = key !== undefined && this.#lastKey !== undefined && !sameAsLast
    const last = !keyMoved && this.lastPersisted?.version === persist.version ? this.lastPersisted.snapshot : undefined
    try {
      // Detached unless immutable: the live context may be updated in place after this (see snapshot-copy.ts).
      snapshot = persistedSnapshotOf(this.parts.id, actor, persist.immutable === true, this.parts.verifyImmutable, last)
    } catch (err) {
      this.#pending = false
      const coded = err instanceof UncloneableSnapshotError ? err : new UncloneableSnapshotError(this.parts.id, 'snapshot', `not persistable (${String((err as Error)?.message ?? err)})`, { cause: err })
      this.parts.failed(actor, coded)
      return
    }
    this.#pending = false
    if (snapshot === UNCHANGED) {
      // The kept record already is this state: a restart from it is the same restart.
      this.unchanged++
      this.#lastKey = key
      return
    }
    const record: PersistedRecord = { version: persist.version, snapshot, at: now }
    try {
      this.parts.persisted?.(record)
    } catch (err) {
      // Posting it to the system thread clones it: a record kept by reference (immutable, unchecked)
      // that holds a function or a class instance is refused there, is this incarnation's crash,
      // and is not kept (the restart starts from the last record that was).
      this.parts.failed(actor, new UncloneableSnapshotError(this.parts.id, 'snapshot', `not cloneable (${String((err as Error)?.message ?? err)})`, { cause: err }))
      return
    }
    this.lastPersisted = record
    this.#lastKey = key
    // The throttle runs from the end of this persist: one that takes longer than throttleMs (a
    // large context) must not be due again at the next turn, or the actor does little else.
    this.#lastPersistAt = this.parts.clock.now()
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

/** Two urgentKey tuples are the same: same length, each element Object.is the other's. */
function sameKey(a: readonly unknown[], b: readonly unknown[] | undefined): boolean {
  if (b === undefined || a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false
  return true
}
