/**
 * SnapshotWriter: the snapshotter's engine. Records come in through O(1) calls that never wait
 * (they land in the coalescing Intake); one serial pump turns what is pending into a batch, appends
 * it with its checksum line, fsyncs according to the durability policy, and reports progress as
 * watermarks (records received / written to the OS / durable). Compaction builds the new file off
 * the write path (compactor.ts) and swaps it in with one short exclusive step. Shutdown drains,
 * fsyncs and closes within a timeout and reports what was left by count; after it nothing runs.
 *
 * The writer is plain async TypeScript over the SnapshotDisk interface: no node:* imports, time and
 * scheduling injected, so the same code runs on the real disk in the worker and on MemoryDisk in
 * tests (slow, failing or crashing on demand).
 */
import { ClusterError } from '../../src/errors/index.ts'
import { Compaction } from './compaction.ts'
import { encodeBatch } from './compactor.ts'
import type { SnapshotterConfig } from './config.ts'
import type { SnapshotDisk, SnapshotFileHandle } from './disk.ts'
import { Intake } from './intake.ts'
import { emptyCounters, Histogram, type SnapshotterStats } from './metrics.ts'
import { isWritableName, LEAVE_LINE } from './record.ts'
import { replaySnapshot, type ReplayResult } from './replay.ts'
import { SnapshotState } from './snapshot-state.ts'
import { Watermarks } from './watermarks.ts'

export interface WriterEnv {
  disk: SnapshotDisk
  /** Monotonic time in ms. */
  now(): number
  /** Runs `fn` after the work already queued on this thread (setImmediate in a worker). */
  defer(fn: () => void): void
  /** One-shot timer; returns its cancel function. */
  setTimer(fn: () => void, ms: number): () => void
  /** Called after every batch and fsync with the new watermarks. */
  onProgress?(progress: SnapshotProgress): void
  /** Compaction phases and disk errors, for the machine's state and the log. */
  onNotice?(notice: WriterNotice): void
}

/** Running counts of record messages: received, written to the OS, and fsynced. */
export interface SnapshotProgress {
  received: number
  writtenThrough: number
  durableThrough: number
}

export type WriterNotice =
  | { kind: 'compaction-started'; fileBytes: number; aliveMembers: number }
  | { kind: 'compaction-finished'; ms: number; swapMs: number; fileBytes: number }
  | { kind: 'compaction-failed'; error: unknown }
  | { kind: 'disk-error'; op: string; error: unknown }

export interface ShutdownReport {
  /** Everything received was written and fsynced, and the file closed, within the timeout. */
  clean: boolean
  /** Record messages received but not durable when shutdown ended (0 when clean). */
  remaining: number
  received: number
  durableThrough: number
  elapsedMs: number
}

export class SnapshotClosedError extends ClusterError {
  static override name = 'SnapshotClosedError'
  constructor() {
    super('ERR_SNAPSHOT_CLOSED', 'the snapshotter is shut down')
  }
}

export class SnapshotWriter {
  readonly state = new SnapshotState()
  private readonly intake = new Intake()
  private readonly counters = emptyCounters()
  private readonly flushLatency = new Histogram()
  private readonly appendLatency = new Histogram()
  private readonly compactionLatency = new Histogram()
  private readonly swapLatency = new Histogram()
  private file: SnapshotFileHandle | undefined
  private offset = 0
  /** Record text made before a leave (it must reach the file before the `leave` line). */
  private sealed = ''
  private sealedLines = 0
  private readonly marks = new Watermarks()
  private dirty = false
  private syncWanted = false
  private pumping = false
  private scheduled = false
  private closing = false
  private closed = false
  private compaction: Compaction | undefined
  private lastRecoveryAt = -Infinity
  private cancelInterval: (() => void) | undefined
  private cancelRecovery: (() => void) | undefined

  constructor(
    readonly config: SnapshotterConfig,
    private readonly env: WriterEnv,
  ) {}

  private opening: Promise<unknown> | undefined
  /** Why open failed: leave and sync reject with it from then on (the file can never be written). */
  private openError: ClusterError | undefined

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

  private async doOpen(): Promise<ReplayResult> {
    const { disk } = this.env
    const path = this.config.path
    await disk.remove(path + '.compact')
    const existing = await disk.read(path)
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

  // ---- intake: O(1), never waits ----------------------------------------------------------

  private accept(): boolean {
    if (this.closing) {
      this.counters.rejected++
      return false
    }
    if (this.openError !== undefined) {
      this.counters.refused++
      return false
    }
    this.marks.received++
    this.counters.events++
    if (this.state.leaving && !this.config.rejoinAfterLeave) {
      this.counters.ignoredAfterLeave++
      return false
    }
    return true
  }

  /** Stamps the arrival of the first change of a batch (for the append latency histogram). */
  private stamp(): void {
    if (!this.intake.hasPending()) this.intake.oldestAt = this.env.now()
  }

  private kick(): void {
    if (this.pumping || this.scheduled || this.closed) return
    this.scheduled = true
    this.env.defer(() => {
      this.scheduled = false
      void this.pump()
    })
  }

  alive(name: string, addr: string): void {
    if (!isWritableName(name) || addr.includes('\n') || addr.includes(' ')) {
      this.counters.rejected++
      this.marks.received++
      return
    }
    if (!this.accept()) return
    this.stamp()
    this.intake.member(name, addr)
    this.kick()
  }

  notAlive(name: string): void {
    if (!isWritableName(name)) {
      this.counters.rejected++
      this.marks.received++
      return
    }
    if (!this.accept()) return
    this.stamp()
    this.intake.member(name, null)
    this.kick()
  }

  /**
   * resync takes the member layer's complete alive set and records the difference from what the
   * snapshot holds (counting as one record message): `alive` for members that are new or moved,
   * `not-alive` for members the snapshot has as alive that are not in the set.
   */
  resync(members: ReadonlyArray<readonly [string, string]>): void {
    if (!this.accept()) return
    this.stamp()
    const wanted = new Map<string, string>()
    for (const [name, addr] of members) {
      if (isWritableName(name) && !addr.includes('\n') && !addr.includes(' ')) wanted.set(name, addr)
      else this.counters.rejected++
    }
    // Against what will be on disk once the pending changes are written: the state plus the intake.
    const effective = new Map(this.state.alive)
    this.intake.forEachMember((name, addr) => (addr === null ? effective.delete(name) : effective.set(name, addr)))
    for (const name of effective.keys()) if (!wanted.has(name)) this.intake.member(name, null)
    for (const [name, addr] of wanted) if (effective.get(name) !== addr) this.intake.member(name, addr)
    this.kick()
  }

  /** The member clock; recorded even after a leave, as Serf's clock ticker does. */
  memberClock(ltime: bigint): void {
    if (this.closing) {
      this.counters.rejected++
      return
    }
    if (this.openError !== undefined) {
      this.counters.refused++
      return
    }
    this.marks.received++
    this.counters.events++
    this.stamp()
    this.intake.memberClock(ltime)
    this.kick()
  }

  eventClock(ltime: bigint): void {
    if (!this.accept()) return
    this.stamp()
    this.intake.eventClockTo(ltime)
    this.kick()
  }

  queryClock(ltime: bigint): void {
    if (!this.accept()) return
    this.stamp()
    this.intake.queryClockTo(ltime)
    this.kick()
  }

  /**
   * leave records a graceful leave and resolves once the `leave` line is fsynced. Pending records
   * are written before it; unless rejoin-after-leave, the alive set is forgotten and later member
   * and event records are ignored (Serf's `leaving`).
   */
  leave(): Promise<SnapshotProgress> {
    if (this.closing) return Promise.reject(new SnapshotClosedError())
    if (this.openError !== undefined) return Promise.reject(this.openError)
    // Before the file is replayed the state is not known yet: apply the leave after it (once: the
    // open has settled by then, so the call below either proceeds or rejects with openError).
    if (this.file === undefined && this.opening !== undefined) return this.opening.then(() => this.leave())
    const drained = this.intake.drain(this.state)
    this.sealed += drained.text + LEAVE_LINE
    this.sealedLines += drained.lines + 1
    this.state.leaving = true
    if (!this.config.rejoinAfterLeave) this.state.alive.clear()
    this.counters.leaves++
    return this.sync()
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

  // ---- the serial pump: every operation on the live file happens here, one at a time -------

  private async pump(): Promise<void> {
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
  private catchUp(): void {
    this.marks.written = this.marks.received
    if (!this.dirty) this.marks.durable = this.marks.written
    this.settle()
  }

  private syncDue(): boolean {
    if (!this.dirty) return false
    if (this.syncWanted) return true
    return this.marks.syncWouldRelease()
  }

  private needSync(): boolean {
    if (!this.dirty && this.marks.durable >= this.marks.written) return false
    return this.syncWanted || this.marks.waiting > 0
  }

  private async writeBatch(): Promise<void> {
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

  private async doSync(): Promise<void> {
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

  /** settle resolves the waiters whose records are durable and reports progress. */
  private settle(): void {
    this.marks.settle()
    this.env.onProgress?.(this.progress())
  }

  // ---- compaction ---------------------------------------------------------------------------

  private threshold(): number {
    const estimate = this.state.alive.size * this.config.bytesPerNode * this.config.compactionThreshold
    return Math.max(this.config.minCompactionBytes, estimate)
  }

  private maybeCompact(): void {
    if (this.compaction === undefined && this.offset > this.threshold()) this.startCompaction()
  }

  /** startCompaction captures the state at this batch boundary and builds the new file meanwhile. */
  private startCompaction(): void {
    if (this.compaction !== undefined || this.closing || this.sealed !== '') return
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
        notice: (n) => this.env.onNotice?.(n),
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
  private async swap(run: Compaction): Promise<void> {
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
    // because the compacted content came from the in-memory state.
    this.marks.lostFrom = Infinity
    this.marks.durable = Math.max(this.marks.durable, this.marks.written)
    this.dirty = false
    this.counters.compactions++
    this.counters.fsyncs++
    const done = this.env.now()
    this.swapLatency.record(done - started)
    this.compactionLatency.record(done - run.startedAt)
    this.env.onNotice?.({ kind: 'compaction-finished', ms: done - run.startedAt, swapMs: done - started, fileBytes: this.offset })
    this.settle()
    try {
      await old.close()
    } catch (error) {
      this.counters.errors++
      this.env.onNotice?.({ kind: 'disk-error', op: 'close', error })
    }
  }

  /** recover: after a failed write, rewrite the file from memory, at most once per interval. */
  private recover(): void {
    if (this.closing || this.compaction !== undefined) return
    const wait = this.lastRecoveryAt + this.config.errorRecoveryIntervalMs - this.env.now()
    if (wait <= 0) {
      this.lastRecoveryAt = this.env.now()
      this.startCompaction()
      return
    }
    if (this.cancelRecovery !== undefined) return
    this.cancelRecovery = this.env.setTimer(() => {
      this.cancelRecovery = undefined
      this.recover()
    }, wait)
  }

  private armInterval(): void {
    this.cancelInterval = this.env.setTimer(() => {
      if (this.closing) return
      if (this.dirty) {
        this.syncWanted = true
        this.kick()
      }
      this.armInterval()
    }, this.config.fsyncIntervalMs)
  }

  // ---- shutdown -----------------------------------------------------------------------------

  /**
   * shutdown stops intake, drains every pending change, writes, fsyncs and closes the file within
   * `timeoutMs`. A compaction still building is abandoned (its temp file removed); one already
   * swapping finishes. What could not be made durable in time is reported by count.
   */
  shutdown(timeoutMs = this.config.shutdownTimeoutMs): Promise<ShutdownReport> {
    this.shuttingDown ??= this.doShutdown(timeoutMs)
    return this.shuttingDown
  }

  private shuttingDown: Promise<ShutdownReport> | undefined

  private async doShutdown(timeoutMs: number): Promise<ShutdownReport> {
    const started = this.env.now()
    if (this.file === undefined && this.opening !== undefined) await this.opening
    this.closing = true
    if (this.file === undefined) {
      // Never opened (or failed to): nothing can be written.
      this.closed = true
      this.marks.rejectAll(new SnapshotClosedError())
      return { clean: this.marks.received === 0, remaining: this.marks.received, received: this.marks.received, durableThrough: 0, elapsedMs: this.env.now() - started }
    }
    this.cancelInterval?.()
    this.cancelRecovery?.()
    const c = this.compaction
    c?.abort()
    let timedOut = false
    let cancelTimer: (() => void) | undefined
    const timeout = new Promise<void>((resolve) => {
      cancelTimer = this.env.setTimer(() => {
        timedOut = true
        resolve()
      }, timeoutMs)
    })
    const drained = (async () => {
      const through = this.marks.received
      // A compaction already built is installed first (its temp file must not be left behind).
      const built = c?.ready !== undefined
      if (built || this.marks.durableThrough() < through || this.sealed !== '' || this.intake.hasPending() || this.dirty) {
        this.syncWanted = true
        const done = this.marks.wait(through)
        this.kick()
        await done
      }
      if (c !== undefined) await c.done
    })()
    await Promise.race([drained.catch(() => undefined), timeout])
    cancelTimer?.()
    this.closed = true
    this.marks.rejectAll(new SnapshotClosedError())
    if (!this.pumping) await this.closeFile()
    const durable = this.marks.durableThrough()
    return {
      clean: !timedOut && durable >= this.marks.received,
      remaining: this.marks.received - durable,
      received: this.marks.received,
      durableThrough: durable,
      elapsedMs: this.env.now() - started,
    }
  }

  private async closeFile(): Promise<void> {
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
