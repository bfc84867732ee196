/**
 * SnapshotDiskError: a write, fsync or truncate of the live snapshot file failed. Sync and leave
 * callers get it (never just their own ask timeout), `snapshot.stats` shows it as `diskError`
 * until the writer has repaired the file, and a shutdown that ends with it is not clean.
 *
 * Codes: `ERR_SNAPSHOT_DISK_FULL` when the file system is out of space or quota (ENOSPC, EDQUOT:
 * writing resumes by itself once space returns), `ERR_SNAPSHOT_DISK` for any other failure (EIO,
 * EROFS, ...). `details.op` names the operation, `details.errno` the system's code when it had one.
 */
import { ClusterError } from '../../src/errors/index.ts'

const FULL: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT'])

export type DiskOp = 'append' | 'fsync' | 'truncate'

export class SnapshotDiskError extends ClusterError {
  static override name = 'SnapshotDiskError'
  constructor(op: DiskOp, path: string, cause: unknown) {
    const errno = typeof (cause as { code?: unknown })?.code === 'string' ? (cause as { code: string }).code : undefined
    const full = errno !== undefined && FULL.has(errno)
    const why = cause instanceof Error ? cause.message : String(cause)
    super(
      full ? 'ERR_SNAPSHOT_DISK_FULL' : 'ERR_SNAPSHOT_DISK',
      `snapshot ${op} failed on ${path}${full ? ' (disk full)' : ''}: ${why}; the records wait in memory and the write is retried`,
      { cause, details: { op, path, ...(errno !== undefined ? { errno } : {}) } },
    )
  }
}
