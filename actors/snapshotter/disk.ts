/**
 * The file operations the snapshotter needs, behind a small interface so that the writer, the
 * compactor and replay test against an in-memory disk (test/actors/snapshotter/memory-disk.ts:
 * slow, failing or crashing on demand) and the worker plugs in the real one (io/node-disk.ts).
 */
import { ClusterError } from '../../src/errors/index.ts'

/** An open file; appends go to its end. */
export interface SnapshotFileHandle {
  /** Writes every chunk, in order, at the end of the file (one writev). */
  append(chunks: readonly Uint8Array[]): Promise<void>
  /** Makes everything appended so far durable (fsync). */
  sync(): Promise<void>
  close(): Promise<void>
}

export interface SnapshotDisk {
  /**
   * The whole file, or undefined if it does not exist. A file larger than `maxBytes` is not read:
   * that rejects with SnapshotTooLargeError (ERR_SNAPSHOT_FILE_TOO_LARGE).
   */
  read(path: string, maxBytes: number): Promise<Uint8Array | undefined>
  /** Opens for append, creating the file if missing. */
  openAppend(path: string): Promise<SnapshotFileHandle>
  /** Creates (or empties) a file and opens it for append. */
  create(path: string): Promise<SnapshotFileHandle>
  truncate(path: string, length: number): Promise<void>
  /** Atomically replaces `to` with `from`. */
  rename(from: string, to: string): Promise<void>
  /** Deletes a file; a missing file is not an error. */
  remove(path: string): Promise<void>
  /** Makes the directory entry changes (create, rename) of the directory holding `path` durable. */
  syncDir(path: string): Promise<void>
}


/** A snapshot file larger than the configured cap: replay would hold it all in memory. */
export class SnapshotTooLargeError extends ClusterError {
  static override name = 'SnapshotTooLargeError'
  constructor(path: string, size: number, maxBytes: number) {
    super('ERR_SNAPSHOT_FILE_TOO_LARGE', `${path} is ${size} bytes, over the ${maxBytes}-byte cap (snapshotter.maxFileBytes)`, { details: { path, size, maxBytes } })
  }
}
