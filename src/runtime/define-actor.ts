/**
 * defineActor: one description of an actor that runs in either placement. The definition is pure
 * (it lives in `actors/<name>/definition.ts` next to protocol.ts and machine.ts); real I/O is
 * plugged in by `actors/<name>/worker.ts` (`hostActor(def, { provide })`) for the worker
 * placement, or by the caller of `system.spawn(def, { placement: 'inline', provide })`.
 */
import type { AnyStateMachine, ContextFrom, EventFromLogic, InputFrom } from 'xstate'
import type { ActorEnv, Message, RuntimeEvent } from '../types/actor-env.ts'
import type { MailboxOptions, PersistOptions, SupervisionOptions } from './options.ts'

/** The messages an actor accepts: its machine's events minus the runtime's own. */
export type InboundOf<M extends AnyStateMachine> = Exclude<EventFromLogic<M>, RuntimeEvent> & Message
export type ContextOf<M extends AnyStateMachine> = ContextFrom<M>
export type InputOf<M extends AnyStateMachine> = InputFrom<M>

/** The implementations argument of `machine.provide(...)` for machine M. */
export type ProvideOf<M extends AnyStateMachine> = Parameters<M['provide']>[0]

/** Implementations for one placement: real I/O in worker.ts, fakes in a simulator. */
export interface ActorImplementations<M extends AnyStateMachine> {
  /** Returns what to pass to `machine.provide(...)`; called once per (re)start with the actor's env. */
  provide?: (env: ActorEnv) => ProvideOf<M>
  /** Exit work outside the machine (close sockets, flush files); awaited at stop and shutdown. */
  onStop?: (env: ActorEnv) => void | Promise<void>
}

export interface ActorSpec<M extends AnyStateMachine> {
  /** Actor kind, e.g. `'snapshotter'` (spawned instances get their own ids). */
  name: string
  /** Builds the pure machine from the env (clock, random, log, send, reply, compute). */
  machine: (env: ActorEnv) => M
  /**
   * Message types the actor accepts; anything else is rejected with ERR_ACTOR_UNKNOWN_MESSAGE.
   * Defaults to every event type the machine names (`machine.events`), minus `runtime.*`.
   */
  accepts?: readonly NoInfer<InboundOf<M>['type']>[]
  /**
   * Payload check run before delivery; return a reason string to reject the message with
   * ERR_ACTOR_INVALID_MESSAGE (counted; an `ask` rejects), or undefined to accept it.
   */
  validate?: (msg: NoInfer<InboundOf<M>>) => string | undefined
  /**
   * The thread entry for the worker placement: `new URL('./worker.ts', import.meta.url)`. A `.ts`
   * URL is loaded through tsx in source mode and swapped for the `.js` sibling in the built output.
   */
  worker?: URL
  /** Opt in to persisted snapshots, restored by the supervisor after a crash. */
  persist?: PersistOptions
  /** Mailbox defaults for this actor (spawn options override). */
  mailbox?: Partial<MailboxOptions>
  /** Supervision defaults for this actor (spawn options override). */
  supervision?: Partial<SupervisionOptions>
}

export interface ActorDefinition<M extends AnyStateMachine> extends Readonly<ActorSpec<M>> {
  readonly kind: 'gossamer.actor-definition'
}

/**
 * Declares an actor. Types flow from the machine: `ref.send` accepts exactly the machine's events
 * (minus `runtime.*`), `ref.ask` the ones with a `replyTo`, and `getSnapshot().context` is the
 * machine's context.
 */
export function defineActor<M extends AnyStateMachine>(spec: ActorSpec<M>): ActorDefinition<M> {
  return Object.freeze({ ...spec, kind: 'gossamer.actor-definition' as const })
}
