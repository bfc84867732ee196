/**
 * Open, the serial pump and sync of the SnapshotWriter: every operation on the live file happens
 * in the pump, one at a time: a due swap or fsync first, then the next batch.
 */
import { ClusterError } from '../../src/errors/index.ts'
import { encodeBatch } from './compactor.ts'
import { replaySnapshot, type ReplayResult } from './replay.ts'
import { SnapshotState } from './snapshot-state.ts'
import { CompactingWriter } from './writer-compaction.ts'
import { SnapshotClosedError, type SnapshotProgress } from './writer-types.ts'

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
    if (this.intake.hasPending() || this.marks.waiting > 0) this.kick()
    // A damaged file is rewritten clean from what replay kept.
    if (result.counts.corruptSpans > 0 || result.counts.unknownLines > 0) this.startCompaction()
    return result
  }

  /** sync resolves when every record received so far is fsynced (whatever the policy). */
  sync(): Promise<SnapshotProgress> {
    if (this.closed) return Promise.reject(new SnapshotClosedError())
    if (this.openError !== undefined) return Promise.reject(this.openError)
    const through = this.marks.received
    if (this.marks.durableThrough() >= through && this.sealed === '' && !this.intake.hasPending()) {
      return Promise.resolve(this.progress())
    }
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
        // batch, so a sender that never pauses cannot starve it.
        if (this.compaction?.ready !== undefined) await this.swap(this.compaction)
        else if (this.syncDue()) await this.doSync()
        else if (this.intake.hasPending() || this.sealed !== '') await this.writeBatch()
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

  protected async writeBatch(): Promise<void> {
    const started = this.env.now()
    const oldestAt = this.intake.oldestAt === -1 ? started : this.intake.oldestAt
    const through = this.marks.received
    const drained = this.intake.drain(this.state)
    const text = this.sealed + drained.text
    const lines = this.sealedLines + drained.lines
    this.sealed = ''
    this.sealedLines = 0
    if (text === '') {
      // Every pending change was a no-op (a clock that did not advance).
      this.marks.written = Math.max(this.marks.written, through)
      if (!this.dirty) this.marks.durable = Math.max(this.marks.durable, through)
      this.settle()
      return
    }
    const chunks = encodeBatch(text, this.config.checksums)
    let size = 0
    for (const c of chunks) size += c.length
    // The tail goes to the new file whether or not this append succeeds: a lost batch is
    // recovered by the swap.
    this.compaction?.addTail(chunks, size)
    try {
      await this.file!.append(chunks)
    } catch (error) {
      this.counters.errors++
      this.marks.lostFrom = Math.min(this.marks.lostFrom, this.marks.written + 1)
      this.env.onNotice?.({ kind: 'disk-error', op: 'append', error })
      this.recover()
      return
    }
    this.offset += size
    this.dirty = true
    this.counters.batches++
    this.counters.flushes++
    this.counters.linesWritten += lines
    this.counters.bytesWritten += size
    this.marks.written = through
    if (this.config.durability === 'always') await this.doSync()
    const done = this.env.now()
    this.flushLatency.record(done - started)
    this.appendLatency.record(done - oldestAt)
    this.settle()
    this.maybeCompact()
  }

  protected async doSync(): Promise<void> {
    const through = this.marks.written
    this.syncWanted = false
    try {
      await this.file!.sync()
    } catch (error) {
      this.counters.errors++
      this.env.onNotice?.({ kind: 'disk-error', op: 'fsync', error })
      this.recover()
      return
    }
    this.counters.fsyncs++
    if (this.marks.written === through) this.dirty = false
    this.marks.durable = Math.max(this.marks.durable, through)
    this.settle()
  }
}
