/**
 * The serial pump, sync and the repair of a failed write. Every operation on the live file
 * happens in the pump, one at a time: a due swap or fsync first, then the next piece of record
 * text. An intake is written whole (cut into checksummed spans by encodeBatch) unless it is very
 * big: then in a few pieces (config.writeStepLines, MAX_STEPS_PER_DRAIN), so no step holds the
 * thread for a whole burst, the intake keeps taking records between steps, and a due fsync goes
 * between them.
 *
 * A failed append may leave part of its bytes in the file: nothing more is appended until a retry
 * has cut the file back to its last good length and re-done that append (the bytes are kept).
 * A failed fsync may have lost anything written since the last good one (the kernel can drop the
 * dirty pages and report success next time), so the file is rewritten from memory (a compaction)
 * before anything written since counts as durable again. Meanwhile records wait in the intake
 * (bounded by the members), and sync and leave fail at once with the coded disk error.
 */
import { encodeBatch } from './batch.ts'
import type { SnapshotterConfig } from './config.ts'
import type { SnapshotDisk } from './disk.ts'
import type { DiskFault, FailedAppend } from './disk-fault.ts'
import type { LiveFile } from './live-file.ts'
import type { Histogram, SnapshotterCounters } from './metrics.ts'
import type { PendingText } from './pending.ts'
import { nextPumpStep, type PumpFacts } from './pump-step.ts'
import type { SnapshotState } from './snapshot-state.ts'
import type { Watermarks } from './watermarks.ts'
import type { CompactionDriver } from './writer-compaction.ts'

export { MAX_STEPS_PER_DRAIN } from './pending.ts'

export interface PumpDeps {
  config: Pick<SnapshotterConfig, 'path' | 'durability' | 'fsyncIntervalMs' | 'checksums' | 'writeStepLines'>
  disk: SnapshotDisk
  now(): number
  defer(fn: () => void): void
  setTimer(fn: () => void, ms: number): () => void
  counters: SnapshotterCounters
  state: SnapshotState
  file: LiveFile
  fault: DiskFault
  marks: Watermarks
  pending: PendingText
  compaction: CompactionDriver
  latency: { flush: Histogram; append: Histogram }
  settle(): void
  /** The writer is closed: nothing more runs. */
  closed(): boolean
  /** Shutdown began: the interval timer stops. */
  closing(): boolean
}

export class Pump {
  /** An fsync is wanted at the next step (interval timer, shutdown). */
  syncWanted = false
  private running = false
  private scheduled = false
  private cancelInterval: (() => void) | undefined

  constructor(private readonly d: PumpDeps) {}

  /** True while a step is in flight (the file must not be closed under it). */
  get busy(): boolean {
    return this.running
  }

  /** Runs the pump after the work already queued on this thread (once, however often called). */
  kick(): void {
    if (this.running || this.scheduled || this.d.closed()) return
    this.scheduled = true
    this.d.defer(() => {
      this.scheduled = false
      void this.run()
    })
  }

  private async run(): Promise<void> {
    const d = this.d
    if (this.running || d.closed()) return
    this.running = true
    try {
      for (;;) {
        const step = nextPumpStep(this.facts())
        if (step === 'stop') break
        if (step === 'swap') await d.compaction.swap(d.compaction.run!)
        else if (step === 'repair') await this.repair()
        else if (step === 'sync') await this.sync()
        else if (step === 'write') await this.writePiece()
        else this.catchUp()
      }
    } finally {
      this.running = false
    }
    if (d.closed() && d.file.open) await d.file.close()
  }

  /** What the decision needs (pump-step.ts), read fresh before every step. */
  private facts(): PumpFacts {
    const { file, fault, marks, pending, compaction } = this.d
    return {
      stopped: this.d.closed() || !file.open,
      swapReady: compaction.run?.ready !== undefined,
      diskError: fault.error !== undefined,
      retryDue: fault.retryDue,
      dirty: file.dirty,
      syncWanted: this.syncWanted,
      syncWouldRelease: marks.syncWouldRelease(),
      hasWork: pending.hasWork(),
      received: marks.received,
      written: marks.written,
      durable: marks.durable,
      waiting: marks.waiting,
    }
  }

  /** Records that needed no line (ignored after leave, clocks that did not advance) count as written. */
  private catchUp(): void {
    const { marks, file } = this.d
    marks.written = marks.received
    if (!file.dirty) marks.durable = marks.written
    this.d.settle()
  }

  /** writePiece forms the next piece (the sealed text, or the drain's next piece) and appends it. */
  private async writePiece(): Promise<void> {
    const d = this.d
    const started = d.now()
    const piece = d.pending.next(d.state, d.marks.received, d.config.writeStepLines)
    const oldestAt = piece.oldestAt === -1 ? started : piece.oldestAt
    if (piece.text === '') {
      // Every pending change was a no-op (a clock that did not advance).
      if (piece.through !== undefined) {
        d.marks.written = Math.max(d.marks.written, piece.through)
        if (!d.file.dirty) d.marks.durable = Math.max(d.marks.durable, piece.through)
      }
      d.settle()
      return
    }
    const chunks = encodeBatch(piece.text, d.config.checksums)
    let size = 0
    for (const c of chunks) size += c.length
    // The tail goes to the new file whether or not this append succeeds: a failed one is
    // recovered by the swap too.
    d.compaction.run?.addTail(chunks, size)
    await this.append({ chunks, size, lines: piece.lines, through: piece.through, oldestAt }, started)
  }

  /** Appends one piece at the file's end; on failure keeps it for the repair (see the header). */
  private async append(piece: FailedAppend, started: number): Promise<void> {
    const d = this.d
    try {
      await d.file.handle!.append(piece.chunks)
    } catch (error) {
      d.fault.failedAppend = piece
      d.fault.fail('append', error)
      return
    }
    d.file.offset += piece.size
    d.file.dirty = true
    // This was the repair of a failed append: the file is whole again.
    if (d.fault.error !== undefined) d.fault.recovered()
    const c = d.counters
    c.batches++
    c.flushes++
    c.linesWritten += piece.lines
    c.bytesWritten += piece.size
    if (piece.through !== undefined) d.marks.written = Math.max(d.marks.written, piece.through)
    if (d.config.durability === 'always' && piece.through !== undefined) await this.sync()
    const done = d.now()
    d.latency.flush.record(done - started)
    if (piece.through !== undefined) d.latency.append.record(done - piece.oldestAt)
    d.settle()
    d.compaction.maybeCompact()
  }

  private async sync(): Promise<void> {
    const { file, marks, fault } = this.d
    const through = marks.written
    this.syncWanted = false
    try {
      await file.handle!.sync()
    } catch (error) {
      // What was written since the last good fsync may be gone while a later fsync succeeds:
      // nothing past it is durable (or even written) until the file is rewritten from memory.
      marks.lostFrom = Math.min(marks.lostFrom, marks.durable + 1)
      fault.fsyncFailed = true
      fault.fail('fsync', error)
      return
    }
    this.d.counters.fsyncs++
    if (marks.written === through) file.dirty = false
    marks.durable = Math.max(marks.durable, through)
    this.d.settle()
  }

  /** repair: one retry of the failed step (on the retry timer; see the header). */
  private async repair(): Promise<void> {
    const { fault, counters } = this.d
    fault.retryDue = false
    counters.diskRetries++
    const piece = fault.failedAppend
    if (piece === undefined) {
      // A failed fsync: the rewrite from memory is a compaction; its swap ends the error.
      if (this.d.compaction.run === undefined) this.d.compaction.start(true)
      fault.scheduleRetry()
      return
    }
    const started = this.d.now()
    try {
      // The failed append may have left part of its bytes: cut them before writing them again.
      await this.d.disk.truncate(this.d.config.path, this.d.file.offset)
    } catch (error) {
      fault.fail('truncate', error)
      return
    }
    fault.failedAppend = undefined
    await this.append(piece, started)
  }

  /** The `interval` policy: every fsyncIntervalMs, an fsync when something was written. */
  armInterval(): void {
    this.cancelInterval = this.d.setTimer(() => {
      if (this.d.closing()) return
      if (this.d.file.dirty) {
        this.syncWanted = true
        this.kick()
      }
      this.armInterval()
    }, this.d.config.fsyncIntervalMs)
  }

  stopInterval(): void {
    this.cancelInterval?.()
    this.cancelInterval = undefined
  }
}
