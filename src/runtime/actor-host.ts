/**
 * ActorHost: runs one actor's XState machine in the current thread, the same code for both
 * placements. It checks each message against the protocol, hands it to the machine, and on a
 * crash (an error thrown inside the machine) restarts it in place: after a backoff on the actor's
 * clock, from the last persisted snapshot, with `runtime.restored` sent so it re-arms its timers.
 * Messages that arrive meanwhile are held and handled, in order, by the restarted machine.
 * Beyond the restart budget it escalates: the actor stops and its messages are refused, counted.
 * When a restart happens is host-restarts.ts's (backoff, or at once when a stop is coming); what
 * each message meets is host-delivery.ts's, persisting host-persistence.ts's, and the exit work's
 * pieces are in exit-work.ts.
 */
import { createActor, type Actor, type AnyStateMachine } from 'xstate'
import type { ActorEnv } from '../types/actor-env.ts'
import { RESTORED } from '../types/actor-env.ts'
import { toWireError, type WireError } from '../errors/cluster-error.ts'
import { ActorEscalatedError } from '../errors/runtime-errors.ts'
import { machineFor, type ActorDefinition, type ActorImplementations } from './define-actor.ts'
import { EmitTap, type EmitSink } from './emit-tap.ts'
import { failEnvAsks, resourcesOf } from './env.ts'
import { offerShutdown, readExitReport, releaseResources, runOnStop, withReleaseFailures } from './exit-work.ts'
import { HostDelivery } from './host-delivery.ts'
import { HostInspector, type InspectListener } from './host-inspector.ts'
import type { HostEvents, HostParts, HostStatus } from './host-contract.ts'
import { verifyImmutableFromEnv, type PersistedRecord } from './persist-options.ts'
import { HostRestarts } from './host-restarts.ts'
import { HostPersistence } from './host-persistence.ts'
import { isFrozenWrite, MutatedSnapshotError } from './snapshot-freeze.ts'
import type { ActorExitReport, ActorSnapshot } from './types.ts'

export class ActorHost<M extends AnyStateMachine = AnyStateMachine> {
  actor!: Actor<AnyStateMachine>
  status: HostStatus = 'running'
  readonly #def: ActorDefinition<M>
  readonly #env: ActorEnv
  readonly #impl: ActorImplementations<M>
  readonly #input: unknown
  readonly #events: HostEvents
  /** When the machine starts again after a crash (backoff, expedite). */
  readonly #restarts: HostRestarts
  /**
   * What happens to each message handed to this host (host-delivery.ts): `deliver` one on its own,
   * `offer` one of a batch (coalesced runs), `flush` the run; its counts (handled, invalid, refused).
   */
  readonly delivery: HostDelivery
  readonly #machine: M
  readonly #inspection: HostInspector
  readonly #emits = new EmitTap()
  readonly #persistence: HostPersistence
  /** Immutable records are deep-frozen, so a write into one is reported as MutatedSnapshotError. */
  readonly #verifyImmutable: boolean
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

  constructor(parts: HostParts<M>) {
    this.#def = parts.definition
    this.#env = parts.env
    this.#impl = parts.implementations
    this.#input = parts.input
    this.#events = parts.events
    this.#restarts = new HostRestarts(parts.supervision, this.#env.clock, parts.restarts ?? 0, () => this.#restart())
    const machine = (this.#machine = machineFor(this.#def, this.#impl, this.#env))
    this.#verifyImmutable = this.#def.persist?.immutable === true && verifyImmutableFromEnv()
    this.#inspection = new HostInspector(this.#env.id)
    const host = this
    this.delivery = new HostDelivery(
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
      parts.restoreFrom,
    )
    const fresh = this.lastPersisted === undefined && (parts.restarts ?? 0) === 0
    this.#firstStart = fresh ? {} : undefined
    this.#startActor(this.lastPersisted)
    const first = this.#firstStart
    this.#firstStart = undefined
    try {
      if (first !== undefined && 'error' in first) throw first.error
      // A context that cannot be persisted fails the spawn, not some later persist.
      this.#persistence.assertPersistable(this.actor)
    } catch (err) {
      // The spawn fails for good: what provide(env) opened for this actor is released.
      stopQuietly(this.actor)
      this.status = 'stopped'
      void releaseResources(this.#env)
      throw err
    }
  }

  get id(): string {
    return this.#env.id
  }

  get env(): ActorEnv {
    return this.#env
  }

  get restarts(): number {
    return this.#restarts.total
  }

  #startActor(record: PersistedRecord | undefined): void {
    const options: Record<string, unknown> = { id: this.#env.id, input: this.#input, clock: this.#env.clock }
    if (record !== undefined) options['snapshot'] = this.#persistence.startFrom(record)
    const actor = createActor(this.#machine as AnyStateMachine, options as never) as Actor<AnyStateMachine>
    this.actor = actor
    actor.subscribe({ error: (err: unknown) => this.#onActorError(actor, err) })
    this.#persistence.attach(actor)
    this.#inspection.attach(actor)
    this.#emits.attach(actor)
    actor.start()
    if (record !== undefined && this.status === 'running' && actor.getSnapshot().status === 'active') {
      actor.send({ type: RESTORED, at: this.#env.clock.now(), restarts: this.#restarts.total } as never)
    }
  }

  /** Hands the run being coalesced to the machine as one event (a failing `into` crashes the actor). */
  flush(): void {
    this.delivery.flush()
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
    stopQuietly(actor)
    this.#crashed(wire)
  }

  /** The machine is gone (crashed, or failed to start again): its asks fail; a restart comes, or escalation. */
  #crashed(wire: WireError): void {
    failEnvAsks(this.#env)
    this.#events.crashed(wire)
    if (!this.#restarts.crashed()) this.#escalate(wire)
  }

  /**
   * A stop is coming: a restart waiting for its backoff happens now (the held messages are
   * handled), and later crashes restart without a backoff. Call it from outside the machine.
   */
  expedite(): void {
    this.#restarts.expedite()
  }

  #escalate(cause: WireError): void {
    this.status = 'escalated'
    const error = toWireError(new ActorEscalatedError(this.#env.id, this.#restarts.total, { cause }))
    this.#env.log.error({ err: error, restarts: this.#restarts.total }, 'actor escalated')
    this.#emits.detach()
    this.#events.escalated(error, this.#restarts.total)
    this.delivery.refuseHeld()
    // No machine will run again: its resources go now, not at the stop (release failures are
    // reported by the stop, which waits for these releases).
    void releaseResources(this.#env)
  }

  #restart(): void {
    if (this.status !== 'restarting') return
    this.status = 'running'
    try {
      this.#startActor(this.lastPersisted)
    } catch (err) {
      this.status = 'restarting'
      this.#crashed(toWireError(err))
      return
    }
    if (this.status !== 'running') return
    this.#env.log.info({ restarts: this.#restarts.total }, 'actor restarted')
    this.#events.restarted(this.#restarts.total, this.lastPersisted !== undefined)
    this.delivery.replayHeld()
    this.onResume?.()
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
    // Awaited only when there is something to wait for (see offerShutdown).
    const shutdown = this.status === 'running' ? offerShutdown(this.actor, timeoutMs) : true
    const finished = shutdown === true ? true : await shutdown
    this.status = 'stopped'
    this.delivery.refuseHeld()
    this.#inspection.detach()
    this.#emits.detach()
    this.exit = readExitReport(this.#def.exitReport, () => this.actor.getSnapshot().context)
    stopQuietly(this.actor)
    failEnvAsks(this.#env)
    this.exit = await runOnStop(this.#impl, this.#env, this.exit)
    // After onStop (it may still flush through them): the resources of provide(env) are released.
    await releaseResources(this.#env)
    this.exit = withReleaseFailures(this.exit, resourcesOf(this.#env)?.closeFailures ?? [])
    return finished
  }
}

/** Stops an incarnation; one in error status is already stopped (XState may throw then). */
function stopQuietly(actor: Actor<AnyStateMachine>): void {
  try {
    actor.stop()
  } catch {
    // stopped by its error
  }
}
