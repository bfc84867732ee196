/**
 * Runtime options with their defaults and reasons: mailboxes, supervision, worker heap caps and
 * ActorSystem.start's options. Durations are in ms (`Ms` suffix). Each group has
 * `createX(init)` (defaults spread under the init) and `validateX(config)`. An actor's `persist`
 * options are in persist-options.ts, an event stream's in event-stream-options.ts.
 */
import { InvalidConfigError } from '../errors/cluster-error.ts'
import { knownFieldsOnly } from '../config/fields.ts'
import { checkInt, checkNumber, checkOneOf, checkString, TIMER_MAX_MS } from '../config/values.ts'
import { resolveLogLevel } from '../logging/levels.ts'
import type { SystemOptions } from './types.ts'

// Importers outside the runtime (tests, benches) take the snapshot store's names from here too.
export { memorySnapshotStore, verifyImmutableFromEnv, type PersistedRecord, type SnapshotStore } from './persist-options.ts'

/**
 * What happens when a message arrives at a full mailbox.
 * - `backpressure`: accept it anyway and tell the sender to slow down (`send` returns
 *   `'backpressure'`, `ref.ready()` waits for room); nothing is lost up to a hard ceiling of
 *   `capacity * backpressureCeiling`, beyond which messages are rejected and counted. An ask
 *   below the ceiling waits its turn (its timeout bounds the wait); at the ceiling it fails.
 * - `drop-oldest`: accept it and drop the oldest queued message (counted exactly; replies and
 *   runtime items queued in front are passed over). A request that is dropped fails its ask at
 *   once with ERR_ACTOR_MAILBOX_FULL rather than leaving it to time out.
 * - `reject`: refuse it (`send` returns `'rejected'`, an `ask` rejects with ERR_ACTOR_MAILBOX_FULL).
 * The same holds for ActorRef.ask and env.ask, from any placement to any placement.
 */
export type OverflowPolicy = 'backpressure' | 'drop-oldest' | 'reject'

export interface MailboxOptions {
  /** Messages queued but not yet handled, per sending thread. Default 2048: a few ms of work at ~300k ev/s, a few hundred KiB of small messages. */
  capacity: number
  /** Default `backpressure`: membership traffic must not be lost silently; senders get the signal. */
  overflow: OverflowPolicy
  /** Backpressure hard ceiling as a multiple of capacity (default 4), so a sender that ignores the signal cannot grow memory without bound. */
  backpressureCeiling: number
}

export const DEFAULT_MAILBOX: Readonly<MailboxOptions> = Object.freeze({
  capacity: 2048,
  overflow: 'backpressure',
  backpressureCeiling: 4,
})

const MAILBOX_FIELDS: ReadonlySet<string> = new Set(Object.keys(DEFAULT_MAILBOX))

/** The defaults with `init` spread over them; `init` must be a plain object of known fields. */
export function createMailboxOptions(init: Partial<MailboxOptions> = {}): MailboxOptions {
  const config = { ...DEFAULT_MAILBOX, ...stripUndefined(knownFieldsOnly('mailbox', init, MAILBOX_FIELDS) as Partial<MailboxOptions>) }
  validateMailboxOptions(config)
  return config
}

export function validateMailboxOptions(c: MailboxOptions): void {
  // 2^24 messages per sender is far past any memory budget; a larger bound is a typo.
  checkInt('mailbox.capacity', c.capacity, 1, 1 << 24)
  checkOneOf('mailbox.overflow', c.overflow, ['backpressure', 'drop-oldest', 'reject'])
  checkNumber('mailbox.backpressureCeiling', c.backpressureCeiling, { min: 1, max: 1024 })
}

/** One-for-one restart policy: at most `maxRestarts` within `windowMs`, then escalate. */
export interface SupervisionOptions {
  /** Default 3 (Erlang/OTP's intensity default is 1 per 5 s; membership actors deserve a few tries). */
  maxRestarts: number
  /** Default 10 s: restarts older than this no longer count toward maxRestarts. */
  windowMs: number
  /** First restart delay, default 50 ms: long enough not to spin on a crash loop, short enough that peers do not notice. */
  backoffMs: number
  /** Each further restart within the window waits backoffFactor times longer (default 2). */
  backoffFactor: number
  /** Upper bound of a restart delay, default 2 s. */
  maxBackoffMs: number
}

export const DEFAULT_SUPERVISION: Readonly<SupervisionOptions> = Object.freeze({
  maxRestarts: 3,
  windowMs: 10_000,
  backoffMs: 50,
  backoffFactor: 2,
  maxBackoffMs: 2_000,
})

const SUPERVISION_FIELDS: ReadonlySet<string> = new Set(Object.keys(DEFAULT_SUPERVISION))

/** The defaults with `init` spread over them; `init` must be a plain object of known fields. */
export function createSupervisionOptions(init: Partial<SupervisionOptions> = {}): SupervisionOptions {
  const config = { ...DEFAULT_SUPERVISION, ...stripUndefined(knownFieldsOnly('supervision', init, SUPERVISION_FIELDS) as Partial<SupervisionOptions>) }
  validateSupervisionOptions(config)
  return config
}

export function validateSupervisionOptions(c: SupervisionOptions): void {
  checkInt('supervision.maxRestarts', c.maxRestarts, 0)
  checkNumber('supervision.windowMs', c.windowMs, { min: 0, exclusiveMin: true, unit: 'ms' })
  // Restart delays are timers: at most TIMER_MAX_MS.
  checkNumber('supervision.backoffMs', c.backoffMs, { min: 0, max: TIMER_MAX_MS, unit: 'ms' })
  checkNumber('supervision.backoffFactor', c.backoffFactor, { min: 1 })
  checkNumber('supervision.maxBackoffMs', c.maxBackoffMs, { min: 0, max: TIMER_MAX_MS, unit: 'ms' })
  if (c.maxBackoffMs < c.backoffMs) {
    throw new InvalidConfigError('supervision.maxBackoffMs', `must be >= supervision.backoffMs (${c.backoffMs})`, { got: c.maxBackoffMs })
  }
}

/**
 * V8 heap caps of each actor's worker thread (Node's `resourceLimits`), in MiB. Actors hold small
 * state (a member table, bounded queues) and churn short-lived messages, so V8's defaults (a young
 * generation that grows to ~48 MiB per isolate under load, an old generation sized from the
 * machine's RAM) cost memory and bound nothing. A thread that passes its old-generation cap dies
 * with ERR_WORKER_OUT_OF_MEMORY and is restarted under supervision like any other thread death.
 */
export interface WorkerLimits {
  /**
   * Default 32: V8 splits it into two ~10 MiB semi-spaces plus room for large new objects, where
   * its default lets each busy isolate grow to 16 MiB semi-spaces (48 MiB of young generation; a
   * flooded node peaked at 344-381 MB RSS; with 16 and the old-generation cap, 250-261 MB; with
   * 32, 293 MB). Only a busy thread grows its semi-spaces: an idle node's RSS is the same with 16
   * or 32 (`scripts/idle-node-rss.ts`: 134-196 MB either way, within its noise).
   * Why not 16 (the default before): a thread that handles round trips at full rate reaches a
   * 16 MiB cap's semi-space, and at that size V8's allocation-site pretenuring starts tenuring
   * short-lived objects (which sites, a release build does not say; a sampling heap profile of
   * the thread shows most of what it allocates is XState's per-event sets and snapshots): they
   * are then allocated in the old generation, every scavenge grows it by ~0.6 MB and takes
   * 1.2-4 ms instead of 0.25 ms, and a mark-compact follows every ~10 scavenges. `node --trace-gc` on `npx tsx
   * bench/runtime/focus.ts roundtrip` (3 s) showed it in 5 of 6 runs at 16 (9-13 mark-compacts in
   * the actor's thread) and in the one run at 24, in none of 4 at 32 or 48 (1 mark-compact), nor
   * at 16 with --no-allocation-site-pretenuring: about 18.5 CPU µs per round trip at 16, 15.0 at 32.
   * Lower caps trade CPU for memory (6: ~200 MB peak under npm run fuzz:node, datagrams 10-25%
   * slower). Raise both to trade the memory back.
   */
  maxYoungGenerationSizeMb: number
  /**
   * Default 256: ten times a 10,000-member table with its queues, so only a runaway actor reaches
   * it, and that actor's thread restarts instead of the whole process growing until the OS kills it.
   * V8 also grows a smaller heap more sparingly between full collections (its growing factor
   * scales with this cap), which keeps an actor's old generation close to its live data.
   */
  maxOldGenerationSizeMb: number
}

export const DEFAULT_WORKER_LIMITS: Readonly<WorkerLimits> = Object.freeze({
  maxYoungGenerationSizeMb: 32,
  maxOldGenerationSizeMb: 256,
})

const WORKER_LIMIT_FIELDS: ReadonlySet<string> = new Set(Object.keys(DEFAULT_WORKER_LIMITS))

/** The defaults with `init` spread over them; `init` must be a plain object of known fields. */
export function createWorkerLimits(init: Partial<WorkerLimits> = {}, field = 'workerLimits'): WorkerLimits {
  const config = { ...DEFAULT_WORKER_LIMITS, ...stripUndefined(knownFieldsOnly(field, init, WORKER_LIMIT_FIELDS) as Partial<WorkerLimits>) }
  validateWorkerLimits(config, field)
  return config
}

export function validateWorkerLimits(c: WorkerLimits, field = 'workerLimits'): void {
  // Below 1 MiB V8 cannot hold a young generation's two semi-spaces; above 1 GiB is a typo for an actor.
  checkInt(`${field}.maxYoungGenerationSizeMb`, c.maxYoungGenerationSizeMb, 1, 1024, 'MiB')
  // A worker needs ~10 MiB of old generation to load the runtime, xstate and pino; 64 GiB is past any machine we run on.
  checkInt(`${field}.maxOldGenerationSizeMb`, c.maxOldGenerationSizeMb, 16, 65_536, 'MiB')
}

/** Every key ActorSystem.start takes (a Record, so the compiler keeps it in step with SystemOptions). */
const SYSTEM_FIELDS: Record<keyof SystemOptions, true> = {
  node: true,
  clock: true,
  seed: true,
  logLevel: true,
  mailbox: true,
  supervision: true,
  compute: true,
  snapshotStore: true,
  askTimeoutMs: true,
  workerLimits: true,
  logSink: true,
  logLinesPerSecond: true,
  codeCache: true,
}
const COMPUTE_FIELDS = ['maxThreads', 'idleTimeoutMs', 'nice'] as const

/**
 * Checks ActorSystem.start's options before anything is built: a plain object of known fields, each
 * of the right type and range (`mailbox` and `supervision` are checked by their own create), the
 * log level one of pino's. Throws InvalidConfigError naming `system.<field>`; returns the options.
 */
export function validateSystemOptions(options: unknown): SystemOptions {
  const o = knownFieldsOnly('system', options, Object.keys(SYSTEM_FIELDS)) as SystemOptions
  if (o.node !== undefined) checkString('system.node', o.node)
  if (o.clock !== undefined && o.clock !== 'real' && !hasMethods(o.clock, ['now', 'setTimeout', 'clearTimeout'])) {
    throw new InvalidConfigError('system.clock', "must be 'real' or a SimulatedClock", { got: o.clock })
  }
  // Any safe integer: the random sources take it modulo 2^32.
  if (o.seed !== undefined) checkInt('system.seed', o.seed, Number.MIN_SAFE_INTEGER)
  if (o.logLevel !== undefined) resolveLogLevel(o.logLevel, 'system.logLevel')
  if (o.logSink !== undefined && typeof o.logSink !== 'function') throw new InvalidConfigError('system.logSink', 'must be a function (record) => void', { got: o.logSink })
  // A million lines per second per actor is past what a sink can take; more is a typo.
  if (o.logLinesPerSecond !== undefined) checkInt('system.logLinesPerSecond', o.logLinesPerSecond, 1, 1_000_000)
  if (o.compute !== undefined && o.compute !== false) {
    const c = knownFieldsOnly('system.compute', o.compute, COMPUTE_FIELDS) as { maxThreads?: unknown; idleTimeoutMs?: unknown; nice?: unknown }
    // Compute threads share the machine's cores with the actors: more than 256 is a typo.
    if (c.maxThreads !== undefined) checkInt('system.compute.maxThreads', c.maxThreads, 1, 256)
    if (c.idleTimeoutMs !== undefined) checkInt('system.compute.idleTimeoutMs', c.idleTimeoutMs, 0, TIMER_MAX_MS, 'ms')
    // A nice value is 0 (normal) to 19 (lowest) on Linux: past 19 is a typo.
    if (c.nice !== undefined) checkInt('system.compute.nice', c.nice, 0, 19)
  }
  if (o.snapshotStore !== undefined && !hasMethods(o.snapshotStore, ['load', 'save', 'delete'])) {
    throw new InvalidConfigError('system.snapshotStore', 'must be a SnapshotStore (load, save and delete)', { got: o.snapshotStore })
  }
  // Every ask without its own timeout gets this one, as a timer on the system clock.
  if (o.askTimeoutMs !== undefined) checkNumber('system.askTimeoutMs', o.askTimeoutMs, { min: 0, exclusiveMin: true, max: TIMER_MAX_MS, unit: 'ms' })
  // Checked here so the error names system.workerLimits; SystemCore then builds them with the defaults.
  if (o.workerLimits !== undefined) createWorkerLimits(o.workerLimits, 'system.workerLimits')
  if (o.codeCache !== undefined) checkString('system.codeCache', o.codeCache, { nonEmpty: true })
  return o
}

function hasMethods(value: unknown, names: readonly string[]): boolean {
  return typeof value === 'object' && value !== null && names.every((n) => typeof (value as Record<string, unknown>)[n] === 'function')
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {}
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] !== undefined) out[k] = o[k]
  return out
}
