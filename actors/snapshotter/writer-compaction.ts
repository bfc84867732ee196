/**
 * The compaction driver of the SnapshotWriter: when to compact, starting a run from a state
 * captured at a batch boundary, the short exclusive swap step (which also repairs a failed write:
 * the new file is built from memory), and the `interval` policy's fsync timer.
 */
import { Compaction } from './compaction.ts'
import { WriterBase } from './writer-base.ts'

export abstract class CompactingWriter extends WriterBase {
  protected threshold(): number {
    const estimate = this.state.alive.size * this.config.bytesPerNode * this.config.compactionThreshold
    return Math.max(this.config.minCompactionBytes, estimate)
  }

  protected maybeCompact(): void {
    if (this.compaction === undefined && this.offset > this.threshold()) this.startCompaction()
  }

  /**
   * startCompaction captures the state at this batch boundary and builds the new file meanwhile.
   * `repair`: the rewrite after a failed fsync, also during shutdown (which waits for it); text
   * sealed by a leave is already in the state, so the new file carries it and it is not written.
   */
  protected startCompaction(repair = false): void {
    if (this.compaction !== undefined || (this.closing && !repair)) return
    if (this.sealed !== '') {
      if (!repair) return
      this.marks.written = Math.max(this.marks.written, this.sealedThrough)
      this.sealed = ''
      this.sealedLines = 0
    }
    const captured = this.state.capture()
    this.env.onNotice?.({ kind: 'compaction-started', fileBytes: this.offset, aliveMembers: captured.alive.length })
    const run: Compaction = new Compaction(
      {
        disk: this.env.disk,
        path: this.config.path,
        chunkLines: this.config.compactionChunkLines,
        checksums: this.config.checksums,
        now: () => this.env.now(),
        defer: (fn) => this.env.defer(fn),
        counters: this.counters,
        live: this.state,
        // Bounded like the file itself: past it, the tail becomes a per-member delta.
        tailCapBytes: this.threshold(),
        notice: (n) => {
          if (n.kind === 'compaction-failed' || n.kind === 'disk-error') this.noteDiskError(n.error)
          this.env.onNotice?.(n)
        },
        onReady: () => this.kick(),
        onEnd: () => {
          if (this.compaction === run) this.compaction = undefined
        },
      },
      captured,
    )
    this.compaction = run
  }

  /** swap: the short exclusive step (see compaction.ts), then the writer switches to the new file. */
  protected async swap(run: Compaction): Promise<void> {
    const started = this.env.now()
    const installed = await run.install()
    this.compaction = undefined
    if (installed === undefined) {
      this.settle()
      return
    }
    const old = this.file!
    this.file = installed.handle
    this.offset = installed.size
    // Everything written so far is in the new file and fsynced; a lost batch is recovered too,
    // because the compacted content came from the in-memory state (and a failed append was in
    // the run's tail).
    const failed = this.failedAppend
    this.failedAppend = undefined
    if (failed?.through !== undefined) this.marks.written = Math.max(this.marks.written, failed.through)
    this.marks.lostFrom = Infinity
    this.marks.durable = Math.max(this.marks.durable, this.marks.written)
    this.dirty = false
    this.counters.compactions++
    this.counters.fsyncs++
    const done = this.env.now()
    this.swapLatency.record(done - started)
    this.compactionLatency.record(done - run.startedAt)
    this.env.onNotice?.({ kind: 'compaction-finished', ms: done - run.startedAt, swapMs: done - started, fileBytes: this.offset })
    this.recovered()
    this.settle()
    try {
      await old.close()
    } catch (error) {
      this.counters.errors++
      this.env.onNotice?.({ kind: 'disk-error', op: 'close', error })
    }
  }

  protected armInterval(): void {
    this.cancelInterval = this.env.setTimer(() => {
      if (this.closing) return
      if (this.dirty) {
        this.syncWanted = true
        this.kick()
      }
      this.armInterval()
    }, this.config.fsyncIntervalMs)
  }
}
