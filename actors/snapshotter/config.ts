/**
 * Snapshotter configuration: Serf's constants (spec §6) as defaults, plus our durability policy.
 * Durations are in milliseconds (`Ms` suffix), sizes in bytes.
 */
import { configObject, knownFieldsOnly, rejectUnknownFields } from '../../src/config/fields.ts'
import { checkBoolean, checkInt, checkNumber, checkOneOf, checkString, TIMER_MAX_MS } from '../../src/config/values.ts'

/**
 * When the snapshot file is fsynced:
 * - `serf`: on leave, shutdown and compaction, as Serf does (a crashed OS may lose recent lines);
 * - `interval`: also every `fsyncIntervalMs` when something was written since the last fsync;
 * - `always`: after every batch (group commit: changes that arrive during one fsync share the next).
 */
export type DurabilityPolicy = 'serf' | 'interval' | 'always'

export interface SnapshotterConfig {
  /** Snapshot file path (Serf's `-snapshot`). The compaction temp file is `<path>.compact`. */
  path: string
  /** Our node name: skipped when offering previously alive members for rejoin. */
  nodeName: string
  durability: DurabilityPolicy
  /** `interval` policy: fsync period. */
  fsyncIntervalMs: number
  /** Serf's RejoinAfterLeave: a leave keeps the member list and later changes are still recorded. */
  rejoinAfterLeave: boolean
  /** Never compact below this size (Serf's snapshotSizeLimit, 128 KiB). */
  minCompactionBytes: number
  /** Estimated bytes per alive member (Serf's snapshotBytesPerNode). */
  bytesPerNode: number
  /** Compact when the file exceeds threshold × bytesPerNode × alive members (Serf: 2). */
  compactionThreshold: number
  /** Write checksum comment lines after each batch (Serf ignores them; replay verifies them). */
  checksums: boolean
  /** Compaction writes the rewrite in chunks of this many lines, yielding between chunks so the
   * actor's thread never stalls for long (2,000 lines ≈ 0.3 ms of formatting). */
  compactionChunkLines: number
  /**
   * A big intake is written in pieces of at least this many member lines, and at most four pieces
   * (each its own append, the thread free in between). Each piece costs a turn of the event loop,
   * which a thread busy taking messages makes long; so pieces are few and large (250,000 lines ≈
   * 8 MB, some 200 ms of formatting), and an intake of a few hundred thousand members goes out whole.
   */
  writeStepLines: number
  /**
   * After a failed write or fsync, the repair is retried this often until it works: the append
   * re-done after cutting what it left, or (fsync) the file rewritten from memory. Serf tries a
   * recovering compaction every 30 s; our append repair is one truncate and one append, so writing
   * resumes within about this long after space returns.
   */
  errorRecoveryIntervalMs: number
  /** Graceful shutdown: drain, write and fsync within this time, then report what is left (Serf
   * allows 250 ms; we allow more because our intake never drops and a slow disk must not lose it). */
  shutdownTimeoutMs: number
  /** Largest snapshot file opened (bytes): replay holds the whole file in memory. */
  maxFileBytes: number
}

export type SnapshotterInit = Partial<SnapshotterConfig> & Pick<SnapshotterConfig, 'path'>

export const DEFAULT_SNAPSHOTTER_CONFIG: Omit<SnapshotterConfig, 'path'> = {
  nodeName: '',
  durability: 'serf', // Serf's behaviour; pick `always` when an acknowledged change must survive a power loss
  fsyncIntervalMs: 1000, // bounds what a power loss can take to about one second of changes
  rejoinAfterLeave: false, // Serf's default: after a graceful leave, do not rejoin at restart
  minCompactionBytes: 128 * 1024, // Serf's snapshotSizeLimit
  bytesPerNode: 128, // Serf's snapshotBytesPerNode
  compactionThreshold: 2, // Serf's snapshotCompactionThreshold
  checksums: true,
  compactionChunkLines: 2000,
  writeStepLines: 250_000,
  errorRecoveryIntervalMs: 1000, // Serf's snapshotErrorRecoveryInterval is 30 s (see the field)
  shutdownTimeoutMs: 5000,
  // Replay reads the whole file. A compacted file is about 2 x 128 B per member, so 1 GiB is far
  // beyond any real cluster; a bigger file is refused (ERR_SNAPSHOT_FILE_TOO_LARGE) instead of
  // exhausting memory.
  maxFileBytes: 1024 * 1024 * 1024,
}

const SNAPSHOTTER_FIELDS: ReadonlySet<string> = new Set([...Object.keys(DEFAULT_SNAPSHOTTER_CONFIG), 'path'])

/**
 * The defaults with `init` spread over them, validated. `init` must be a plain object of known
 * fields (a misspelled one is an InvalidConfigError naming it); `path` is required.
 */
export function createSnapshotterConfig(init: SnapshotterInit): SnapshotterConfig {
  const given = knownFieldsOnly('snapshotter', init, SNAPSHOTTER_FIELDS)
  const config = { ...DEFAULT_SNAPSHOTTER_CONFIG, ...stripUndefined(given) } as SnapshotterConfig
  validateSnapshotterConfig(config)
  return config
}

/**
 * Throws InvalidConfigError naming the first field that is unknown, of the wrong type or out of
 * range; the message shows the value received.
 */
export function validateSnapshotterConfig(c: SnapshotterConfig): void {
  rejectUnknownFields('snapshotter', configObject('snapshotter', c), SNAPSHOTTER_FIELDS)
  checkString('snapshotter.path', c.path, { nonEmpty: true })
  checkString('snapshotter.nodeName', c.nodeName)
  checkOneOf('snapshotter.durability', c.durability, ['serf', 'interval', 'always'])
  // Timer delays: at most TIMER_MAX_MS.
  checkInt('snapshotter.fsyncIntervalMs', c.fsyncIntervalMs, 1, TIMER_MAX_MS, 'ms')
  checkInt('snapshotter.errorRecoveryIntervalMs', c.errorRecoveryIntervalMs, 1, TIMER_MAX_MS, 'ms')
  checkInt('snapshotter.shutdownTimeoutMs', c.shutdownTimeoutMs, 1, TIMER_MAX_MS, 'ms')
  checkBoolean('snapshotter.rejoinAfterLeave', c.rejoinAfterLeave)
  checkNumber('snapshotter.minCompactionBytes', c.minCompactionBytes, { min: 0, unit: 'bytes' })
  checkInt('snapshotter.bytesPerNode', c.bytesPerNode, 1, Number.MAX_SAFE_INTEGER, 'bytes')
  // The compacted file must fit under the threshold.
  checkNumber('snapshotter.compactionThreshold', c.compactionThreshold, { min: 1 })
  checkBoolean('snapshotter.checksums', c.checksums)
  checkInt('snapshotter.compactionChunkLines', c.compactionChunkLines, 1)
  checkInt('snapshotter.writeStepLines', c.writeStepLines, 1, Number.MAX_SAFE_INTEGER, 'lines')
  checkInt('snapshotter.maxFileBytes', c.maxFileBytes, 1, Number.MAX_SAFE_INTEGER, 'bytes')
}

/** A spread must not let an explicit `undefined` replace a default. */
function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))
}
