/**
 * The public shapes of the actor system: refs, spawn options, snapshots, stats, system and
 * inspection events, the shutdown report.
 */
import type { LogSink } from '../logging/log-record.ts'
import type { AnyStateMachine, EmittedFrom, StateValue } from 'xstate'
import type { ActorId } from '../types/ids.ts'
import type { ActorAddress, Message, ReplyOf, ReplyTo, SendStatus } from '../types/actor-env.ts'
import type { WireError } from '../errors/cluster-error.ts'
import type { ActorImplementations, ContextOf, InboundOf, InputOf } from './define-actor.ts'
import type { MailboxOptions, SupervisionOptions, WorkerLimits } from './options.ts'
import type { SnapshotStore } from './persist-options.ts'
import type { SimulatedClock } from './simulated-clock.ts'

/** Where an actor runs: its own worker thread (production default) or the system's thread. */
export type Placement = 'worker' | 'inline'

export interface SpawnOptions<M extends AnyStateMachine> extends ActorImplementations<M> {
  /** Unique within the system; how other actors address it. */
  id: string
  /** The machine's input (structured-cloneable for the worker placement). */
  input?: InputOf<M>
  /** Default `'worker'`. */
  placement?: Placement
  /** Ids this actor sends to: at shutdown it is drained and stopped before them. */
  dependsOn?: readonly string[]
  mailbox?: Partial<MailboxOptions>
  supervision?: Partial<SupervisionOptions>
  /** This actor's thread's heap caps over the system's `workerLimits` (worker placement only). */
  workerLimits?: Partial<WorkerLimits>
}

/** Request message types of a protocol (those with a `replyTo`). */
export type AskableType<TIn extends Message> = Extract<TIn, { replyTo?: ReplyTo<unknown> }>['type']
/** The body of an ask: the request without its `replyTo` (the runtime fills it in). */
export type AskBody<TIn extends Message, T extends string> = Omit<Extract<TIn, { type: T }>, 'replyTo'>

export interface AskOptions {
  /** Default 5000 ms. Rejects with ERR_ACTOR_ASK_TIMEOUT. */
  timeoutMs?: number
  /** Rejects with ERR_ACTOR_ASK_ABORTED when aborted. */
  signal?: AbortSignal
}

/** A plain digest of an actor's XState snapshot (identical in both placements). */
export interface ActorSnapshot<TContext = unknown> {
  status: 'active' | 'done' | 'error' | 'stopped'
  value: StateValue
  context: TContext
}

/** Counters of one actor, as seen by the system thread (all monotonic except the depths). */
export interface ActorStats {
  id: string
  placement: Placement
  status: 'starting' | 'running' | 'restarting' | 'stopped' | 'escalated'
  /** Messages handed to the machine. */
  handled: number
  /** Dropped by drop-oldest. */
  dropped: number
  /** Refused: reject policy, backpressure ceiling, stopped/shut-down target. */
  rejected: number
  /** Unknown type or failed validation. */
  invalid: number
  /** Lost: posted to a worker thread that died before handling them, or still queued when the actor stopped or escalated. */
  lost: number
  restarts: number
  /** Messages queued on the system thread's side and not yet handled. */
  queued: number
  /**
   * Replies to this actor's own asks (env.ask) that arrived after the ask was settled: timed
   * out, aborted, or failed because this actor crashed or restarted. Ignored, counted here.
   */
  lateReplies: number
  /** Emitted events forwarded to subscribers (`ref.on`, `ref.events`), counted on the system thread. */
  events: EventStats
  /** Log lines of this actor's thread dropped over the system log sink's per-second bound (`logLinesPerSecond`). */
  logLinesDropped: number
}

/** The accounting of an actor's emitted events, kept on the system thread (survives restarts). */
export interface EventStats {
  /**
   * Events that reached the system thread. Only subscribed types travel (and, after an
   * unsubscribe, those already on their way), so it stays 0 for an actor nobody listens to.
   */
  delivered: number
  /** Events dropped from full `ref.events` buffers (the oldest first), summed over the iterators. */
  dropped: number
  /** Events that could not be cloned for the trip from the actor's thread (worker placement): not forwarded. */
  uncloneable: number
  /** Calls of `ref.on` handlers that threw (logged; the other handlers still ran). */
  handlerErrors: number
}

/** Lifecycle and accounting events of the system (`system.on(listener)`). */
export type SystemEvent =
  | { type: 'actor.started'; actor: string; placement: Placement; restarts: number; restored: boolean }
  | { type: 'actor.crashed'; actor: string; error: WireError; asksFailed: number; lost: number }
  | { type: 'actor.escalated'; actor: string; error: WireError; restarts: number }
  | { type: 'actor.stopped'; actor: string }
  /** Drops and rejections, coalesced per turn: `count` since the last event of this kind. */
  | { type: 'mailbox.overflow'; actor: string; policy: 'drop-oldest' | 'reject' | 'ceiling'; count: number; total: number }
  | { type: 'message.invalid'; actor: string; error: WireError; messageType: string }
  /** `count`: sends of this type to `to` that this event stands for (a worker thread sums them per turn). */
  | { type: 'message.undeliverable'; to: string; reason: 'unknown' | 'stopped'; messageType: string; count: number }
  | { type: 'system.error'; error: WireError }
  /** An event the actor emitted for a subscriber could not be cloned to the system thread (see EventStats). */
  | { type: 'event.uncloneable'; actor: string; eventType: string; error: WireError }

/** One transition of one actor, as delivered to `system.inspect` listeners. */
export interface InspectionEvent {
  actor: string
  /** The event that was processed. */
  event: string
  /** The state value after processing it. */
  state: StateValue
  /** Actor clock time. */
  at: number
  placement: Placement
  /**
   * Transitions of this actor before this one, in the same turn of its worker thread, that were not
   * reported one by one (a worker reports at most 8 per actor per turn, then only the newest);
   * absent when none were. Inline actors report every transition.
   */
  skipped?: number
}

/**
 * How an actor's exit work ended, as the actor itself reports it (its definition's `exitReport`
 * reads it from the final context; a failing `onStop` gives one too). Counts are of the actor's own
 * units: messages it could not pass on (`undelivered`), records it could not write (`unwritten`).
 */
export interface ActorExitReport {
  /** False when the exit work left something undone. */
  clean: boolean
  /** Why, in a few words (e.g. 'records left unwritten'). */
  reason?: string
  /** Messages the actor held and could not deliver. */
  undelivered?: number
  /** Records the actor accepted and did not make durable. */
  unwritten?: number
  /** The error that made the exit unclean, as a coded plain object. */
  error?: WireError
  /** Resources (`env.resources`) whose release failed when the actor stopped for good. */
  releaseFailures?: { key: string; error: WireError }[]
}

export interface ShutdownReport {
  /**
   * True when every mailbox drained, every actor stopped within the timeout, and no actor
   * reported an unclean exit (see `exits`).
   */
  clean: boolean
  /** Actors stopped, in the order they were stopped. */
  stopped: string[]
  /** The actor that was still busy at the timeout. */
  hung?: string
  /** Messages not handled (queued or in flight) when the timeout hit, per actor, and their sum. */
  undelivered: Record<string, number>
  undeliveredTotal: number
  /** The actors that reported an unclean exit, with their reasons and counts. */
  exits: Record<string, ActorExitReport>
  elapsedMs: number
}

export type Unsubscribe = () => void

/** The events machine M emits (XState `emit`). */
export type EmittedOf<M extends AnyStateMachine> = EmittedFrom<M> & { type: string }

/** Options of `ref.events(...)`. */
export interface EventStreamOptions {
  /** Ends the iteration when aborted (the iterator returns; no error). */
  signal?: AbortSignal
  /**
   * Events buffered for a consumer slower than the actor (default 1024). When full, the oldest
   * is dropped and counted (the iterator's `dropped`, the actor's `stats().events.dropped`).
   */
  bufferSize?: number
}

/**
 * An async iterator over an actor's emitted events. It ends (returns) when the actor stops or
 * escalates, when the signal aborts, or when the consumer breaks out of its loop.
 */
export interface EventStream<E> extends AsyncIterableIterator<E> {
  /** Events this iterator dropped because its buffer was full (the oldest first). */
  readonly dropped: number
  /** Events waiting in the buffer. */
  readonly buffered: number
}

/**
 * A typed handle on a spawned actor; the same in both placements. `TIn` is what the actor accepts:
 * its machine's events, narrowed by the definition's `accepts` list (`spawn` fills it in).
 */
export interface ActorRef<M extends AnyStateMachine, TIn extends Message = InboundOf<M>> {
  readonly id: ActorAddress<TIn> & ActorId
  readonly placement: Placement
  /** Tells the actor; never throws (see SendStatus; drops are counted). */
  send(msg: TIn): SendStatus
  /** Request/reply with a correlation id; rejects with a coded error (timeout, abort, crash, invalid...). */
  ask<T extends AskableType<TIn>>(msg: AskBody<TIn, T> & { type: T }, options?: AskOptions): Promise<ReplyOf<Extract<TIn, { type: T }>>>
  /** Snapshot digests after each processing turn while subscribed (the latest per turn). */
  subscribe(listener: (snapshot: ActorSnapshot<ContextOf<M>>) => void): Unsubscribe
  /** The actor's current snapshot, after what was sent before this call has been handled. */
  getSnapshot(): Promise<ActorSnapshot<ContextOf<M>>>
  /** Resolves when the mailbox is below its bound again (immediately if it is). */
  ready(): Promise<void>
  /** Counters (for a worker actor, fetched from its thread). */
  stats(): Promise<ActorStats>
  /** Drains and stops this actor (runs its exit work). */
  stop(): Promise<void>
  /**
   * Calls `handler` with each event the actor's machine emits (XState `emit`) of this type (`'*'`:
   * every type), from either placement, until the returned function is called. Forwarding starts
   * in order with the messages sent after this call (`await system.sync()` waits for it) and
   * outlives restarts. A handler that throws is counted (`stats().events.handlerErrors`) and logged.
   * Events from a worker are copies (structured clone, taken when emitted) and arrive in emit
   * order, but on their own channel: a reply to a later ask may arrive first. Inline events are
   * passed by reference, synchronously.
   */
  on<T extends EmittedOf<M>['type'] | '*'>(type: T, handler: (event: T extends '*' ? EmittedOf<M> : Extract<EmittedOf<M>, { type: T }>) => void): Unsubscribe
  /**
   * An async iterator over the emitted events of these types (default: every type), bounded by
   * `bufferSize` (the oldest dropped and counted when full). It ends when the actor stops.
   */
  events<T extends EmittedOf<M>['type']>(types?: T | readonly T[], options?: EventStreamOptions): EventStream<Extract<EmittedOf<M>, { type: T }>>
}

export interface SystemOptions {
  /** Node name for log bindings. */
  node?: string
  /** `'real'` (default) or a SimulatedClock that drives inline actors deterministically. */
  clock?: 'real' | SimulatedClock
  /** Seed of the random sources (default 1). Each actor gets a stream derived from seed and id. */
  seed?: number
  /** pino level for every thread's root logger (default from GOSSAMER_LOG_LEVEL, else 'info'). */
  logLevel?: string
  /**
   * Where every log line of the system goes instead of fd 1: the lines of every actor (inline and
   * in worker threads) and of the runtime itself, parsed, on the system thread, in order per actor.
   * The level filter applies in each thread before a line is formatted or crosses a thread. A
   * worker sends at most `logLinesPerSecond` lines per second; past that its lines are dropped,
   * counted in the actor's `stats().logLinesDropped`, and the sink gets one warn record saying how
   * many. A sink that throws loses that record only (counted in `system.logSinkErrors`).
   * Default: none (each thread writes pino's JSON lines to fd 1 itself).
   */
  logSink?: LogSink
  /** The per-worker bound of `logSink` (lines per second per actor, default 1000). */
  logLinesPerSecond?: number
  mailbox?: Partial<MailboxOptions>
  supervision?: Partial<SupervisionOptions>
  /**
   * Compute pool; `false` disables it. Default: piscina with 1 thread, created on first use, its
   * threads at nice +10 (`nice`, 0-19: added to their scheduling priority on Linux, so an actor's
   * thread woken while the pool computes runs at once; 0 leaves them as they are).
   */
  compute?: false | { maxThreads?: number; idleTimeoutMs?: number; nice?: number }
  /** Where persisted snapshots live (default in memory). */
  snapshotStore?: SnapshotStore
  /** Default ask timeout in ms (5000). */
  askTimeoutMs?: number
  /** V8 heap caps of every actor worker thread, MiB (default young 16, old 256; see WorkerLimits). */
  workerLimits?: Partial<WorkerLimits>
  /**
   * A folder where the actors' threads keep V8's compiled code between starts (code-cache/): used
   * when the actors run from the build's bundles (dist/actors/<name>/worker.cjs), not from source.
   * Created 0700; not used unless owned by this user and writable by nobody else. Default: none.
   */
  codeCache?: string
}

export interface ShutdownOptions {
  /** Total time to drain and stop everything, default 5000 ms; then workers are terminated. */
  drainTimeoutMs?: number
}
