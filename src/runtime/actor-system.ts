/**
 * ActorSystem: spawns actors inline or in worker threads, routes messages, supervises, inspects,
 * and shuts everything down in dependency order.
 */
import type { AnyStateMachine } from 'xstate'
import type { ActorClock } from '../types/time.ts'
import type { ActorDefinition } from './define-actor.ts'
import type {
  ActorRef,
  ActorStats,
  InspectionEvent,
  ShutdownOptions,
  ShutdownReport,
  SpawnOptions,
  SystemEvent,
  SystemOptions,
  Unsubscribe,
} from './types.ts'

export class ActorSystem {
  /** Starts a system (no threads yet: each worker actor starts its thread at spawn). */
  static async start(options: SystemOptions = {}): Promise<ActorSystem> {
    return new ActorSystem(options)
  }

  private constructor(readonly options: SystemOptions) {}

  /** The system clock (the SimulatedClock when simulated). */
  get clock(): ActorClock {
    throw new Error('not implemented yet')
  }

  /** Spawns an actor; resolves when it runs (its worker answered the handshake). */
  async spawn<M extends AnyStateMachine>(definition: ActorDefinition<M>, options: SpawnOptions<M>): Promise<ActorRef<M>> {
    void definition
    void options
    throw new Error('not implemented yet')
  }

  /** The ref of a spawned actor, or undefined. Type it by passing its definition. */
  ref<M extends AnyStateMachine>(id: string, _definition?: ActorDefinition<M>): ActorRef<M> | undefined {
    void id
    throw new Error('not implemented yet')
  }

  /** Every actor's transitions (from every thread) while at least one listener is attached. */
  inspect(listener: (event: InspectionEvent) => void): Unsubscribe {
    void listener
    throw new Error('not implemented yet')
  }

  /** Lifecycle and accounting events (crashes, restarts, escalations, drops). */
  on(listener: (event: SystemEvent) => void): Unsubscribe {
    void listener
    throw new Error('not implemented yet')
  }

  stats(): ActorStats[] {
    throw new Error('not implemented yet')
  }

  /** Stops intake, drains in dependency order, runs exit work, ends every worker. Idempotent. */
  async shutdown(options: ShutdownOptions = {}): Promise<ShutdownReport> {
    void options
    throw new Error('not implemented yet')
  }
}
