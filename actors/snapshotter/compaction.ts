/**
 * One compaction run. The long phase (compactor.ts) writes the compacted file from a state captured
 * at a batch boundary while the writer keeps appending batches to the live file; those batches are
 * kept as the run's tail. The short phase, `install`, runs as one exclusive step of the writer's
 * pump: append the tail to the new file, fsync it, rename it over the live file, fsync the
 * directory. A crash before the rename leaves the old file (complete: every batch went there);
 * after it, the new one (complete: content plus tail, fsynced before the rename).
 */
import { encodeBatch } from './batch.ts'
import { buildCompacted, CompactionAbortedError, type CompactedFile } from './compactor.ts'
import type { SnapshotDisk, SnapshotFileHandle } from './disk.ts'
import type { SnapshotterCounters } from './metrics.ts'
import { deltaText, type CapturedState, type SnapshotState } from './snapshot-state.ts'
import type { WriterNotice } from './writer-types.ts'

export interface CompactionDeps {
  disk: SnapshotDisk
  path: string
  chunkLines: number
  checksums: boolean
  now(): number
  defer(fn: () => void): void
  counters: SnapshotterCounters
  /** The live state: past the tail cap, the tail is replaced by its difference from the capture. */
  live: SnapshotState
  /** Most tail bytes kept in memory; past it the run switches to a per-member delta at install. */
  tailCapBytes: number
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
  /** The tail passed the cap and was dropped: install writes deltaText(captured, live) instead. */
  private overflowed = false
  private readonly captured: CapturedState
  ready: CompactedFile | undefined
  readonly startedAt: number
  readonly done: Promise<void>
  private readonly tempPath: string

  constructor(
    private readonly deps: CompactionDeps,
    captured: CapturedState,
  ) {
    this.startedAt = deps.now()
    this.captured = captured
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
    if (this.overflowed) return
    this.tailBytes += size
    if (this.tailBytes > this.deps.tailCapBytes) {
      // Memory stays bounded by the members (the capture), not by the events since it.
      this.overflowed = true
      this.tail = []
      this.tailBytes = 0
      this.deps.counters.compactionTailOverflows++
      return
    }
    for (const c of chunks) this.tail.push(c)
  }

  /** What install appends after the compacted content: the raw tail, or the per-member delta. */
  private tailChunks(): { chunks: Uint8Array[]; size: number } | undefined {
    if (!this.overflowed) return { chunks: this.tail, size: this.tailBytes }
    // A leave since the capture changes what replay does with the lines before it: start over.
    if (this.deps.live.leaving !== this.captured.leaving) return undefined
    const text = deltaText(this.captured, this.deps.live)
    if (text === '') return { chunks: [], size: 0 }
    const chunks = encodeBatch(text, this.deps.checksums)
    let size = 0
    for (const c of chunks) size += c.length
    return { chunks, size }
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
    const tail = this.tailChunks()
    if (tail === undefined) {
      counters.compactionsAborted++
      await file.handle.close().catch(() => undefined)
      await disk.remove(this.tempPath).catch(() => undefined)
      return undefined
    }
    try {
      if (tail.chunks.length > 0) {
        await file.handle.append(tail.chunks)
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
    return { handle: file.handle, size: file.size + tail.size }
  }
}
