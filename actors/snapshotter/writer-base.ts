/**
 * WriterBase: the SnapshotWriter's state (intake, watermarks, counters, the live file) and the few
 * steps every part uses: scheduling the pump, settling waiters, reporting stats, closing the file.
 * The parts build on it in layers: compaction driver (writer-compaction.ts), open + serial pump +
 * sync (writer-pump.ts), shutdown (writer-shutdown.ts), intake (writer.ts).
 */
import type { ClusterError } from '../../src/errors/index.ts'
import type { Compaction } from './compaction.ts'
import type { SnapshotterConfig } from './config.ts'
import type { SnapshotFileHandle } from './disk.ts'
import { Intake } from './intake.ts'
import { emptyCounters, Histogram, type SnapshotterStats } from './metrics.ts'
import { SnapshotState } from './snapshot-state.ts'
import { Watermarks } from './watermarks.ts'
import type { SnapshotProgress, WriterEnv } from './writer-types.ts'

export abstract class WriterBase {
  readonly state = new SnapshotState()
  protected readonly intake = new Intake()
  protected readonly counters = emptyCounters()
  protected readonly flushLatency = new Histogram()
  protected readonly appendLatency = new Histogram()
  protected readonly compactionLatency = new Histogram()
  protected readonly swapLatency = new Histogram()
  protected file: SnapshotFileHandle | undefined
  protected offset = 0
  /** Record text made before a leave (it must reach the file before the `leave` line). */
  protected sealed = ''
  protected sealedLines = 0
  protected readonly marks = new Watermarks()
  protected dirty = false
  protected syncWanted = false
  protected pumping = false
  protected scheduled = false
  protected closing = false
  protected closed = false
  protected compaction: Compaction | undefined
  protected lastRecoveryAt = -Infinity
  protected cancelInterval: (() => void) | undefined
  protected cancelRecovery: (() => void) | undefined

  protected opening: Promise<unknown> | undefined
  /** Why open failed: leave and sync reject with it from then on (the file can never be written). */
  protected openError: ClusterError | undefined

  constructor(
    readonly config: SnapshotterConfig,
    protected readonly env: WriterEnv,
  ) {}

  /** The serial pump (writer-pump.ts). */
  protected abstract pump(): Promise<void>

  protected kick(): void {
    if (this.pumping || this.scheduled || this.closed) return
    this.scheduled = true
    this.env.defer(() => {
      this.scheduled = false
      void this.pump()
    })
  }

  /** settle resolves the waiters whose records are durable and reports progress. */
  protected settle(): void {
    this.marks.settle()
    this.env.onProgress?.(this.progress())
  }

  progress(): SnapshotProgress {
    return this.marks.progress()
  }

  /** Counts a record message refused outside the writer (the machine's `failed` state). */
  refuse(): void {
    this.counters.refused++
  }

  stats(): SnapshotterStats {
    return {
      ...this.counters,
      coalesced: this.intake.coalesced,
      queueDepth: this.intake.depth,
      aliveMembers: this.state.alive.size,
      fileBytes: this.offset,
      received: this.marks.received,
      writtenThrough: this.marks.writtenThrough(),
      durableThrough: this.marks.durableThrough(),
      compacting: this.compaction !== undefined,
      flushLatency: this.flushLatency.snapshot(),
      appendLatency: this.appendLatency.snapshot(),
      compactionLatency: this.compactionLatency.snapshot(),
      swapLatency: this.swapLatency.snapshot(),
    }
  }

  protected async closeFile(): Promise<void> {
    const file = this.file
    this.file = undefined
    if (file === undefined) return
    try {
      await file.close()
    } catch (error) {
      this.counters.errors++
      this.env.onNotice?.({ kind: 'disk-error', op: 'close', error })
    }
  }
}
