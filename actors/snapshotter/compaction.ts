/**
 * One compaction run. The long phase (compactor.ts) writes the compacted file from a state captured
 * at a batch boundary while the writer keeps appending batches to the live file; those batches are
 * kept as the run's tail. The short phase, `install`, runs as one exclusive step of the writer's
 * pump: append the tail to the new file, fsync it, rename it over the live file, fsync the
 * directory. A crash before the rename leaves the old file (complete: every batch went there);
 * after it, the new one (complete: content plus tail, fsynced before the rename).
 */
import { buildCompacted, CompactionAbortedError, type CompactedFile } from './compactor.ts'
import type { SnapshotDisk, SnapshotFileHandle } from './disk.ts'
import type { SnapshotterCounters } from './metrics.ts'
import type { CapturedState } from './snapshot-state.ts'
import type { WriterNotice } from './writer.ts'

export interface CompactionDeps {
  disk: SnapshotDisk
  path: string
  chunkLines: number
  checksums: boolean
  now(): number
  defer(fn: () => void): void
  counters: SnapshotterCounters
  notice(n: WriterNotice): void
  /** The new file is built and fsynced: the writer swaps it in at its next step. */
  onReady(): void
  /** The run ended without being installed (aborted or failed). */
  onEnd(): void
}

export class Compaction {
  aborted = false
  /** Batches appended to the live file since the capture, re-appended to the new file at install. */
  private tail: Uint8Array[] = []
  private tailBytes = 0
  ready: CompactedFile | undefined
  readonly startedAt: number
  readonly done: Promise<void>
  private readonly tempPath: string

  constructor(
    private readonly deps: CompactionDeps,
    captured: CapturedState,
  ) {
    this.startedAt = deps.now()
    this.tempPath = deps.path + '.compact'
    this.done = buildCompacted({
      disk: deps.disk,
      tempPath: this.tempPath,
      state: captured,
      chunkLines: deps.chunkLines,
      checksums: deps.checksums,
      yieldTurn: () => new Promise((resolve) => deps.defer(() => resolve())),
      onChunk: () => void deps.counters.flushes++,
      aborted: () => this.aborted,
    }).then(
      async (file) => {
        if (this.aborted) {
          deps.counters.compactionsAborted++
          // Part of `done`: a shutdown awaiting it ends only after the temp file is gone.
          await file.handle.close().catch(() => undefined)
          await deps.disk.remove(this.tempPath).catch(() => undefined)
          deps.onEnd()
          return
        }
        this.ready = file
        deps.onReady()
      },
      (error) => {
        deps.onEnd()
        if (error instanceof CompactionAbortedError) {
          deps.counters.compactionsAborted++
          return
        }
        deps.counters.errors++
        deps.notice({ kind: 'compaction-failed', error })
      },
    )
  }

  /** A batch was appended to the live file (or failed to be: the new file gets it either way). */
  addTail(chunks: readonly Uint8Array[], size: number): void {
    this.tail.push(...chunks)
    this.tailBytes += size
  }

  /** Abandons a run still building (shutdown); one already built is installed instead. */
  abort(): void {
    if (this.ready === undefined) this.aborted = true
  }

  /**
   * install: the exclusive step's file work. Returns the new file's handle and size, or undefined
   * if it failed before the rename (the live file then stays as it was, complete).
   */
  async install(): Promise<{ handle: SnapshotFileHandle; size: number } | undefined> {
    const { disk, counters } = this.deps
    const file = this.ready!
    try {
      if (this.tail.length > 0) {
        await file.handle.append(this.tail)
        counters.flushes++
      }
      await file.handle.sync()
      await disk.rename(this.tempPath, this.deps.path)
    } catch (error) {
      counters.errors++
      this.deps.notice({ kind: 'compaction-failed', error })
      await file.handle.close().catch(() => undefined)
      await disk.remove(this.tempPath).catch(() => undefined)
      return undefined
    }
    try {
      await disk.syncDir(this.deps.path)
    } catch (error) {
      counters.errors++
      this.deps.notice({ kind: 'disk-error', op: 'fsync-dir', error })
    }
    return { handle: file.handle, size: file.size + this.tailBytes }
  }
}
