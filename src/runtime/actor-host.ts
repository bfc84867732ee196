/**
 * ActorHost: runs one actor's XState machine in the current thread, the same code for both
 * placements. It checks each message against the protocol, hands it to the machine, and on a
 * crash (an error thrown inside the machine) restarts it in place: after a backoff on the actor's
 * clock, from the last persisted snapshot, with `runtime.restored` sent so it re-arms its timers.
 * Messages that arrive meanwhile are held and handled, in order, by the restarted machine.
 * Beyond the restart budget it escalates: the actor stops and its messages are refused, counted.
 * Once a stop is coming (`expedite`), restarts no longer wait for their backoff, so the stop can
 * drain and run the exit work without waiting one out; the restart budget still applies.
 */
import { createActor, type Actor, type AnyStateMachine } from 'xstate'
import type { ActorEnv, Message } from '../types/actor-env.ts'
import { RESTORED, SHUTDOWN } from '../types/actor-env.ts'
import { toWireError, type WireError } from '../errors/cluster-error.ts'
import { ActorEscalatedError } from '../errors/runtime-errors.ts'
import type { ActorDefinition, ActorImplementations } from './define-actor.ts'
import { EmitTap, type EmitSink } from './emit-tap.ts'
import { failEnvAsks, resourcesOf } from './env.ts'
import { readExitReport, waitDone, withReleaseFailures } from './exit-work.ts'
import { HostDelivery } from './host-delivery.ts'
import { HostInspector, type InspectListener } from './host-inspector.ts'
import type { SupervisionOptions } from './options.ts'
import { verifyImmutableFromEnv, type PersistedRecord } from './persist-options.ts'
import { RestartTracker } from './supervisor.ts'
import { assertCloneable } from './snapshot-copy.ts'
import { HostPersistence, persistedSnapshotOf } from './host-persistence.ts'
import { isFrozenWrite, MutatedSnapshotError } from './snapshot-freeze.ts'
import type { ActorExitReport, ActorSnapshot } from './types.ts'

export interface HostEvents {
  crashed(error: WireError): void
  restarted(restarts: number, restored: boolean): void
  escalated(error: WireError, restarts: number): void
  invalid(error: WireError, messageType: string): void
  persisted?(record: PersistedRecord): void
}

export type HostStatus = 'running' | 'restarting' | 'escalated' | 'stopped'

export class ActorHost<M extends AnyStateMachine = AnyStateMachine> {
  actor!: Actor<AnyStateMachine>
  status: HostStatus = 'running'
  readonly #def: ActorDefinition<M>
  readonly #env: ActorEnv
  readonly #impl: ActorImplementations<M>
  readonly #input: unknown
  readonly #events: HostEvents
  readonly #tracker: RestartTracker
  /** What happens to each message handed to this host (host-delivery.ts). */
  readonly #delivery: HostDelivery
  #machine: M
  readonly #inspection: HostInspector
  readonly #emits = new EmitTap()
  readonly #persistence: HostPersistence
  /** persist.immutable: records are kept and restored by reference. */
  readonly #immutable: boolean
  /** ... and deep-frozen, so a write into one is reported as MutatedSnapshotError. */
  readonly #verifyImmutable: boolean
  /** The env's resource slots closing (the actor stopped for good): started once. */
  #resourcesClosed: Promise<void> | undefined
  #restartTimer: unknown
  /** A stop is coming: restart at once instead of after the backoff. */
  #expedited = false
  /** stop() finished. */
  #stopped = false
  /** How the exit work ended, set by stop(): undefined when the actor reports nothing. */
  exit: ActorExitReport | undefined
  /**
   * Set while a fresh spawn starts its first actor: an error then (a machine refusing its input,
   * e.g. ERR_INVALID_CONFIG from its context) fails the spawn instead of entering the restart loop,
   * which cannot fix it. A restart, or a start from a persisted record, crashes as usual.
   */
  #firstStart: { error?: unknown } | undefined
  /** Called when the host can take messages again after a restart (the inline drain resumes). */
  onResume: (() => void) | undefined

  constructor(parts: {
    definition: ActorDefinition<M>
    env: ActorEnv
    implementations: ActorImplementations<M>
    input: unknown
    supervision: SupervisionOptions
    events: HostEvents
    /** A persisted record to start from (thread restart). */
    restoreFrom?: PersistedRecord
    restarts?: number
    /** Schedules `endTurn` soon (a microtask inline, an immediate in a worker). */
    requestTurn: () => void
    /** Most messages held during a restart; beyond it they are refused and counted (default unbounded: the inline ring bounds itself). */
    holdLimit?: number
  }) {
    this.#def = parts.definition
    this.#env = parts.env
    this.#impl = parts.implementations
    this.#input = parts.input
    this.#events = parts.events
    this.#tracker = new RestartTracker(parts.supervision)
    this.#tracker.total = parts.restarts ?? 0
    let machine = this.#def.machine(this.#env)
    if (this.#impl.provide !== undefined) machine = machine.provide(this.#impl.provide(this.#env) as never) as M
    this.#machine = machine
    this.#immutable = this.#def.persist?.immutable === true
    this.#verifyImmutable = this.#immutable && verifyImmutableFromEnv()
    this.#inspection = new HostInspector(this.#env.id)
    const host = this
    this.#delivery = new HostDelivery(
      this.#env.id,
      this.#def as unknown as ActorDefinition<AnyStateMachine>,
      machine,
      {
        get status() {
          return host.status
        },
        send: (event) => this.actor.send(event as never),
        crash: (err) => this.#onActorError(this.actor, err),
        fail: (token, error) => this.#env.fail(token, error),
        invalid: (error, messageType) => this.#events.invalid(error, messageType),
      },
      parts.holdLimit ?? Number.POSITIVE_INFINITY,
    )
    this.#persistence = new HostPersistence(
      {
        id: this.#env.id,
        persist: this.#def.persist,
        clock: this.#env.clock,
        requestTurn: parts.requestTurn,
        persisted: parts.events.persisted?.bind(parts.events),
        running: () => (this.status === 'running' ? this.actor : undefined),
        failed: (actor, err) => this.#onActorError(actor, err),
        verifyImmutable: this.#verifyImmutable,
      },
      this.#usable(parts.restoreFrom),
    )
    const fresh = this.lastPersisted === undefined && (parts.restarts ?? 0) === 0
    this.#firstStart = fresh ? {} : undefined
    this.#startActor(this.lastPersisted)
    const first = this.#firstStart
    this.#firstStart = undefined
    if (first !== undefined && 'error' in first) {
      this.status = 'stopped'
      // What provide(env) opened for this actor is released: the spawn fails for good.
      void this.#closeResources()
      throw first.error
    }
    // A context that cannot be copied fails the spawn, not some later persist.
    // An immutable one started from a record (a big table, possibly) was checked when that was taken.
    if (this.#def.persist !== undefined && !(this.#immutable && this.lastPersisted !== undefined && !this.#verifyImmutable)) {
      try {
        if (this.#immutable) persistedSnapshotOf(this.#env.id, this.actor, true, this.#verifyImmutable)
        else assertCloneable(this.#env.id, this.actor.getPersistedSnapshot())
      } catch (err) {
        this.actor.stop()
        this.status = 'stopped'
        void this.#closeResources()
        throw err
      }
    }
  }

  get id(): string {
    return this.#env.id
  }

  get env(): ActorEnv {
    return this.#env
  }

  get restarts(): number {
    return this.#tracker.total
  }

  #usable(record: PersistedRecord | undefined): PersistedRecord | undefined {
    const persist = this.#def.persist
    if (record === undefined || persist === undefined || record.version !== persist.version) return undefined
    return record
  }

  #startActor(record: PersistedRecord | undefined): void {
    const options: Record<string, unknown> = { id: this.#env.id, input: this.#input, clock: this.#env.clock }
    // A copy: XState restores the context by reference, and the record must stay as it is for the
    // next crash (a restored machine that updates in place would otherwise write into it). An
    // immutable machine never writes into it: it starts from the record itself.
    if (record !== undefined) options['snapshot'] = this.#immutable ? record.snapshot : structuredClone(record.snapshot)
    const actor = createActor(this.#machine as AnyStateMachine, options as never) as Actor<AnyStateMachine>
    this.actor = actor
    actor.subscribe({ error: (err: unknown) => this.#onActorError(actor, err) })
    this.#persistence.attach(actor)
    this.#inspection.attach(actor)
    this.#emits.attach(actor)
    actor.start()
    if (record !== undefined && this.status === 'running' && actor.getSnapshot().status === 'active') {
      actor.send({ type: RESTORED, at: this.#env.clock.now(), restarts: this.#tracker.total } as never)
    }
  }

  /** Messages handed to the machine (or coalesced into one event for it). */
  get handled(): number {
    return this.#delivery.handled
  }

  /** Messages the protocol refused. */
  get invalid(): number {
    return this.#delivery.invalid
  }

  /** Messages refused because the actor was restarting past its hold limit, escalated or stopped. */
  get refused(): number {
    return this.#delivery.refused
  }

  /**
   * Hands one actor message to the machine (or holds / refuses it), at once: a run being coalesced
   * goes first. Never throws. For a message on its own (not part of a delivery batch).
   */
  deliver(msg: Message): void {
    this.#delivery.deliver(msg)
  }

  /**
   * One message of a delivery batch (a link batch, an inline drain): with `coalesce`, a message of
   * the listed types that is not an ask joins the current run and reaches the machine as part of
   * one event at `flush()`. The batch's owner calls `flush()` (or `checkpoint()`) when it ends.
   */
  offer(msg: Message): void {
    this.#delivery.offer(msg)
  }

  /** Hands the run being coalesced to the machine as one event (a failing `into` crashes the actor). */
  flush(): void {
    this.#delivery.flush()
  }

  #onActorError(actor: Actor<AnyStateMachine>, err: unknown): void {
    if (actor !== this.actor || this.status !== 'running') return
    if (this.#firstStart !== undefined) {
      this.#firstStart.error = err
      return
    }
    // A write into a frozen record is the machine breaking its persist.immutable promise: say so.
    const wire = toWireError(this.#verifyImmutable && isFrozenWrite(err) ? new MutatedSnapshotError(this.#env.id, { cause: err }) : err)
    this.#env.log.error({ err: wire }, 'actor crashed')
    this.status = 'restarting'
    try {
      actor.stop()
    } catch {
      // already stopped by the error
    }
    failEnvAsks(this.#env)
    this.#events.crashed(wire)
    const delay = this.#tracker.onCrash(this.#env.clock.now())
    if (delay === undefined) {
      this.#escalate(wire)
      return
    }
    this.#scheduleRestart(delay)
  }

  #scheduleRestart(delay: number): void {
    // Expedited (a stop is coming): after the current turn, not on the clock (a simulated clock
    // might never get there). Called from inside the crashed machine's send: never synchronously.
    if (this.#expedited) queueMicrotask(() => this.#restart())
    else this.#restartTimer = this.#env.clock.setTimeout(() => this.#restart(), delay)
  }

  /**
   * A stop is coming: a restart waiting for its backoff happens now (the held messages are
   * handled), and later crashes restart without a backoff. Call it from outside the machine.
   */
  expedite(): void {
    this.#expedited = true
    if (this.#restartTimer === undefined) return
    this.#env.clock.clearTimeout(this.#restartTimer)
    this.#restartTimer = undefined
    this.#restart()
  }

  #escalate(cause: WireError): void {
    this.status = 'escalated'
    const error = toWireError(new ActorEscalatedError(this.#env.id, this.#tracker.total, { cause }))
    this.#env.log.error({ err: error, restarts: this.#tracker.total }, 'actor escalated')
    this.#emits.detach()
    this.#events.escalated(error, this.#tracker.total)
    this.#refuseHeld()
    // No machine will run again: its resources go now, not at the stop (release failures are
    // reported by the stop, which waits for these releases).
    void this.#closeResources()
  }

  /** Releases the env's resource slots once (the actor stopped for good); never rejects. */
  #closeResources(): Promise<void> {
    this.#resourcesClosed ??= resourcesOf(this.#env)?.closeAll().catch(() => {}) ?? Promise.resolve()
    return this.#resourcesClosed
  }

  #refuseHeld(): void {
    this.#delivery.refuseHeld()
  }

  #restart(): void {
    this.#restartTimer = undefined
    if (this.status !== 'restarting') return
    this.status = 'running'
    try {
      this.#startActor(this.lastPersisted)
    } catch (err) {
      this.status = 'restarting'
      this.#onActorErrorFromStart(err)
      return
    }
    if (this.status !== 'running') return
    this.#env.log.info({ restarts: this.#tracker.total }, 'actor restarted')
    this.#events.restarted(this.#tracker.total, this.lastPersisted !== undefined)
    this.#delivery.replayHeld()
    this.onResume?.()
  }

  #onActorErrorFromStart(err: unknown): void {
    const wire = toWireError(err)
    failEnvAsks(this.#env)
    this.#events.crashed(wire)
    const delay = this.#tracker.onCrash(this.#env.clock.now())
    if (delay === undefined) this.#escalate(wire)
    else this.#scheduleRestart(delay)
  }

  /** The last persisted record (or the one restored from): what a restart starts from. */
  get lastPersisted(): PersistedRecord | undefined {
    return this.#persistence.lastPersisted
  }

  /**
   * End of a turn (after the messages and timers that changed the snapshot): persists if the actor
   * opted in. Returns whether the snapshot changed during the turn (for digest subscribers).
   */
  endTurn(): boolean {
    this.flush()
    return this.#persistence.endTurn()
  }

  /** End of a batch of messages: persist now, so a crash in the next batch restores this state. */
  checkpoint(): void {
    this.flush()
    this.#persistence.checkpoint()
  }

  /** Digests wanted after each turn (turn ends are scheduled only while watched or persisting). */
  setWatched(on: boolean): void {
    this.#persistence.setWatched(on)
  }

  digest(): ActorSnapshot {
    this.flush()
    const s = this.actor.getSnapshot() as { status: ActorSnapshot['status']; value: ActorSnapshot['value']; context: unknown }
    return { status: s.status, value: s.value, context: s.context }
  }

  /**
   * Forwards the machine's emitted events of these types (`'*'`: all; empty: none) to `sink`,
   * this incarnation and every restarted one. Costs nothing while no type is set.
   */
  setEmitted(types: readonly string[], sink: EmitSink | undefined): void {
    this.flush()
    this.#emits.set(types, types.length === 0 ? undefined : sink, this.status === 'running' ? this.actor : undefined)
  }

  /** The emitted event types forwarded now. */
  get emittedTypes(): readonly string[] {
    return this.#emits.types
  }

  /** Turns inspection on (listener) or off (undefined). Costs nothing while off. */
  setInspector(listener: InspectListener | undefined): void {
    this.flush()
    this.#inspection.set(listener, this.status === 'stopped' ? undefined : this.actor)
  }

  /**
   * Exit work: offer `runtime.shutdown` to the machine if it takes it and wait (up to timeoutMs)
   * for it to reach a final state, stop it, then run the placement's onStop. Resolves true if the
   * machine finished in time.
   */
  async stop(timeoutMs: number): Promise<boolean> {
    if (this.#stopped) return true
    this.#stopped = true
    // A machine waiting to restart restarts now: it handles what it held (persisted, as after any
    // batch) and does its exit work.
    this.expedite()
    this.checkpoint()
    let finished = true
    if (this.status === 'running') {
      const actor = this.actor
      const snap = actor.getSnapshot()
      if (snap.status === 'active' && snap.can({ type: SHUTDOWN } as never)) {
        actor.send({ type: SHUTDOWN } as never)
        if (actor.getSnapshot().status === 'active') finished = await waitDone(actor, timeoutMs)
      }
    }
    this.status = 'stopped'
    this.#refuseHeld()
    this.#inspection.detach()
    this.#emits.detach()
    this.exit = readExitReport(this.#def.exitReport, () => this.actor.getSnapshot().context)
    try {
      this.actor.stop()
    } catch {
      // an actor in error status is already stopped
    }
    failEnvAsks(this.#env)
    try {
      await this.#impl.onStop?.(this.#env)
    } catch (err) {
      const error = toWireError(err)
      this.#env.log.error({ err: error }, 'onStop failed')
      this.exit = { ...this.exit, clean: false, reason: this.exit?.reason ?? 'onStop failed', error: this.exit?.error ?? error }
    }
    // After onStop (it may still flush through them): the resources of provide(env) are released.
    await this.#closeResources()
    this.exit = withReleaseFailures(this.exit, resourcesOf(this.#env)?.closeFailures ?? [])
    return finished
  }
}
