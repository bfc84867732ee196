/**
 * Open, the serial pump, sync and the repair of a failed write. Every operation on the live file
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
import { ClusterError } from '../../src/errors/index.ts'
import { encodeBatch } from './batch.ts'
import { replaySnapshot, type ReplayResult } from './replay.ts'
import { SnapshotState } from './snapshot-state.ts'
import type { FailedAppend } from './writer-base.ts'
import { CompactingWriter } from './writer-compaction.ts'
import { SnapshotClosedError, type SnapshotProgress } from './writer-types.ts'

/**
 * A drain goes out in at most this many pump steps however big (each step at least
 * `config.writeStepLines` member lines): every step waits for a turn of the event loop, and when
 * the thread is busy taking messages, more steps would mean a later fsync.
 */
export const MAX_STEPS_PER_DRAIN = 4

export abstract class PumpingWriter extends CompactingWriter {
  /** open replays the existing file, cuts off a torn tail, removes a stale compaction temp file. */
  open(): Promise<ReplayResult> {
    const p = this.doOpen().catch((cause: unknown) => {
      const why = cause instanceof Error ? cause.message : String(cause)
      const err = new ClusterError('ERR_SNAPSHOT_OPEN', `cannot open snapshot ${this.config.path}: ${why}`, { cause, details: { path: this.config.path } })
      this.openError = err
      // What arrived while the file was opening can never be written: counted as refused.
      this.counters.refused += this.marks.received
      // Nobody waiting for durability can ever be answered by this writer: tell them why.
      this.marks.rejectAll(err)
      throw err
    })
    this.opening = p.catch(() => undefined)
    return p
  }

  protected async doOpen(): Promise<ReplayResult> {
    const { disk } = this.env
    const path = this.config.path
    await disk.remove(path + '.compact')
    const existing = await disk.read(path, this.config.maxFileBytes)
    const bytes = existing ?? new Uint8Array(0)
    const result = replaySnapshot(bytes, { rejoinAfterLeave: this.config.rejoinAfterLeave })
    if (result.validLength < bytes.length) await disk.truncate(path, result.validLength)
    const s = SnapshotState.fromReplay(result)
    this.state.alive = s.alive
    this.state.lastClock = s.lastClock
    this.state.lastEventClock = s.lastEventClock
    this.state.lastQueryClock = s.lastQueryClock
    this.counters.corruptLines = result.counts.corruptLines
    this.counters.tornBytes = result.counts.tornBytes
    this.counters.unknownLines = result.counts.unknownLines
    this.counters.badLines = result.counts.badLines
    this.file = await disk.openAppend(path)
    // A new file's directory entry must be durable before any fsync of its content means anything.
    if (existing === undefined) await disk.syncDir(path)
    this.offset = result.validLength
    if (this.config.durability === 'interval') this.armInterval()
    if (this.hasWork() || this.marks.waiting > 0) this.kick()
    // A damaged file is rewritten clean from what replay kept.
    if (result.counts.corruptSpans > 0 || result.counts.unknownLines > 0 || result.counts.badLines > 0) this.startCompaction()
    return result
  }

  /**
   * sync resolves when every record received so far is fsynced (whatever the policy). While a
   * disk error is being repaired it rejects at once with that error (SnapshotDiskError).
   */
  sync(): Promise<SnapshotProgress> {
    if (this.closed) return Promise.reject(new SnapshotClosedError())
    if (this.openError !== undefined) return Promise.reject(this.openError)
    const through = this.marks.received
    if (this.marks.durableThrough() >= through && !this.hasWork()) return Promise.resolve(this.progress())
    if (this.diskError !== undefined) return Promise.reject(this.diskError)
    const done = this.marks.wait(through)
    this.kick()
    return done
  }

  protected async pump(): Promise<void> {
    if (this.pumping || this.closed) return
    this.pumping = true
    try {
      for (;;) {
        if (this.closed || this.file === undefined) break
        // A due fsync (interval timer, or a waiter whose records are written) goes before the next
        // piece, so a sender that never pauses cannot starve it.
        if (this.compaction?.ready !== undefined) await this.swap(this.compaction)
        else if (this.diskError !== undefined) {
          // Nothing is written until the failed step is repaired (on the retry timer).
          if (!this.retryDue) break
          await this.repair()
        } else if (this.syncDue()) await this.doSync()
        else if (this.hasWork()) await this.writeBatch()
        else if (this.marks.written < this.marks.received) this.catchUp()
        else if (this.needSync()) await this.doSync()
        else break
      }
    } finally {
      this.pumping = false
    }
    if (this.closed && this.file !== undefined) await this.closeFile()
  }

  /** Records that needed no line (ignored after leave, clocks that did not advance) count as written. */
  protected catchUp(): void {
    this.marks.written = this.marks.received
    if (!this.dirty) this.marks.durable = this.marks.written
    this.settle()
  }

  protected syncDue(): boolean {
    if (!this.dirty) return false
    if (this.syncWanted) return true
    return this.marks.syncWouldRelease()
  }

  protected needSync(): boolean {
    if (!this.dirty && this.marks.durable >= this.marks.written) return false
    return this.syncWanted || this.marks.waiting > 0
  }

  /** writeBatch forms the next piece (the sealed text, or the drain's next piece) and appends it. */
  protected async writeBatch(): Promise<void> {
    const started = this.env.now()
    let text: string
    let lines: number
    let through: number | undefined
    let oldestAt = started
    if (this.sealed !== '') {
      text = this.sealed
      lines = this.sealedLines
      through = this.sealedThrough
      this.sealed = ''
      this.sealedLines = 0
    } else {
      this.cycle ??= { drain: this.intake.take(), through: this.marks.received }
      const cycle = this.cycle
      const piece = cycle.drain.next(this.state, Math.max(this.config.writeStepLines, Math.ceil(cycle.drain.size / MAX_STEPS_PER_DRAIN)))
      text = piece.text
      lines = piece.lines
      if (piece.done) {
        through = cycle.through
        this.cycle = undefined
        if (cycle.drain.oldestAt !== -1) oldestAt = cycle.drain.oldestAt
      }
    }
    if (text === '') {
      // Every pending change was a no-op (a clock that did not advance).
      if (through !== undefined) {
        this.marks.written = Math.max(this.marks.written, through)
        if (!this.dirty) this.marks.durable = Math.max(this.marks.durable, through)
      }
      this.settle()
      return
    }
    const chunks = encodeBatch(text, this.config.checksums)
    let size = 0
    for (const c of chunks) size += c.length
    // The tail goes to the new file whether or not this append succeeds: a failed one is
    // recovered by the swap too.
    this.compaction?.addTail(chunks, size)
    await this.append({ chunks, size, lines, through, oldestAt }, started)
  }

  /** Appends one piece at the file's end; on failure keeps it for the repair (see the header). */
  private async append(piece: FailedAppend, started: number): Promise<void> {
    try {
      await this.file!.append(piece.chunks)
    } catch (error) {
      this.failedAppend = piece
      this.failed('append', error)
      return
    }
    this.offset += piece.size
    this.dirty = true
    // This was the repair of a failed append: the file is whole again.
    if (this.diskError !== undefined) this.recovered()
    this.counters.batches++
    this.counters.flushes++
    this.counters.linesWritten += piece.lines
    this.counters.bytesWritten += piece.size
    if (piece.through !== undefined) this.marks.written = Math.max(this.marks.written, piece.through)
    if (this.config.durability === 'always' && piece.through !== undefined) await this.doSync()
    const done = this.env.now()
    this.flushLatency.record(done - started)
    if (piece.through !== undefined) this.appendLatency.record(done - piece.oldestAt)
    this.settle()
    this.maybeCompact()
  }

  protected async doSync(): Promise<void> {
    const through = this.marks.written
    this.syncWanted = false
    try {
      await this.file!.sync()
    } catch (error) {
      // What was written since the last good fsync may be gone while a later fsync succeeds:
      // nothing past it is durable (or even written) until the file is rewritten from memory.
      this.marks.lostFrom = Math.min(this.marks.lostFrom, this.marks.durable + 1)
      this.fsyncFailed = true
      this.failed('fsync', error)
      return
    }
    this.counters.fsyncs++
    if (this.marks.written === through) this.dirty = false
    this.marks.durable = Math.max(this.marks.durable, through)
    this.settle()
  }

  /** repair: one retry of the failed step (on the retry timer; see the header). */
  protected async repair(): Promise<void> {
    this.retryDue = false
    this.counters.diskRetries++
    const piece = this.failedAppend
    if (piece === undefined) {
      // A failed fsync: the rewrite from memory is a compaction; its swap ends the error.
      if (this.compaction === undefined) this.startCompaction(true)
      this.scheduleRetry()
      return
    }
    const started = this.env.now()
    try {
      // The failed append may have left part of its bytes: cut them before writing them again.
      await this.env.disk.truncate(this.config.path, this.offset)
    } catch (error) {
      this.failed('truncate', error)
      return
    }
    this.failedAppend = undefined
    await this.append(piece, started)
  }
}
