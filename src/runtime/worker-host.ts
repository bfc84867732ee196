/**
 * hostActor: the worker-thread side of an actor. An actor's worker.ts calls it once with the
 * definition and the real implementations; it builds the env (clock, random, pino child, links to
 * peers), runs the machine, and speaks the runtime's thread protocol with the system thread.
 */
import type { AnyStateMachine } from 'xstate'
import type { ActorDefinition, ActorImplementations } from './define-actor.ts'

export function hostActor<M extends AnyStateMachine>(definition: ActorDefinition<M>, implementations: ActorImplementations<M> = {}): void {
  void definition
  void implementations
  throw new Error('not implemented yet')
}
