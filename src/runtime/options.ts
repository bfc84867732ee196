/**
 * Runtime options with their defaults and reasons. Durations are in ms (`Ms` suffix).
 * Each group has `createX(init)` (defaults spread under the init) and `validateX(config)`.
 */
import { InvalidConfigError } from '../errors/cluster-error.ts'

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

export function createMailboxOptions(init: Partial<MailboxOptions> = {}): MailboxOptions {
  const config = { ...DEFAULT_MAILBOX, ...stripUndefined(init) }
  validateMailboxOptions(config)
  return config
}

export function validateMailboxOptions(c: MailboxOptions): void {
  if (!Number.isInteger(c.capacity) || c.capacity < 1) throw new InvalidConfigError('mailbox.capacity', 'must be a positive integer')
  if (!['backpressure', 'drop-oldest', 'reject'].includes(c.overflow))
    throw new InvalidConfigError('mailbox.overflow', "must be 'backpressure', 'drop-oldest' or 'reject'")
  if (!(c.backpressureCeiling >= 1)) throw new InvalidConfigError('mailbox.backpressureCeiling', 'must be >= 1')
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

export function createSupervisionOptions(init: Partial<SupervisionOptions> = {}): SupervisionOptions {
  const config = { ...DEFAULT_SUPERVISION, ...stripUndefined(init) }
  validateSupervisionOptions(config)
  return config
}

export function validateSupervisionOptions(c: SupervisionOptions): void {
  if (!Number.isInteger(c.maxRestarts) || c.maxRestarts < 0) throw new InvalidConfigError('supervision.maxRestarts', 'must be a non-negative integer')
  if (!(c.windowMs > 0)) throw new InvalidConfigError('supervision.windowMs', 'must be > 0')
  if (!(c.backoffMs >= 0)) throw new InvalidConfigError('supervision.backoffMs', 'must be >= 0')
  if (!(c.backoffFactor >= 1)) throw new InvalidConfigError('supervision.backoffFactor', 'must be >= 1')
  if (!(c.maxBackoffMs >= c.backoffMs)) throw new InvalidConfigError('supervision.maxBackoffMs', 'must be >= supervision.backoffMs')
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

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {}
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] !== undefined) out[k] = o[k]
  return out
}
