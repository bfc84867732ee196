/**
 * Intake: the changes received but not yet written, coalesced so its memory is bounded by the number
 * of members (one pending entry per member, one per clock), never by the number of events. When the
 * disk falls behind, a member that changes again simply has its pending entry replaced (and the
 * replacement counted): the sender never waits and the final state is never lost. Entries keep the
 * order of their first pending change; per member only the latest state matters (last line wins on
 * replay), so the order within one member is preserved.
 */
import { Drain, type MemberChange } from './drain.ts'
import type { SnapshotState } from './snapshot-state.ts'

export class Intake {
  private members = new Map<string, MemberChange>()
  private clock: bigint | undefined
  private eventClock: bigint | undefined
  private queryClock: bigint | undefined
  /** Changes replaced by a newer one before they were written. */
  coalesced = 0
  /**
   * When the oldest pending change arrived (ms on the injected clock), or -1 if none is pending.
   * The caller stamps it when it offers into an empty intake (one clock read per batch, not per
   * record).
   */
  oldestAt = -1
  /** Set when anything was offered since the last drain (a no-op clock included). */
  private pending = false

  get depth(): number {
    return this.members.size + (this.clock === undefined ? 0 : 1) + (this.eventClock === undefined ? 0 : 1) + (this.queryClock === undefined ? 0 : 1)
  }

  hasPending(): boolean {
    return this.pending
  }

  member(name: string, change: MemberChange): void {
    this.pending = true
    const had = this.members.size
    this.members.set(name, change)
    if (this.members.size === had) this.coalesced++
  }

  memberClock(ltime: bigint): void {
    this.pending = true
    if (this.clock !== undefined) {
      this.coalesced++
      if (ltime <= this.clock) return
    }
    this.clock = ltime
  }

  eventClockTo(ltime: bigint): void {
    this.pending = true
    if (this.eventClock !== undefined) {
      this.coalesced++
      if (ltime <= this.eventClock) return
    }
    this.eventClock = ltime
  }

  queryClockTo(ltime: bigint): void {
    this.pending = true
    if (this.queryClock !== undefined) {
      this.coalesced++
      if (ltime <= this.queryClock) return
    }
    this.queryClock = ltime
  }

  /** Visits the pending member changes (address, or null for not alive). */
  forEachMember(visit: (name: string, addr: string | null) => void): void {
    for (const [name, addr] of this.members) visit(name, addr)
  }

  /**
   * take empties the intake into a Drain (written a piece at a time, see drain.ts); the intake
   * takes new changes into fresh entries meanwhile.
   */
  take(): Drain {
    const drain = new Drain(this.members, this.clock, this.eventClock, this.queryClock, this.oldestAt)
    this.members = new Map()
    this.clock = this.eventClock = this.queryClock = undefined
    this.oldestAt = -1
    this.pending = false
    return drain
  }

  /**
   * drain empties the intake into record text at once and applies it to `state`, with Serf's
   * filters: clocks are written only when they advance. Returns the text and its number of lines.
   */
  drain(state: SnapshotState): { text: string; lines: number } {
    const { text, lines } = this.take().next(state, Infinity)
    return { text, lines }
  }
}
