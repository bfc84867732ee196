/**
 * Persistence options of an actor definition (`persist`), the record a persisted snapshot is kept
 * as, and where records live (the snapshot store). Durations are in ms (`Ms` suffix).
 */
import { InvalidConfigError } from '../errors/cluster-error.ts'
import { knownFieldsOnly } from '../config/fields.ts'
import { checkBoolean, checkInt, checkNumber, TIMER_MAX_MS } from '../config/values.ts'

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
   * How the worker placement posts an immutable record to the system thread. `graph` (the
   * default): only the objects not sent before, each frozen and tracked until collected
   * (graph-encoder.ts), which pays off when records share most of their objects (member-manager's
   * table: ~0.07 ms per persist at 100,000 members instead of ~0.9 s of clone). `whole`: one
   * structured clone of the record, as for a record that is not immutable; for a small context
   * whose objects are mostly new at each persist (swim: its counters, its lease view), where the
   * tracking cost more than the clone (swim's ping-to-ack p99 8.0-9.2 ms against 6.0-6.3 ms,
   * bench:runtime --ping-only, three runs each). Ignored unless `immutable`; inline placement keeps
   * the record by reference either way.
   */
  post?: 'graph' | 'whole'
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

const PERSIST_FIELDS = ['version', 'throttleMs', 'immutable', 'post', 'urgentKey'] as const
const POSTS: ReadonlyArray<NonNullable<PersistOptions['post']>> = ['graph', 'whole']

/**
 * Checks a definition's `persist` (at defineActor): a plain object of known fields, `version` a
 * non-negative integer, `throttleMs` a duration, `immutable` a boolean, `post` 'graph' or 'whole', `urgentKey` a function. Throws InvalidConfigError
 * naming `persist.<field>`; returns the options.
 */
export function validatePersistOptions(persist: unknown): PersistOptions {
  const o = knownFieldsOnly('persist', persist, PERSIST_FIELDS) as Record<string, unknown>
  checkInt('persist.version', o['version'], 0)
  if (o['throttleMs'] !== undefined) checkNumber('persist.throttleMs', o['throttleMs'], { min: 0, max: TIMER_MAX_MS, unit: 'ms' })
  if (o['immutable'] !== undefined) checkBoolean('persist.immutable', o['immutable'])
  if (o['post'] !== undefined && !POSTS.includes(o['post'] as never)) {
    throw new InvalidConfigError('persist.post', `must be one of ${POSTS.join(', ')}`, { got: o['post'] })
  }
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
