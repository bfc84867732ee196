/**
 * ActorSystem: spawns actors inline or in worker threads, routes messages between them, keeps
 * the directory every worker needs to reach its peers directly, supervises, forwards inspection,
 * and shuts everything down in dependency order.
 *
 * This file is the public facade; the parts live next to it: system-core.ts (the actor table,
 * routing from this thread, overflow accounting), system-spawn.ts (placement), system-refs.ts
 * (refs, asks, snapshots, stats), system-inspection.ts (inspection fan-out), event-hub.ts
 * (subscriptions to emitted events), system-shutdown.ts (drain and stop). An actor is hosted by an
 * ActorHost (actor-host.ts) in either placement: inline behind an InlineMailbox, or in a worker
 * thread (WorkerThread, worker-host.ts) driven from here by a WorkerProxy (worker-proxy.ts).
 */
import type { AnyStateMachine } from 'xstate'
import type { ActorClock } from '../types/time.ts'
import type { Message } from '../types/actor-env.ts'
import type { ActorDefinition, InboundOf } from './define-actor.ts'
import type { PersistedRecord } from './persist-options.ts'
import { SystemCore } from './system-core.ts'
import { Inspection } from './system-inspection.ts'
import { getSnapshot, stats } from './system-refs.ts'
import { shutdownSystem } from './system-shutdown.ts'
import { inlineRouter, spawnActor, workerProxyPort, type SpawnContext } from './system-spawn.ts'
import type { ActorRef, ActorStats, InspectionEvent, ShutdownOptions, ShutdownReport, SpawnOptions, SystemEvent, SystemOptions, Unsubscribe } from './types.ts'

export class ActorSystem {
  /** Starts a system (no threads yet: each worker actor starts its thread at spawn). */
  static async start(options: SystemOptions = {}): Promise<ActorSystem> {
    return new ActorSystem(options)
  }

  readonly node: string
  readonly seed: number
  readonly #core: SystemCore
  readonly #inspection: Inspection
  readonly #spawn: SpawnContext
  #shutdown: Promise<ShutdownReport> | undefined

  private constructor(options: SystemOptions) {
    const core = new SystemCore(options)
    this.#core = core
    this.node = core.node
    this.seed = core.seed
    this.#inspection = new Inspection(core)
    this.#spawn = { core, inspection: this.#inspection, router: inlineRouter(core), port: workerProxyPort(core, this.#inspection) }
  }

  /** The system clock (the SimulatedClock when simulated). */
  get clock(): ActorClock {
    return this.#core.clock
  }

  /** Spawns an actor; resolves when it runs (its worker answered the handshake). */
  async spawn<M extends AnyStateMachine, TIn extends Message>(definition: ActorDefinition<M, TIn>, options: SpawnOptions<M>): Promise<ActorRef<M, TIn>> {
    const ref = await spawnActor(this.#spawn, definition as unknown as ActorDefinition<AnyStateMachine>, options as unknown as SpawnOptions<AnyStateMachine>)
    return ref as unknown as ActorRef<M, TIn>
  }

  /** The ref of a spawned actor, or undefined. Type it by passing its definition. */
  ref<M extends AnyStateMachine, TIn extends Message = InboundOf<M>>(id: string, _definition?: ActorDefinition<M, TIn>): ActorRef<M, TIn> | undefined {
    return this.#core.actors.get(id)?.ref as unknown as ActorRef<M, TIn> | undefined
  }

  /** Every actor's transitions (from every thread) while at least one listener is attached. */
  inspect(listener: (event: InspectionEvent) => void): Unsubscribe {
    return this.#inspection.add(listener)
  }

  /**
   * Resolves once every running actor has handled what the system thread sent it before this
   * call (including inspection and subscription toggles, which travel in order with messages).
   */
  async sync(): Promise<void> {
    const core = this.#core
    const live = [...core.actors.values()].filter((e) => e.stoppedStats === undefined && (e.inline !== undefined ? !e.inline.closed : e.worker!.status === 'running'))
    await Promise.all(live.map((e) => getSnapshot(core, e).catch(() => undefined)))
  }

  /** Lifecycle and accounting events (crashes, restarts, escalations, drops). */
  on(listener: (event: SystemEvent) => void): Unsubscribe {
    const listeners = this.#core.listeners
    listeners.add(listener)
    return () => void listeners.delete(listener)
  }

  async stats(): Promise<ActorStats[]> {
    const core = this.#core
    return Promise.all([...core.actors.values()].map((e) => stats(core, e)))
  }

  /** Sends refused at the system level (system stopping, unknown or stopped target), from every thread. */
  get refused(): number {
    return this.#core.refused
  }

  /** Replies to the system thread's own asks (ActorRef.ask) that came after the ask was settled. */
  get lateReplies(): number {
    return this.#core.asks.late
  }

  /** Log records the system's `logSink` threw on (each such record is lost; the sink keeps getting the next). */
  get logSinkErrors(): number {
    return this.#core.logSinkErrors
  }

  /** Stops intake, drains in dependency order, runs exit work, ends every worker. Idempotent. */
  shutdown(options: ShutdownOptions = {}): Promise<ShutdownReport> {
    this.#shutdown ??= shutdownSystem(this.#core, options.drainTimeoutMs ?? 5000)
    return this.#shutdown
  }
}

export type { PersistedRecord }
