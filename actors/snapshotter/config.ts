/**
 * Snapshotter configuration: Serf's constants (spec §6) as defaults, plus our durability policy.
 * Durations are in milliseconds (`Ms` suffix), sizes in bytes.
 */
import { InvalidConfigError } from '../../src/errors/index.ts'

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

export function createSnapshotterConfig(init: SnapshotterInit): SnapshotterConfig {
  const config = { ...DEFAULT_SNAPSHOTTER_CONFIG, ...init }
  validateSnapshotterConfig(config)
  return config
}

const positiveInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0
const nonNegative = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0

export function validateSnapshotterConfig(c: SnapshotterConfig): void {
  if (typeof c.path !== 'string' || c.path === '') throw new InvalidConfigError('snapshotter.path', 'must be a non-empty file path')
  if (typeof c.nodeName !== 'string') throw new InvalidConfigError('snapshotter.nodeName', 'must be a string')
  if (!['serf', 'interval', 'always'].includes(c.durability)) {
    throw new InvalidConfigError('snapshotter.durability', 'must be one of serf, interval, always')
  }
  if (!positiveInt(c.fsyncIntervalMs)) throw new InvalidConfigError('snapshotter.fsyncIntervalMs', 'must be a positive integer (ms)')
  if (typeof c.rejoinAfterLeave !== 'boolean') throw new InvalidConfigError('snapshotter.rejoinAfterLeave', 'must be a boolean')
  if (!nonNegative(c.minCompactionBytes)) throw new InvalidConfigError('snapshotter.minCompactionBytes', 'must be >= 0 (bytes)')
  if (!positiveInt(c.bytesPerNode)) throw new InvalidConfigError('snapshotter.bytesPerNode', 'must be a positive integer (bytes)')
  if (!(typeof c.compactionThreshold === 'number' && c.compactionThreshold >= 1)) {
    throw new InvalidConfigError('snapshotter.compactionThreshold', 'must be >= 1 (the compacted file must fit under it)')
  }
  if (typeof c.checksums !== 'boolean') throw new InvalidConfigError('snapshotter.checksums', 'must be a boolean')
  if (!positiveInt(c.compactionChunkLines)) throw new InvalidConfigError('snapshotter.compactionChunkLines', 'must be a positive integer')
  if (!positiveInt(c.writeStepLines)) throw new InvalidConfigError('snapshotter.writeStepLines', 'must be a positive integer (lines)')
  if (!positiveInt(c.errorRecoveryIntervalMs)) throw new InvalidConfigError('snapshotter.errorRecoveryIntervalMs', 'must be a positive integer (ms)')
  if (!positiveInt(c.maxFileBytes)) throw new InvalidConfigError('snapshotter.maxFileBytes', 'must be a positive integer (bytes)')
  if (!positiveInt(c.shutdownTimeoutMs)) throw new InvalidConfigError('snapshotter.shutdownTimeoutMs', 'must be a positive integer (ms)')
}
