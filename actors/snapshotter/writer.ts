/**
 * SnapshotWriter: the snapshotter's engine, composed of small parts. Records come in through O(1)
 * calls that never wait (WriterIntake: they land in the coalescing intake of PendingText);
 * openWriterFile replays the existing file and opens it for append; one serial Pump turns what is
 * pending into pieces, appends them with their checksum lines to the LiveFile, fsyncs
 * according to the durability policy, and reports progress as Watermarks (records received /
 * written to the OS / durable). The CompactionDriver builds the new file off the write path and
 * swaps it in with one short exclusive step; DiskFault keeps a failing write and its repair;
 * shutdownWriter drains, fsyncs and closes within a timeout and reports what was left by count.
 *
 * The writer is plain async TypeScript over the SnapshotDisk interface: no node:* imports, time and
 * scheduling injected, so the same code runs on the real disk in the worker and on MemoryDisk in
 * tests (slow, failing or crashing on demand).
 *
 *   SnapshotWriter (leave, sync, stats, the lifecycle)
 *     ├─ WriterIntake (writer-intake.ts) record messages: checked, counted, coalesced, pump kicked
 *     ├─ openWriterFile (writer-open.ts) replay, torn tail cut, state restored, file opened
 *     ├─ PendingText (pending.ts)       sealed leave text, the drain being written, the intake
 *     ├─ Pump (writer-pump.ts)          one file operation at a time: swap, repair, fsync, append
 *     ├─ CompactionDriver               when to compact, the swap (writer-compaction.ts)
 *     ├─ DiskFault (disk-fault.ts)      the failure writes are stuck on, the retry timer
 *     ├─ LiveFile (live-file.ts)        handle, good length, dirty
 *     └─ shutdownWriter (writer-shutdown.ts)
 */
import { ClusterError, toWireError } from '../../src/errors/index.ts'
import type { SnapshotterConfig } from './config.ts'
import { DiskFault } from './disk-fault.ts'
import { LiveFile } from './live-file.ts'
import { emptyCounters, Histogram, type SnapshotterStats } from './metrics.ts'
import { PendingText } from './pending.ts'
import type { ReplayResult } from './replay.ts'
import { SnapshotState } from './snapshot-state.ts'
import { Watermarks } from './watermarks.ts'
import { CompactionDriver } from './writer-compaction.ts'
import { Pump } from './writer-pump.ts'
import { WriterIntake } from './writer-intake.ts'
import { openWriterFile } from './writer-open.ts'
import { shutdownWriter } from './writer-shutdown.ts'
import { SnapshotClosedError, type ShutdownReport, type SnapshotProgress, type WriterEnv, type WriterNotice } from './writer-types.ts'

export { SnapshotClosedError } from './writer-types.ts'
export type { ShutdownReport, SnapshotProgress, WriterEnv, WriterNotice } from './writer-types.ts'

export class SnapshotWriter {
  readonly state = new SnapshotState()
  private readonly pending = new PendingText()
  private readonly marks = new Watermarks()
  private readonly counters = emptyCounters()
  private readonly latency = { flush: new Histogram(), append: new Histogram(), compaction: new Histogram(), swap: new Histogram() }
  private readonly file: LiveFile
  private readonly fault: DiskFault
  private readonly compaction: CompactionDriver
  private readonly pump: Pump
  private readonly intake: WriterIntake
  private closing = false
  private closed = false
  private opening: Promise<unknown> | undefined
  /** Why open failed: leave and sync reject with it from then on (the file can never be written). */
  private openError: ClusterError | undefined
  private shuttingDown: Promise<ShutdownReport> | undefined

  constructor(
    readonly config: SnapshotterConfig,
    private readonly env: WriterEnv,
  ) {
    const notice = (n: WriterNotice) => env.onNotice?.(n)
    const now = () => env.now()
    const defer = (fn: () => void) => env.defer(fn)
    const setTimer = (fn: () => void, ms: number) => env.setTimer(fn, ms)
    const settle = () => this.settle()
    const kick = () => this.pump.kick()
    this.file = new LiveFile((op, error) => {
      this.counters.errors++
      this.fault.note(error)
      notice({ kind: 'disk-error', op, error })
    })
    this.fault = new DiskFault({
      path: config.path,
      retryMs: config.errorRecoveryIntervalMs,
      now,
      setTimer,
      notice,
      countError: () => void this.counters.errors++,
      rejectWaiters: (err) => this.marks.rejectAll(err),
      onRetryDue: kick,
    })
    const shared = { disk: env.disk, now, defer, counters: this.counters, state: this.state, file: this.file, fault: this.fault, marks: this.marks, pending: this.pending }
    this.compaction = new CompactionDriver({
      ...shared,
      config,
      latency: { compaction: this.latency.compaction, swap: this.latency.swap },
      notice,
      kick,
      settle,
      closing: () => this.closing,
    })
    this.pump = new Pump({
      ...shared,
      config,
      setTimer,
      compaction: this.compaction,
      latency: { flush: this.latency.flush, append: this.latency.append },
      settle,
      closed: () => this.closed,
      closing: () => this.closing,
    })
    this.intake = new WriterIntake({
      config,
      now,
      counters: this.counters,
      state: this.state,
      marks: this.marks,
      pending: this.pending,
      kick,
      closing: () => this.closing,
      refusing: () => this.openError !== undefined,
    })
  }

  // ---- intake: O(1), never waits (writer-intake.ts) ----

  alive(name: string, addr: string): void {
    this.intake.alive(name, addr)
  }

  /** `alive` for an address formatted from validated IP bytes and port: not parsed again. */
  aliveAt(name: string, addr: string): void {
    this.intake.aliveAt(name, addr)
  }

  notAlive(name: string): void {
    this.intake.notAlive(name)
  }

  /** Records the difference between the member layer's complete alive set and the snapshot's. */
  resync(members: ReadonlyArray<readonly [string, string]>): void {
    this.intake.resync(members)
  }

  /** The member clock; recorded even after a leave, as Serf's clock ticker does. */
  memberClock(ltime: bigint): void {
    this.intake.memberClock(ltime)
  }

  eventClock(ltime: bigint): void {
    this.intake.eventClock(ltime)
  }

  queryClock(ltime: bigint): void {
    this.intake.queryClock(ltime)
  }

  /** Counts a record message refused outside the writer (the machine's `failed` state). */
  refuse(): void {
    this.counters.refused++
  }

  // ---- asks ----

  /**
   * leave records a graceful leave and resolves once the `leave` line is fsynced. Pending records
   * are written before it; unless rejoin-after-leave, the alive set is forgotten and later member
   * and event records are ignored (Serf's `leaving`). While a disk error is being repaired it
   * rejects with that error; the leave is still recorded and written once the disk recovers.
   */
  leave(): Promise<SnapshotProgress> {
    if (this.closing) return Promise.reject(new SnapshotClosedError())
    if (this.openError !== undefined) return Promise.reject(this.openError)
    // Before the file is replayed the state is not known yet: apply the leave after it (once: the
    // open has settled by then, so the call below either proceeds or rejects with openError).
    if (!this.file.open && this.opening !== undefined) return this.opening.then(() => this.leave())
    this.pending.seal(this.state, this.marks.received)
    this.state.leaving = true
    if (!this.config.rejoinAfterLeave) this.state.alive.clear()
    this.counters.leaves++
    return this.sync()
  }

  /**
   * sync resolves when every record received so far is fsynced (whatever the policy). While a
   * disk error is being repaired it rejects at once with that error (SnapshotDiskError).
   */
  sync(): Promise<SnapshotProgress> {
    if (this.closed) return Promise.reject(new SnapshotClosedError())
    if (this.openError !== undefined) return Promise.reject(this.openError)
    const through = this.marks.received
    if (this.marks.durableThrough() >= through && !this.pending.hasWork()) return Promise.resolve(this.progress())
    if (this.fault.error !== undefined) return Promise.reject(this.fault.error)
    const done = this.marks.wait(through)
    this.pump.kick()
    return done
  }

  progress(): SnapshotProgress {
    return this.marks.progress()
  }

  stats(): SnapshotterStats {
    return {
      ...this.counters,
      coalesced: this.pending.intake.coalesced,
      queueDepth: this.pending.depth,
      aliveMembers: this.state.alive.size,
      fileBytes: this.file.offset,
      received: this.marks.received,
      writtenThrough: this.marks.writtenThrough(),
      durableThrough: this.marks.durableThrough(),
      compacting: this.compaction.run !== undefined,
      diskError: this.fault.error === undefined ? null : toWireError(this.fault.error),
      lastDiskError: this.fault.last ?? null,
      flushLatency: this.latency.flush.snapshot(),
      appendLatency: this.latency.append.snapshot(),
      compactionLatency: this.latency.compaction.snapshot(),
      swapLatency: this.latency.swap.snapshot(),
    }
  }

  // ---- lifecycle ----

  /** open replays the existing file, cuts off a torn tail, removes a stale compaction temp file. */
  open(): Promise<ReplayResult> {
    const p = openWriterFile({
      config: this.config,
      disk: this.env.disk,
      counters: this.counters,
      state: this.state,
      file: this.file,
      marks: this.marks,
      pending: this.pending,
      compaction: this.compaction,
      pump: this.pump,
    }).catch((cause: unknown) => {
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

  /**
   * shutdown stops intake, drains every pending change, writes, fsyncs and closes the file within
   * `timeoutMs` (see writer-shutdown.ts). Idempotent: a second call gets the same report.
   */
  shutdown(timeoutMs = this.config.shutdownTimeoutMs): Promise<ShutdownReport> {
    this.shuttingDown ??= shutdownWriter(
      {
        now: () => this.env.now(),
        setTimer: (fn, ms) => this.env.setTimer(fn, ms),
        opening: this.opening,
        markClosing: () => void (this.closing = true),
        markClosed: () => void (this.closed = true),
        file: this.file,
        fault: this.fault,
        marks: this.marks,
        pending: this.pending,
        compaction: this.compaction,
        pump: this.pump,
      },
      timeoutMs,
    )
    return this.shuttingDown
  }

  /** settle resolves the waiters whose records are durable and reports progress. */
  private settle(): void {
    this.marks.settle()
    this.env.onProgress?.(this.progress())
  }
}
