/**
 * Intake: the changes received but not yet written, coalesced so its memory is bounded by the number
 * of members (one pending entry per member, one per clock), never by the number of events. When the
 * disk falls behind, a member that changes again simply has its pending entry replaced (and the
 * replacement counted): the sender never waits and the final state is never lost. Entries keep the
 * order of their first pending change; per member only the latest state matters (last line wins on
 * replay), so the order within one member is preserved.
 */
import { aliveLine, clockText, notAliveLine } from './record.ts'
import type { SnapshotState } from './snapshot-state.ts'

/** Pending change of one member: its address if alive, null if not alive. */
type MemberChange = string | null

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
   * drain empties the intake into record text and applies it to `state`, with Serf's filters:
   * clocks are written only when they advance. Returns the text and its number of lines.
   */
  drain(state: SnapshotState): { text: string; lines: number } {
    let text = ''
    let lines = 0
    for (const [name, addr] of this.members) {
      if (addr === null) {
        state.alive.delete(name)
        text += notAliveLine(name)
      } else {
        state.alive.set(name, addr)
        text += aliveLine(name, addr)
      }
      lines++
    }
    this.members.clear()
    if (this.clock !== undefined && this.clock > state.lastClock) {
      state.lastClock = this.clock
      text += clockText('clock', this.clock)
      lines++
    }
    if (this.eventClock !== undefined && this.eventClock > state.lastEventClock) {
      state.lastEventClock = this.eventClock
      text += clockText('event-clock', this.eventClock)
      lines++
    }
    if (this.queryClock !== undefined && this.queryClock > state.lastQueryClock) {
      state.lastQueryClock = this.queryClock
      text += clockText('query-clock', this.queryClock)
      lines++
    }
    this.clock = this.eventClock = this.queryClock = undefined
    this.oldestAt = -1
    this.pending = false
    return { text, lines }
  }
}
