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
 * tests (slow, failing or crashing on demand). Its parts, in layers: writer-base.ts (state),
 * writer-compaction.ts, writer-pump.ts (open, pump, sync), writer-shutdown.ts, and here the intake.
 */
import { isWritableAddr, isWritableName, LEAVE_LINE } from './record.ts'
import { ShutdownWriter } from './writer-shutdown.ts'
import { SnapshotClosedError, type SnapshotProgress } from './writer-types.ts'

export { SnapshotClosedError } from './writer-types.ts'
export type { ShutdownReport, SnapshotProgress, WriterEnv, WriterNotice } from './writer-types.ts'

export class SnapshotWriter extends ShutdownWriter {
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

  alive(name: string, addr: string): void {
    if (!isWritableName(name) || !isWritableAddr(addr)) {
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
      if (isWritableName(name) && isWritableAddr(addr)) wanted.set(name, addr)
      else this.counters.rejected++
    }
    // Against what will be on disk once the pending changes are written: the state, the drain
    // being written, then the intake.
    const effective = new Map(this.state.alive)
    const apply = (name: string, addr: string | null) => (addr === null ? effective.delete(name) : effective.set(name, addr))
    this.cycle?.drain.forEachMember(apply)
    this.intake.forEachMember(apply)
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
   * and event records are ignored (Serf's `leaving`). While a disk error is being repaired it
   * rejects with that error; the leave is still recorded and written once the disk recovers.
   */
  leave(): Promise<SnapshotProgress> {
    if (this.closing) return Promise.reject(new SnapshotClosedError())
    if (this.openError !== undefined) return Promise.reject(this.openError)
    // Before the file is replayed the state is not known yet: apply the leave after it (once: the
    // open has settled by then, so the call below either proceeds or rejects with openError).
    if (this.file === undefined && this.opening !== undefined) return this.opening.then(() => this.leave())
    // Everything received before the leave goes before its line: the rest of the drain being
    // written, then the intake.
    const rest = this.cycle?.drain.next(this.state, Infinity)
    this.cycle = undefined
    const drained = this.intake.drain(this.state)
    this.sealed += (rest?.text ?? '') + drained.text + LEAVE_LINE
    this.sealedLines += (rest?.lines ?? 0) + drained.lines + 1
    this.sealedThrough = this.marks.received
    this.state.leaving = true
    if (!this.config.rejoinAfterLeave) this.state.alive.clear()
    this.counters.leaves++
    return this.sync()
  }
}
