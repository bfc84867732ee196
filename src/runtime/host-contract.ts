/**
 * What a placement gives an ActorHost and hears from it: the parts it is built from (definition,
 * env, implementations, supervision, a record to start from) and the events it reports (crash,
 * restart, escalation, a refused message, a persisted record). The inline mailbox and the worker
 * host are the two placements; both build hosts from these parts.
 */
import type { AnyStateMachine } from 'xstate'
import type { ActorEnv } from '../types/actor-env.ts'
import type { WireError } from '../errors/cluster-error.ts'
import type { ActorDefinition, ActorImplementations } from './define-actor.ts'
import type { SupervisionOptions } from './options.ts'
import type { PersistedRecord } from './persist-options.ts'

export interface HostEvents {
  crashed(error: WireError): void
  restarted(restarts: number, restored: boolean): void
  escalated(error: WireError, restarts: number): void
  invalid(error: WireError, messageType: string): void
  persisted?(record: PersistedRecord): void
}

/** running -> restarting (after a crash) -> running again, or escalated past the budget; stopped at the end. */
export type HostStatus = 'running' | 'restarting' | 'escalated' | 'stopped'

export interface HostParts<M extends AnyStateMachine> {
  definition: ActorDefinition<M>
  env: ActorEnv
  implementations: ActorImplementations<M>
  input: unknown
  supervision: SupervisionOptions
  events: HostEvents
  /** A persisted record to start from (thread restart). */
  restoreFrom?: PersistedRecord
  /** Restarts of earlier incarnations (a thread restart), counted toward the total. */
  restarts?: number
  /** Schedules `endTurn` soon (a microtask inline, an immediate in a worker). */
  requestTurn: () => void
  /** Most messages held during a restart; beyond it they are refused and counted (default unbounded: the inline ring bounds itself). */
  holdLimit?: number
}
