/**
 * The record intake of the SnapshotWriter: each record message (a member alive or not, a resync
 * of the alive set, the member, event and query clocks) is checked, counted and coalesced into
 * PendingText's intake in O(1), never waiting, and the pump is kicked. Separate from writer.ts
 * because these are the only calls on the event path: what they accept, refuse (after shutdown
 * began, after a failed open), reject (names or addresses that cannot be written) or ignore (after
 * a leave) is decided here, and counted in the writer's stats.
 */
import type { SnapshotterConfig } from './config.ts'
import type { SnapshotterCounters } from './metrics.ts'
import type { PendingText } from './pending.ts'
import { isWritableAddr, isWritableName } from './record.ts'
import type { SnapshotState } from './snapshot-state.ts'
import type { Watermarks } from './watermarks.ts'

export interface IntakeParts {
  config: Pick<SnapshotterConfig, 'rejoinAfterLeave'>
  now(): number
  counters: SnapshotterCounters
  state: SnapshotState
  marks: Watermarks
  pending: PendingText
  /** Wakes the pump: there is something to write. */
  kick(): void
  /** Shutdown has begun: records are rejected. */
  closing(): boolean
  /** The open failed: records are refused (they can never be written). */
  refusing(): boolean
}

export class WriterIntake {
  constructor(private readonly p: IntakeParts) {}

  private accept(): boolean {
    const { counters, marks } = this.p
    if (this.p.closing()) {
      counters.rejected++
      return false
    }
    if (this.p.refusing()) {
      counters.refused++
      return false
    }
    marks.received++
    counters.events++
    if (this.p.state.leaving && !this.p.config.rejoinAfterLeave) {
      counters.ignoredAfterLeave++
      return false
    }
    return true
  }

  /** Stamps the arrival of the first change of a batch (for the append latency histogram). */
  private stamp(): void {
    if (!this.p.pending.intake.hasPending()) this.p.pending.intake.oldestAt = this.p.now()
  }

  alive(name: string, addr: string): void {
    if (!isWritableAddr(addr)) {
      this.p.counters.rejected++
      this.p.marks.received++
      return
    }
    this.aliveAt(name, addr)
  }

  /**
   * aliveAt: `alive` for an address the caller formatted itself from validated IP bytes and port
   * (formatTcpAddr): always writable, so it is not parsed again on this hot path.
   */
  aliveAt(name: string, addr: string): void {
    this.#member(name, addr)
  }

  notAlive(name: string): void {
    this.#member(name, null)
  }

  /** One member record: `addr` alive there, null no longer alive. A name that cannot be written is rejected, counted. */
  #member(name: string, addr: string | null): void {
    if (!isWritableName(name)) {
      this.p.counters.rejected++
      this.p.marks.received++
      return
    }
    if (!this.accept()) return
    this.stamp()
    this.p.pending.intake.member(name, addr)
    this.p.kick()
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
      else this.p.counters.rejected++
    }
    // Against what will be on disk once the pending changes are written: the state, the drain
    // being written, then the intake.
    const effective = new Map(this.p.state.alive)
    this.p.pending.forEachMember((name, addr) => (addr === null ? effective.delete(name) : effective.set(name, addr)))
    const intake = this.p.pending.intake
    for (const name of effective.keys()) if (!wanted.has(name)) intake.member(name, null)
    for (const [name, addr] of wanted) if (effective.get(name) !== addr) intake.member(name, addr)
    this.p.kick()
  }

  /** The member clock; recorded even after a leave, as Serf's clock ticker does. */
  memberClock(ltime: bigint): void {
    if (this.p.closing()) {
      this.p.counters.rejected++
      return
    }
    if (this.p.refusing()) {
      this.p.counters.refused++
      return
    }
    this.p.marks.received++
    this.p.counters.events++
    this.stamp()
    this.p.pending.intake.memberClock(ltime)
    this.p.kick()
  }

  eventClock(ltime: bigint): void {
    if (!this.accept()) return
    this.stamp()
    this.p.pending.intake.eventClockTo(ltime)
    this.p.kick()
  }

  queryClock(ltime: bigint): void {
    if (!this.accept()) return
    this.stamp()
    this.p.pending.intake.queryClockTo(ltime)
    this.p.kick()
  }
}
