/**
 * The Gossamer actor runtime: XState v5 machines as actors, each in its own worker thread or inline
 * on the system's thread, with the same observable behaviour in both placements.
 *
 * An actor lives in `actors/<name>/`:
 * - `protocol.ts`   the messages it accepts and emits (discriminated unions on `type`);
 * - `machine.ts`    `create<Name>Machine(env: ActorEnv)`: pure; time from `env.clock`, randomness
 *                   from `env.random`, outbound messages through `env.send` / `env.reply`;
 *                   I/O only through named XState actors/actions that the placement provides;
 * - `definition.ts` `defineActor({ name, machine, worker: new URL('./worker.ts', import.meta.url) })`;
 *                   an `accepts: [...]` list (literals, or an array typed `readonly In['type'][]`)
 *                   keeps the machine's internal events out: refs then type `send`/`ask` by it;
 * - `worker.ts`     `hostActor(definition, { provide: (env) => realIo })`: the thread entry.
 *
 * @example
 * ```ts
 * import { ActorSystem } from '../src/runtime/index.ts'
 * import { counter } from '../test/fixtures/actors/counter/definition.ts'
 *
 * const system = await ActorSystem.start({ node: 'n1' })
 * const a = await system.spawn(counter, { id: 'a', input: { step: 1 } })            // worker thread
 * const b = await system.spawn(counter, { id: 'b', placement: 'inline', input: { step: 2 } })
 * a.send({ type: 'counter.inc', by: 5 })                 // type-checked against counter's protocol
 * a.send({ type: 'counter.forward', to: b.id, by: 1 })   // a tells b directly (its own port pair)
 * const { n } = await a.ask({ type: 'counter.get' }, { timeoutMs: 1000 })   // n === 5
 * const stop = system.inspect((e) => console.log(e.actor, e.event, e.state, e.at))
 * stop()
 * const report = await system.shutdown({ drainTimeoutMs: 2000 })  // { clean: true, ... }
 * ```
 *
 * Simulation: `ActorSystem.start({ clock: new SimulatedClock(), seed: 7 })`, spawn inline with
 * `provide` fakes, then `await clock.advance(minutes(10))` steps timer by timer.
 *
 * Semantics worth knowing:
 * - Mailboxes are per sending thread: messages wait in a ring on the sender's side (bounded by
 *   `capacity`, overflow policy applied there) and at most another `capacity` are in flight.
 *   Inline actors have one ring on the system thread.
 * - Order is kept per path (sender thread -> receiver). Messages from two threads (the system
 *   thread and a worker peer) to the same actor have no order between them.
 * - A machine crash is restarted in its own thread; a dying thread is restarted by the system.
 *   Either way asks in flight to that actor fail with ERR_ACTOR_CRASHED, the last persisted
 *   snapshot (actors with `persist`) is restored, and `runtime.restored` is sent.
 * - Inspection and subscriptions switch on in order with later messages from the system thread;
 *   `await system.sync()` waits until every actor has seen the switch. Worker inspection events
 *   arrive one event-loop turn after the transition.
 * - A SimulatedClock drives inline actors only; worker actors run on the real clock.
 * - Nothing is dropped uncounted: overflow (`mailbox.overflow`, stats dropped/rejected), sends to
 *   unknown or stopped actors from any thread (`message.undeliverable` with a count,
 *   `system.refused`), messages lost with a dead thread or left queued at stop (stats `lost`).
 * - Emitted events (XState `emit`): `ref.on(type | '*', handler)` and `ref.events(types?, { signal,
 *   bufferSize })` subscribe from the system thread, whatever the placement. An actor forwards only
 *   the types somebody subscribed to (nothing, and no cloning, while nobody does), switched in
 *   order with the messages like inspection; subscriptions outlive restarts. A stream holds at most
 *   `bufferSize` events (default 1024): the oldest is dropped and counted (`stream.dropped`,
 *   `stats().events.dropped`); it ends when the actor stops or escalates, or its signal aborts.
 *   An event that cannot be cloned is counted (`events.uncloneable`) and reported
 *   (`event.uncloneable`); a handler that throws is counted (`events.handlerErrors`) and logged.
 * - `env.resources` (sockets, file handles a placement's `provide(env)` opens) are released when
 *   the actor stops for good (stop, shutdown, escalation, a failed start), not on a restart in
 *   place; releases that fail are in the exit report (`exits[id].releaseFailures`).
 * - Only worker placement clones messages: a payload that cannot be cloned is reported
 *   (ERR_ACTOR_INVALID_MESSAGE) for a worker target and passed by reference to an inline one.
 */
export { defineActor } from './define-actor.ts'
export type {
  ActorDefinition,
  ActorSpec,
  ActorImplementations,
  InboundOf,
  AcceptedOf,
  ContextOf,
  InputOf,
  ProvideOf,
} from './define-actor.ts'
export { ActorSystem } from './actor-system.ts'
export { hostActor } from './worker-host.ts'
export { SimulatedClock } from './simulated-clock.ts'
export {
  DEFAULT_MAILBOX,
  DEFAULT_SUPERVISION,
  createMailboxOptions,
  validateMailboxOptions,
  createSupervisionOptions,
  validateSupervisionOptions,
  DEFAULT_WORKER_LIMITS,
  createWorkerLimits,
  validateWorkerLimits,
} from './options.ts'
export { memorySnapshotStore } from './persist-options.ts'
export { DEFAULT_EVENT_BUFFER } from './event-stream-options.ts'
export type { OverflowPolicy, MailboxOptions, SupervisionOptions, WorkerLimits } from './options.ts'
export type { PersistOptions, PersistedRecord, SnapshotStore } from './persist-options.ts'
export type {
  Placement,
  SpawnOptions,
  ActorRef,
  AskOptions,
  AskableType,
  AskBody,
  ActorSnapshot,
  ActorStats,
  SystemEvent,
  InspectionEvent,
  ShutdownReport,
  ActorExitReport,
  ShutdownOptions,
  SystemOptions,
  Unsubscribe,
  EmittedOf,
  EventStats,
  EventStream,
  EventStreamOptions,
} from './types.ts'
// The pure types a machine uses, re-exported for convenience (machines import them from src/types).
export type {
  ActorEnv,
  ActorAddress,
  Message,
  ReplyTo,
  Request,
  ReplyOf,
  SendStatus,
  RuntimeEvent,
  LogPort,
  ComputeTask,
  ComputePort,
  EnvAskOptions,
} from '../types/actor-env.ts'
export { actorAddress, computeTask, RESTORED, SHUTDOWN } from '../types/actor-env.ts'
export type { LogRecord, LogRecordLevel, LogSink } from '../logging/log-record.ts'
export { DEFAULT_LOG_LINES_PER_SECOND } from '../logging/log-batch.ts'
export { createEnv } from './env.ts'
export { createAsk } from './env-ask.ts'
export type { AskParts, AskPort } from './env-ask.ts'
export type { Router } from './env.ts'
export type { ActorClock } from '../types/time.ts'
export type { RandomSource } from '../types/random.ts'
export { createSeededRandom } from '../types/random.ts'
