/**
 * Runtime options with their defaults and reasons. Durations are in ms (`Ms` suffix).
 * Each group has `createX(init)` (defaults spread under the init) and `validateX(config)`.
 */
import { InvalidConfigError } from '../errors/cluster-error.ts'
import { knownFieldsOnly } from '../config/fields.ts'
import { checkBoolean, checkInt, checkNumber, checkOneOf, checkString, TIMER_MAX_MS } from '../config/values.ts'
import { resolveLogLevel } from '../logging/levels.ts'
import type { SystemOptions } from './types.ts'

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
   * Default 16: V8 splits it into two ~5 MiB semi-spaces plus room for large new objects, where
   * its default lets each busy isolate grow to 16 MiB semi-spaces (48 MiB of young generation; a
   * flooded node peaked at 344-381 MB RSS; with 16 and the old-generation cap, 250-261 MB). The
   * caps trade CPU for memory: under npm run fuzz:node the node took datagrams 10-25% slower than
   * with V8's defaults (6: ~200 MB peak, slowest; 32: 293 MB, no faster than 16). Raise both to
   * trade the memory back.
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
  maxYoungGenerationSizeMb: 16,
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

/**
 * Default bound of one `ref.events(...)` buffer: a consumer may fall 1024 events behind (a
 * member-event burst of a large join) before the oldest are dropped and counted; at a few hundred
 * bytes an event, a few hundred KiB per slow iterator.
 */
export const DEFAULT_EVENT_BUFFER = 1024

/** The checked options of one event stream (`ref.events(types, options)`). */
export interface EventStreamConfig {
  /** The types to deliver; `['*']` for every type. */
  types: string[]
  bufferSize: number
  signal: AbortSignal | undefined
}

/**
 * Checks `ref.events`'s arguments: types a non-empty string or a list of them (default every type),
 * `bufferSize` an integer in [1, 2^20] (default DEFAULT_EVENT_BUFFER), `signal` an AbortSignal.
 * Throws InvalidConfigError naming `events.types`, `events.bufferSize` or `events.signal`.
 */
export function createEventStreamConfig(types: unknown, options: unknown = {}): EventStreamConfig {
  const o = knownFieldsOnly('events', options ?? {}, ['signal', 'bufferSize']) as { signal?: unknown; bufferSize?: unknown }
  let list: string[]
  if (types === undefined) list = ['*']
  else if (typeof types === 'string') list = [types]
  else if (Array.isArray(types)) list = [...types]
  else throw new InvalidConfigError('events.types', 'must be an event type or a list of them', { got: types })
  list.forEach((t, i) => checkString(`events.types[${i}]`, t, { nonEmpty: true }))
  if (list.length === 0) throw new InvalidConfigError('events.types', 'must name at least one event type (or leave it out for all)', { got: types })
  // Past 2^20 events one slow consumer holds hundreds of MiB: a typo, not a buffer.
  if (o.bufferSize !== undefined) checkInt('events.bufferSize', o.bufferSize, 1, 1 << 20)
  const bufferSize = o.bufferSize ?? DEFAULT_EVENT_BUFFER
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new InvalidConfigError('events.signal', 'must be an AbortSignal', { got: o.signal })
  return { types: list, bufferSize, signal: o.signal as AbortSignal | undefined }
}

/** Opt-in persistence of the XState snapshot (`getPersistedSnapshot()`), for restore after a crash. */
export interface PersistOptions {
  /** Version stamp of the machine's context shape; a stored snapshot of another version is not restored. */
  version: number
  /**
   * Persist at most once per this many ms, counted from the end of the previous persist (default 0:
   * after every turn in which the actor handled messages).
   */
  throttleMs?: number
  /**
   * The machine promises never to change in place anything its context reaches (every update
   * builds new objects and shares the rest, as member-manager's CowMap does), and to hold only plain
   * data there (no actor refs, functions or class instances). The host then keeps the persisted
   * record by reference instead of a detached copy, and a restart starts from it as it is: a persist
   * costs what XState's snapshot header costs, whatever the context's size. The worker placement
   * still pays one structured clone to post the record to the system thread (see host-persistence.ts).
   * Checked where a check is cheap enough: with `GOSSAMER_VERIFY_IMMUTABLE=1`, or `NODE_ENV=test`,
   * every persisted record is deep-frozen and checked for plain data, so a write into it fails with
   * ERR_ACTOR_SNAPSHOT_MUTATED (see snapshot-freeze.ts). Default false (detached copies).
   */
  immutable?: boolean
  /**
   * What a restart cannot do without, as a short tuple read from the live snapshot (its state value
   * and context): after a turn in which any element differs (Object.is) from the tuple of the last
   * record, the actor persists at once, whatever `throttleMs`. The throttle then only delays what a
   * restart can afford to lose (counters, health, figures) by up to `throttleMs` or until the
   * actor's next turn, whichever is later (there is no trailing persist: an actor that throttles
   * should have turns of its own, such as a periodic timer). Called once per persist attempt of a
   * throttled turn: keep it to a few field reads. Default: none (the throttle alone decides).
   */
  urgentKey?: (snapshot: { value: unknown; context: never }) => readonly unknown[]
}

const PERSIST_FIELDS = ['version', 'throttleMs', 'immutable', 'urgentKey'] as const

/**
 * Checks a definition's `persist` (at defineActor): a plain object of known fields, `version` a
 * non-negative integer, `throttleMs` a duration, `immutable` a boolean, `urgentKey` a function. Throws InvalidConfigError
 * naming `persist.<field>`; returns the options.
 */
export function validatePersistOptions(persist: unknown): PersistOptions {
  const o = knownFieldsOnly('persist', persist, PERSIST_FIELDS) as Record<string, unknown>
  checkInt('persist.version', o['version'], 0)
  if (o['throttleMs'] !== undefined) checkNumber('persist.throttleMs', o['throttleMs'], { min: 0, max: TIMER_MAX_MS, unit: 'ms' })
  if (o['immutable'] !== undefined) checkBoolean('persist.immutable', o['immutable'])
  if (o['urgentKey'] !== undefined && typeof o['urgentKey'] !== 'function') {
    throw new InvalidConfigError('persist.urgentKey', 'must be a function of the snapshot returning an array', { got: o['urgentKey'] })
  }
  return o as unknown as PersistOptions
}

/**
 * Whether immutable persisted records are deep-frozen and checked (slow: a walk over what is new
 * since the last record): `GOSSAMER_VERIFY_IMMUTABLE` `1`/`true` or `0`/`false`, else on under
 * `NODE_ENV=test` (vitest sets it) and off otherwise. Read once per host; worker threads share the
 * process environment, so both placements agree.
 */
export function verifyImmutableFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env['GOSSAMER_VERIFY_IMMUTABLE']
  if (v === undefined || v === '') return env['NODE_ENV'] === 'test'
  if (v === '1' || v === 'true') return true
  if (v === '0' || v === 'false') return false
  throw new InvalidConfigError('GOSSAMER_VERIFY_IMMUTABLE', "must be '1', 'true', '0' or 'false'", { got: v })
}

/** A persisted snapshot as the supervisor keeps it. */
export interface PersistedRecord {
  version: number
  /** `actor.getPersistedSnapshot()`: JSON-safe. */
  snapshot: unknown
  /** Runtime clock time at which it was taken. */
  at: number
}

/** Where persisted snapshots live (default: in memory on the main thread; a disk store may be plugged in). */
export interface SnapshotStore {
  load(actorId: string): PersistedRecord | undefined
  save(actorId: string, record: PersistedRecord): void
  delete(actorId: string): void
}

export function memorySnapshotStore(): SnapshotStore & { records: Map<string, PersistedRecord> } {
  const records = new Map<string, PersistedRecord>()
  return {
    records,
    load: (id) => records.get(id),
    save: (id, r) => void records.set(id, r),
    delete: (id) => void records.delete(id),
  }
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
}
const COMPUTE_FIELDS = ['maxThreads', 'idleTimeoutMs'] as const

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
    const c = knownFieldsOnly('system.compute', o.compute, COMPUTE_FIELDS) as { maxThreads?: unknown; idleTimeoutMs?: unknown }
    // Compute threads share the machine's cores with the actors: more than 256 is a typo.
    if (c.maxThreads !== undefined) checkInt('system.compute.maxThreads', c.maxThreads, 1, 256)
    if (c.idleTimeoutMs !== undefined) checkInt('system.compute.idleTimeoutMs', c.idleTimeoutMs, 0, TIMER_MAX_MS, 'ms')
  }
  if (o.snapshotStore !== undefined && !hasMethods(o.snapshotStore, ['load', 'save', 'delete'])) {
    throw new InvalidConfigError('system.snapshotStore', 'must be a SnapshotStore (load, save and delete)', { got: o.snapshotStore })
  }
  // Every ask without its own timeout gets this one, as a timer on the system clock.
  if (o.askTimeoutMs !== undefined) checkNumber('system.askTimeoutMs', o.askTimeoutMs, { min: 0, exclusiveMin: true, max: TIMER_MAX_MS, unit: 'ms' })
  // Checked here so the error names system.workerLimits; SystemCore then builds them with the defaults.
  if (o.workerLimits !== undefined) createWorkerLimits(o.workerLimits, 'system.workerLimits')
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
