/**
 * LiveFile: the open snapshot file the records are appended to, its known-good length and whether
 * something was written since the last fsync. Every operation on it runs in the pump, one at a
 * time (writer-pump.ts); a compaction's swap replaces the handle (writer-compaction.ts).
 */
import type { SnapshotFileHandle } from './disk.ts'

export class LiveFile {
  handle: SnapshotFileHandle | undefined
  /** Bytes of the file known good (everything appended successfully). */
  offset = 0
  /** Written since the last good fsync. */
  dirty = false

  /** `onError`: a close that failed (counted and reported by the writer). */
  constructor(private readonly onError: (op: 'close', error: unknown) => void) {}

  get open(): boolean {
    return this.handle !== undefined
  }

  /** Switches to another handle (a compacted, fsynced file); returns the old one for the caller to close. */
  replace(handle: SnapshotFileHandle, size: number): SnapshotFileHandle | undefined {
    const old = this.handle
    this.handle = handle
    this.offset = size
    this.dirty = false
    return old
  }

  async close(): Promise<void> {
    const file = this.handle
    this.handle = undefined
    if (file === undefined) return
    try {
      await file.close()
    } catch (error) {
      this.onError('close', error)
    }
  }
}
