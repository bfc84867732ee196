/**
 * The compaction driver of the SnapshotWriter: when to compact, starting a run from a state
 * captured at a batch boundary, and the short exclusive swap step (which also repairs a failed
 * write: the new file is built from memory). It runs inside the pump (the swap is one of its steps).
 */
import { Compaction } from './compaction.ts'
import type { SnapshotterConfig } from './config.ts'
import type { SnapshotDisk } from './disk.ts'
import type { DiskFault } from './disk-fault.ts'
import type { LiveFile } from './live-file.ts'
import type { Histogram, SnapshotterCounters } from './metrics.ts'
import type { PendingText } from './pending.ts'
import type { SnapshotState } from './snapshot-state.ts'
import type { Watermarks } from './watermarks.ts'
import type { WriterNotice } from './writer-types.ts'

export interface CompactionDriverDeps {
  config: Pick<SnapshotterConfig, 'path' | 'bytesPerNode' | 'compactionThreshold' | 'minCompactionBytes' | 'compactionChunkLines' | 'checksums'>
  disk: SnapshotDisk
  now(): number
  defer(fn: () => void): void
  counters: SnapshotterCounters
  state: SnapshotState
  file: LiveFile
  fault: DiskFault
  marks: Watermarks
  pending: PendingText
  latency: { compaction: Histogram; swap: Histogram }
  notice(n: WriterNotice): void
  /** The run is built: the pump swaps it in at its next step. */
  kick(): void
  /** Resolves durability waiters and reports progress. */
  settle(): void
  /** Shutdown began: no new run (but the repair of a failed fsync). */
  closing(): boolean
}

export class CompactionDriver {
  /** The run building or built (at most one). */
  run: Compaction | undefined

  constructor(private readonly d: CompactionDriverDeps) {}

  threshold(): number {
    const { config, state } = this.d
    const estimate = state.alive.size * config.bytesPerNode * config.compactionThreshold
    return Math.max(config.minCompactionBytes, estimate)
  }

  maybeCompact(): void {
    if (this.run === undefined && this.d.file.offset > this.threshold()) this.start()
  }

  /**
   * start captures the state at this batch boundary and builds the new file meanwhile.
   * `repair`: the rewrite after a failed fsync, also during shutdown (which waits for it); text
   * sealed by a leave is already in the state, so the new file carries it and it is not written.
   */
  start(repair = false): void {
    const d = this.d
    if (this.run !== undefined || (d.closing() && !repair)) return
    if (d.pending.hasSealed()) {
      if (!repair) return
      d.marks.written = Math.max(d.marks.written, d.pending.dropSealed()!)
    }
    const captured = d.state.capture()
    d.notice({ kind: 'compaction-started', fileBytes: d.file.offset, aliveMembers: captured.alive.length })
    const run: Compaction = new Compaction(
      {
        disk: d.disk,
        path: d.config.path,
        chunkLines: d.config.compactionChunkLines,
        checksums: d.config.checksums,
        now: () => d.now(),
        defer: (fn) => d.defer(fn),
        counters: d.counters,
        live: d.state,
        // Bounded like the file itself: past it, the tail becomes a per-member delta.
        tailCapBytes: this.threshold(),
        notice: (n) => {
          if (n.kind === 'compaction-failed' || n.kind === 'disk-error') d.fault.note(n.error)
          d.notice(n)
        },
        onReady: () => d.kick(),
        onEnd: () => {
          if (this.run === run) this.run = undefined
        },
      },
      captured,
    )
    this.run = run
  }

  /** swap: the short exclusive step (see compaction.ts), then the writer switches to the new file. */
  async swap(run: Compaction): Promise<void> {
    const d = this.d
    const started = d.now()
    const installed = await run.install()
    this.run = undefined
    if (installed === undefined) {
      d.settle()
      return
    }
    const old = d.file.replace(installed.handle, installed.size)
    // Everything written so far is in the new file and fsynced; a lost batch is recovered too,
    // because the compacted content came from the in-memory state (and a failed append was in
    // the run's tail).
    const failed = d.fault.failedAppend
    d.fault.failedAppend = undefined
    if (failed?.through !== undefined) d.marks.written = Math.max(d.marks.written, failed.through)
    d.marks.lostFrom = Infinity
    d.marks.durable = Math.max(d.marks.durable, d.marks.written)
    d.counters.compactions++
    d.counters.fsyncs++
    const done = d.now()
    d.latency.swap.record(done - started)
    d.latency.compaction.record(done - run.startedAt)
    d.notice({ kind: 'compaction-finished', ms: done - run.startedAt, swapMs: done - started, fileBytes: d.file.offset })
    d.fault.recovered()
    d.settle()
    try {
      await old?.close()
    } catch (error) {
      d.counters.errors++
      d.notice({ kind: 'disk-error', op: 'close', error })
    }
  }
}
