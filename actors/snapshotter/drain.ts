/**
 * Drain: the changes the intake held at one moment, taken out whole (the intake starts empty again
 * and keeps taking records meanwhile) and turned into record text a bounded piece at a time. The
 * writer writes a big intake (a burst over many members) as several steps instead of one long
 * stall: between steps the thread answers messages, and a due fsync goes first.
 *
 * Order: members in the order of their first pending change, then the clocks that advanced, as
 * one whole drain did before. A member that changed again after the take is in the intake and is
 * written after this drain ends: per member, the last line still wins.
 */
import { aliveLine, clockText, notAliveLine } from './record.ts'
import type { SnapshotState } from './snapshot-state.ts'

/** Pending change of one member: its address if alive, null if not alive. */
export type MemberChange = string | null

export interface DrainPiece {
  text: string
  lines: number
  /** Nothing is left: this piece ends the drain. */
  done: boolean
}

export class Drain {
  private readonly entries: IterableIterator<[string, MemberChange]>
  private clocksDone = false
  private formatted = 0

  constructor(
    private readonly members: ReadonlyMap<string, MemberChange>,
    private readonly clock: bigint | undefined,
    private readonly eventClock: bigint | undefined,
    private readonly queryClock: bigint | undefined,
    /** When the oldest change in it arrived (ms on the writer's clock), or -1. */
    readonly oldestAt: number,
  ) {
    this.entries = members.entries()
  }

  /** Changes not formatted yet (for the queue depth). */
  get remaining(): number {
    const clocks = this.clocksDone ? 0 : (this.clock === undefined ? 0 : 1) + (this.eventClock === undefined ? 0 : 1) + (this.queryClock === undefined ? 0 : 1)
    return this.members.size - this.formatted + clocks
  }

  /** Visits every member change of the drain (those already written included: same values). */
  forEachMember(visit: (name: string, addr: MemberChange) => void): void {
    for (const [name, addr] of this.members) visit(name, addr)
  }

  /** Changes taken (members and clocks), written or not. */
  get size(): number {
    return this.members.size + (this.clock === undefined ? 0 : 1) + (this.eventClock === undefined ? 0 : 1) + (this.queryClock === undefined ? 0 : 1)
  }

  /**
   * next formats the following lines, at most `maxLines` member lines (the clocks come with the
   * last piece), and applies them to `state` with Serf's filter: a clock only when it advances.
   */
  next(state: SnapshotState, maxLines: number): DrainPiece {
    let text = ''
    let lines = 0
    while (lines < maxLines) {
      const step = this.entries.next()
      if (step.done === true) break
      const [name, addr] = step.value
      if (addr === null) {
        state.alive.delete(name)
        text += notAliveLine(name)
      } else {
        state.alive.set(name, addr)
        text += aliveLine(name, addr)
      }
      lines++
    }
    this.formatted += lines
    if (lines >= maxLines && this.formatted < this.members.size) return { text, lines, done: false }
    if (!this.clocksDone) {
      this.clocksDone = true
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
    }
    return { text, lines, done: true }
  }
}
