/**
 * defineActor: one description of an actor that runs in either placement. The definition is pure
 * (it lives in `actors/<name>/definition.ts` next to protocol.ts and machine.ts); real I/O is
 * plugged in by `actors/<name>/worker.ts` (`hostActor(def, { provide })`) for the worker
 * placement, or by the caller of `system.spawn(def, { placement: 'inline', provide })`.
 */
import type { AnyStateMachine, ContextFrom, EventFromLogic, InputFrom } from 'xstate'
import type { ActorEnv, Message, RuntimeEvent } from '../types/actor-env.ts'
import type { MailboxOptions, SupervisionOptions } from './options.ts'
import { validatePersistOptions, type PersistOptions } from './persist-options.ts'
import type { ActorExitReport } from './types.ts'
import { validateCoalesceOptions, type CoalesceOptions } from './coalesce.ts'

/** The messages an actor accepts: its machine's events minus the runtime's own. */
export type InboundOf<M extends AnyStateMachine> = Exclude<EventFromLogic<M>, RuntimeEvent> & Message
export type ContextOf<M extends AnyStateMachine> = ContextFrom<M>
export type InputOf<M extends AnyStateMachine> = InputFrom<M>
/** The messages of machine M whose type is one of T (what an `accepts` list lets in). */
export type AcceptedOf<M extends AnyStateMachine, T extends string> = Extract<InboundOf<M>, { type: T }>

/** The implementations argument of `machine.provide(...)` for machine M. */
export type ProvideOf<M extends AnyStateMachine> = Parameters<M['provide']>[0]

/** Implementations for one placement: real I/O in worker.ts, fakes in a simulator. */
export interface ActorImplementations<M extends AnyStateMachine> {
  /** Returns what to pass to `machine.provide(...)`; called with the actor's env once per host (at spawn, or in a replacement thread), not per restart in place. */
  provide?: (env: ActorEnv) => ProvideOf<M>
  /** Exit work outside the machine (close sockets, flush files); awaited at stop and shutdown. */
  onStop?: (env: ActorEnv) => void | Promise<void>
}

/**
 * What `defineActor` takes. `T` is the union of accepted message types: inferred from `accepts`
 * (a tuple of literals or an array typed `readonly X['type'][]`), else every type of the machine.
 */
export interface ActorSpec<M extends AnyStateMachine, T extends string = InboundOf<M>['type']> {
  /** Actor kind, e.g. `'snapshotter'` (spawned instances get their own ids). */
  name: string
  /** Builds the pure machine from the env (clock, random, log, send, reply, compute). */
  machine: (env: ActorEnv) => M
  /**
   * Message types the actor accepts; anything else is rejected with ERR_ACTOR_UNKNOWN_MESSAGE.
   * Defaults to every event type the machine names (`machine.events`), minus `runtime.*`.
   * The list narrows the refs' `send`/`ask` types to these messages (internal events of the
   * machine that are left out cannot be sent from outside, at compile time and at run time).
   */
  accepts?: readonly T[]
  /**
   * Payload check run before delivery; return a reason string to reject the message with
   * ERR_ACTOR_INVALID_MESSAGE (counted; an `ask` rejects), or undefined to accept it.
   */
  validate?: (msg: NoInfer<AcceptedOf<M, T>>) => string | undefined
  /**
   * The thread entry for the worker placement: `new URL('./worker.ts', import.meta.url)`. A `.ts`
   * URL is loaded through tsx in source mode and swapped for the `.js` sibling in the built output.
   */
  worker?: URL
  /**
   * Opt in to persisted snapshots, restored by the supervisor after a crash. `immutable: true`
   * when the machine never changes its context in place: the record is then kept without a copy.
   */
  persist?: PersistOptions
  /**
   * Opt in to coalesced delivery: consecutive messages of `types` (never asks) that arrive in one
   * delivery (a link batch, an inline drain) reach the machine as ONE event, `into(messages)`, in
   * the order received; runs are at most `max` messages (default 1024). `into` must be pure (it
   * runs in the actor's thread, in either placement) and return an event the machine takes; a
   * throwing `into` crashes the actor (ERR_ACTOR_COALESCE_FAILED). Counts stay per message.
   */
  coalesce?: CoalesceOptions
  /** Mailbox defaults for this actor (spawn options override). */
  mailbox?: Partial<MailboxOptions>
  /** Supervision defaults for this actor (spawn options override). */
  supervision?: Partial<SupervisionOptions>
  /**
   * Reads how the exit work ended from the machine's context once it stopped (pure). An unclean
   * answer makes `system.shutdown()` report `clean: false` with it under `exits[id]`.
   */
  exitReport?: (context: ContextOf<M>) => ActorExitReport | undefined
}

declare const inboundBrand: unique symbol

/** A declared actor: machine M, accepting the messages TIn (a subset of M's events). */
export interface ActorDefinition<M extends AnyStateMachine, TIn extends Message = InboundOf<M>>
  extends Readonly<Omit<ActorSpec<M>, 'accepts' | 'validate' | 'coalesce'>> {
  readonly kind: 'gossamer.actor-definition'
  readonly accepts?: readonly TIn['type'][]
  /** Method syntax: a definition of fewer messages still passes where a wider one is expected. */
  validate?(msg: TIn): string | undefined
  /** Validated `coalesce` options (`max` filled in). */
  readonly coalesce?: Readonly<Required<CoalesceOptions>>
  /** Type-only: carries the accepted messages to `spawn`, so the ref is typed by them. */
  readonly [inboundBrand]?: TIn
}

/**
 * Declares an actor. Types flow from the machine: `ref.send` accepts exactly the machine's events
 * (minus `runtime.*`), or only those named in `accepts`; `ref.ask` the ones with a `replyTo`; and
 * `getSnapshot().context` is the machine's context.
 */
export function defineActor<M extends AnyStateMachine, const T extends InboundOf<M>['type'] = InboundOf<M>['type']>(
  spec: ActorSpec<M, T>,
): ActorDefinition<M, AcceptedOf<M, T>> {
  // Checked here, once: a typo in persist (e.g. `imutable`) would otherwise silently copy every turn.
  const def = { ...spec, kind: 'gossamer.actor-definition' as const }
  if (spec.persist !== undefined) def.persist = Object.freeze({ ...validatePersistOptions(spec.persist) })
  if (spec.coalesce !== undefined) (def as { coalesce?: unknown }).coalesce = Object.freeze(validateCoalesceOptions(spec.coalesce, spec.accepts))
  return Object.freeze(def) as unknown as ActorDefinition<M, AcceptedOf<M, T>>
}

/** The definition's machine for `env`, with the placement's implementations provided (once per host, not per restart). */
export function machineFor<M extends AnyStateMachine>(def: ActorDefinition<M>, impl: ActorImplementations<M>, env: ActorEnv): M {
  const machine = def.machine(env)
  return impl.provide === undefined ? machine : (machine.provide(impl.provide(env) as never) as M)
}
