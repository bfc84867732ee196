/**
 * What a machine sees of the runtime. These are pure types and tiny pure helpers, so
 * `actors/<name>/machine.ts` may import them without touching threads, sockets or pino: the
 * runtime (inline or in a worker) builds the `ActorEnv` and hands it to the definition's machine
 * factory; a simulator can build its own.
 */
import type { ActorId } from './ids.ts'
import type { ActorClock } from './time.ts'
import type { RandomSource } from './random.ts'
import type { WireError } from '../errors/cluster-error.ts'
import type { ResourceSlots } from './resource-slots.ts'

/** Every message between actors is a plain object with a string `type` (a discriminated union). */
export interface Message {
  type: string
}

declare const replyBrand: unique symbol
/**
 * Where a reply goes. `ask` puts one in the request's `replyTo` field; the receiving machine answers
 * with `env.reply(event.replyTo, value)`, now or later, and may forward it to another actor that
 * answers instead. Plain data: survives structured clone.
 */
export interface ReplyTo<R> {
  /** The endpoint that waits: an actor id, or `'$main'` for the system's own thread. */
  readonly to: string
  /** Correlation id, unique per waiting endpoint. */
  readonly cid: number
  readonly [replyBrand]?: R
}

/** A request message: one that can be `ask`ed. Its reply type is R. */
export interface Request<R> {
  replyTo?: ReplyTo<R>
}

/** The reply type of a request message type. */
export type ReplyOf<M> = M extends { replyTo?: ReplyTo<infer R> } ? R : never

declare const addressBrand: unique symbol
/** An actor id that also names the protocol the actor accepts, so `env.send` is type-checked. */
export type ActorAddress<M extends Message> = ActorId & { readonly [addressBrand]?: M }

/** Names an actor and its protocol: `const gossip = actorAddress<GossipQueueInbound>('gossip-queue')`. */
export function actorAddress<M extends Message>(id: string): ActorAddress<M> {
  return id as ActorAddress<M>
}

/**
 * What `send` did with a message.
 * - `ok`: accepted within the mailbox bound.
 * - `backpressure`: accepted, but the mailbox is at or over its bound (policy `backpressure`): the
 *   sender should slow down (`ref.ready()` resolves when there is room again). Nothing is lost.
 * - `displaced`: accepted; the oldest queued message was dropped and counted (policy `drop-oldest`).
 * - `rejected`: not accepted, counted (policy `reject`, or the backpressure hard ceiling).
 * - `stopped`: the actor is stopped, escalated or the system is shutting down; counted.
 * - `unknown`: no actor with that id; counted on the system.
 */
export type SendStatus = 'ok' | 'backpressure' | 'displaced' | 'rejected' | 'stopped' | 'unknown'

/** Events the runtime itself delivers to a machine. Machines may handle them; none is required. */
export type RuntimeEvent =
  /**
   * Sent once right after the actor was restored from a persisted snapshot (supervised restart).
   * XState does not re-arm `after` timers on restore: a machine with timers handles this event by
   * re-entering its timed state (`reenter: true`) or by rescheduling from deadlines in its context.
   */
  | { type: 'runtime.restored'; at: number; restarts: number }
  /**
   * Sent during `system.shutdown` after the mailbox is drained, if the machine can take it
   * (`snapshot.can`). The machine does its exit work (e.g. a final flush) and reaches a final
   * state; the runtime waits for that (up to the drain timeout) before stopping it.
   */
  | { type: 'runtime.shutdown' }

export const RESTORED = 'runtime.restored' as const
export const SHUTDOWN = 'runtime.shutdown' as const

/** A logger port: the subset of pino a machine may call. Bindings `{ node, actor }` are preset. */
export interface LogPort {
  trace(obj: object, msg?: string): void
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
  isLevelEnabled(level: string): boolean
}

declare const taskBrand: unique symbol
/**
 * A stateless CPU-heavy function that runs on the compute pool: the module at `module` (a file URL
 * href, `.ts` in source mode) exports a function named `name` taking I and returning O (or a promise).
 */
export interface ComputeTask<I, O> {
  readonly module: string
  readonly name: string
  readonly [taskBrand]?: (input: I) => O
}

/** Names a compute task: `computeTask<In, Out>(new URL('./compact.ts', import.meta.url), 'compact')`. */
export function computeTask<I, O>(module: URL | string, name: string): ComputeTask<I, O> {
  return { module: typeof module === 'string' ? module : module.href, name }
}

/** Hands CPU-heavy stateless work to the system's piscina pool (hops through the main thread). */
export interface ComputePort {
  run<I, O>(task: ComputeTask<I, O>, input: I, options?: { signal?: AbortSignal }): Promise<O>
}

/** Options of `env.ask`. */
export interface EnvAskOptions {
  /** How long to wait for the reply, in ms on the asking actor's clock. */
  timeoutMs: number
  /** Aborts the ask (rejects with ERR_ASK_ABORTED); a late reply is ignored. */
  signal?: AbortSignal
}

/**
 * The per-actor context the runtime gives a definition's machine factory. Everything impure an
 * actor may need arrives here; the machine closes over it in its actions, guards and delays.
 */
export interface ActorEnv {
  /** This actor's id. */
  readonly id: ActorId
  /** The node this actor belongs to (logger binding; `''` when not set). */
  readonly node: string
  /** Time: `clock.now()` and the clock behind `after` delays (simulated in simulations). */
  readonly clock: ActorClock
  /** Seeded randomness, one stream per actor (derived from the system seed and the actor id). */
  readonly random: RandomSource
  /** A pino child logger with `{ node, actor }` bindings. */
  readonly log: LogPort
  /** The compute pool. Rejects with ERR_COMPUTE_DISABLED when the system runs without one. */
  readonly compute: ComputePort
  /** Tells another actor (by id), wherever it is placed. Never throws; see SendStatus. */
  send<M extends Message>(to: ActorAddress<M>, msg: M): SendStatus
  /**
   * Resolves when the mailbox toward `to` has room again (after a `'backpressure'` send); at once
   * if it has room or `to` is unknown. For I/O code and drivers; a machine reacts to events instead.
   * Optional so hand-built envs in tests need not provide it; the runtime's envs always do.
   */
  whenReady?(to: ActorAddress<Message> | string): Promise<void>
  /**
   * Asks another actor (wherever either is placed) and resolves with its reply. The request gets
   * a `replyTo` token addressed to this actor. The timeout runs on this actor's clock (virtual
   * time under a SimulatedClock). Never hangs past the timeout, and never rejects without a code:
   * - ERR_ACTOR_ASK_TIMEOUT, ERR_ACTOR_ASK_ABORTED: no reply in time / the signal fired;
   * - ERR_ACTOR_UNKNOWN, ERR_ACTOR_STOPPED: no such actor, or it is stopped or escalated (what a
   *   tell reports as `unknown` / `stopped`), also when it stops while the ask waits;
   * - ERR_ACTOR_CRASHED: the target crashed while the ask waited (its restart does not answer);
   * - ERR_ACTOR_MAILBOX_FULL: the target's mailbox refused the request (policy `reject`, or the
   *   `backpressure` ceiling), or the request was queued and then displaced by a newer message
   *   (policy `drop-oldest`): counted as a rejection / drop like any message, and failed at once
   *   instead of left to time out. Under `backpressure` below the ceiling the request waits its
   *   turn; the timeout bounds the wait;
   * - the target's own coded error (`env.fail`), or ERR_ACTOR_INVALID_MESSAGE and friends.
   * When this actor crashes, restarts or stops, its pending asks fail with ERR_ACTOR_STOPPED and
   * their timers are dropped; a reply that arrives later (or for an ask that already timed out
   * or was aborted) is counted in the asker's `lateReplies` and otherwise ignored: it never
   * reaches the restarted machine.
   */
  ask<M extends Message>(to: ActorAddress<M>, msg: M, options: EnvAskOptions): Promise<ReplyOf<M>>
  /** Answers a request. A missing token (a plain `send` of a request) is a no-op. */
  reply<R>(to: ReplyTo<R> | undefined, value: R): void
  /** Answers a request with a coded error; the asker's promise rejects with it. */
  fail(to: ReplyTo<unknown> | undefined, error: WireError): void
  /**
   * The actor's resource slots (sockets, file handles), owned by its placement: for `provide(env)`
   * implementations, never for the machine's context. Optional so hand-built envs in tests need not
   * provide it; the runtime's envs always do.
   */
  readonly resources?: ResourceSlots
}
