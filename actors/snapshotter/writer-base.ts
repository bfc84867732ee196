/**
 * WriterBase: the SnapshotWriter's state (intake, the drain being written, watermarks, counters,
 * the live file, the disk error being repaired) and the few steps every part uses: scheduling the
 * pump, settling waiters, reporting stats, entering and leaving the disk-error state, closing.
 * The parts build on it in layers: compaction driver (writer-compaction.ts), open + serial pump +
 * sync + repair (writer-pump.ts), shutdown (writer-shutdown.ts), intake (writer.ts).
 */
import { toWireError, type ClusterError, type WireError } from '../../src/errors/index.ts'
import type { Compaction } from './compaction.ts'
import type { SnapshotterConfig } from './config.ts'
import type { SnapshotFileHandle } from './disk.ts'
import { SnapshotDiskError, type DiskOp } from './disk-error.ts'
import type { Drain } from './drain.ts'
import { Intake } from './intake.ts'
import { emptyCounters, Histogram, type SnapshotterStats } from './metrics.ts'
import { SnapshotState } from './snapshot-state.ts'
import { Watermarks } from './watermarks.ts'
import type { SnapshotProgress, WriterEnv } from './writer-types.ts'

/** A drain being written a piece at a time; `through` is the record count it completes. */
export interface WriteCycle {
  drain: Drain
  through: number
}

/** An append that failed: these bytes belong at the file's good length, `offset`. */
export interface FailedAppend {
  chunks: Uint8Array[]
  size: number
  lines: number
  /** The record count it completes (its drain's last piece), if any. */
  through: number | undefined
  oldestAt: number
}

export abstract class WriterBase {
  readonly state = new SnapshotState()
  protected readonly intake = new Intake()
  /** The drain being written (at most one; the intake refills meanwhile). */
  protected cycle: WriteCycle | undefined
  protected readonly counters = emptyCounters()
  protected readonly flushLatency = new Histogram()
  protected readonly appendLatency = new Histogram()
  protected readonly compactionLatency = new Histogram()
  protected readonly swapLatency = new Histogram()
  protected file: SnapshotFileHandle | undefined
  /** Bytes of the live file known good (everything appended successfully). */
  protected offset = 0
  /** Record text made before a leave (it must reach the file before the `leave` line). */
  protected sealed = ''
  protected sealedLines = 0
  /** The record count the sealed text completes (everything received before the leave). */
  protected sealedThrough = 0
  protected readonly marks = new Watermarks()
  protected dirty = false
  protected syncWanted = false
  protected pumping = false
  protected scheduled = false
  protected closing = false
  protected closed = false
  protected compaction: Compaction | undefined
  protected cancelInterval: (() => void) | undefined

  /** The failure writes are stuck on; sync and leave reject with it until it is repaired. */
  protected diskError: SnapshotDiskError | undefined
  protected diskErrorSince = 0
  protected lastDiskError: WireError | undefined
  /** The append to re-do after cutting the file back to `offset` (an append failed). */
  protected failedAppend: FailedAppend | undefined
  /** An fsync failed: what was written since the last good one may be lost; rewrite from memory. */
  protected fsyncFailed = false
  /** The retry timer fired: the pump tries the repair at its next step. */
  protected retryDue = false
  protected cancelRetry: (() => void) | undefined
  private recoveryWaiters: Array<() => void> = []

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

  /** Record text waits to be written: the sealed text, a drain in progress, or the intake. */
  protected hasWork(): boolean {
    return this.sealed !== '' || this.cycle !== undefined || this.intake.hasPending()
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

  /**
   * failed: a disk operation on the live file failed. Everyone waiting for durability learns it
   * now (a coded error, not a timeout), stats show it, and the repair is retried on a timer.
   */
  protected failed(op: DiskOp, cause: unknown): void {
    const err = new SnapshotDiskError(op, this.config.path, cause)
    this.counters.errors++
    if (this.diskError === undefined) this.diskErrorSince = this.env.now()
    this.diskError = err
    this.lastDiskError = toWireError(err)
    this.env.onNotice?.({ kind: 'disk-error', op, error: err })
    this.marks.rejectAll(err)
    this.scheduleRetry()
  }

  /** A failure outside the live file's writes (a compaction's): remembered for stats only. */
  protected noteDiskError(error: unknown): void {
    this.lastDiskError = toWireError(error)
  }

  protected scheduleRetry(): void {
    if (this.cancelRetry !== undefined || this.closed) return
    this.cancelRetry = this.env.setTimer(() => {
      this.cancelRetry = undefined
      this.retryDue = true
      this.kick()
    }, this.config.errorRecoveryIntervalMs)
  }

  /** The failing write was repaired: writing resumes, waiters of a shutdown go on. */
  protected recovered(): void {
    const err = this.diskError
    if (err === undefined) return
    this.diskError = undefined
    this.fsyncFailed = false
    this.retryDue = false
    this.cancelRetry?.()
    this.cancelRetry = undefined
    this.env.onNotice?.({ kind: 'disk-recovered', op: String(err.details?.['op']), failedForMs: this.env.now() - this.diskErrorSince })
    const waiters = this.recoveryWaiters
    this.recoveryWaiters = []
    for (const w of waiters) w()
  }

  /** Resolves when the current disk error is repaired (at once when there is none), or at close. */
  protected untilRecovered(): Promise<void> {
    if (this.diskError === undefined || this.closed) return Promise.resolve()
    return new Promise((resolve) => this.recoveryWaiters.push(resolve))
  }

  /** Wakes whoever waits for a recovery that will not come (the writer closed). */
  protected releaseRecoveryWaiters(): void {
    const waiters = this.recoveryWaiters
    this.recoveryWaiters = []
    for (const w of waiters) w()
  }

  stats(): SnapshotterStats {
    return {
      ...this.counters,
      coalesced: this.intake.coalesced,
      queueDepth: this.intake.depth + (this.cycle?.drain.remaining ?? 0),
      aliveMembers: this.state.alive.size,
      fileBytes: this.offset,
      received: this.marks.received,
      writtenThrough: this.marks.writtenThrough(),
      durableThrough: this.marks.durableThrough(),
      compacting: this.compaction !== undefined,
      diskError: this.diskError === undefined ? null : toWireError(this.diskError),
      lastDiskError: this.lastDiskError ?? null,
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
      this.noteDiskError(error)
      this.env.onNotice?.({ kind: 'disk-error', op: 'close', error })
    }
  }
}
