/**
 * PendingText: the records waiting to be written, in the order they go to the file: the text a
 * leave sealed (everything received before the leave, then the `leave` line), the drain being
 * written a piece at a time, then the coalescing intake. The pump takes pieces from it; a leave
 * seals it; a resync looks through it for what the file will say once it is written.
 */
import type { Drain, MemberChange } from './drain.ts'
import { Intake } from './intake.ts'
import { LEAVE_LINE } from './record.ts'
import type { SnapshotState } from './snapshot-state.ts'

/** A drain goes out in at most this many pieces however big (each at least `writeStepLines`). */
export const MAX_STEPS_PER_DRAIN = 4

/** Record text to append; `through` is the record count it completes (its drain's last piece). */
export interface Piece {
  text: string
  lines: number
  through: number | undefined
  /** When the oldest change in it arrived (ms), or -1 when unknown. */
  oldestAt: number
}

export class PendingText {
  readonly intake = new Intake()
  /** The drain being written (at most one; the intake refills meanwhile) and the count it completes. */
  private cycle: { drain: Drain; through: number } | undefined
  /** Record text made before a leave (it must reach the file before the `leave` line). */
  private sealed = ''
  private sealedLines = 0
  /** The record count the sealed text completes (everything received before the leave). */
  private sealedThrough = 0

  /** Record text waits to be written: the sealed text, a drain in progress, or the intake. */
  hasWork(): boolean {
    return this.sealed !== '' || this.cycle !== undefined || this.intake.hasPending()
  }

  hasSealed(): boolean {
    return this.sealed !== ''
  }

  /** Changes waiting (for the queue depth): the intake's and the drain's not formatted yet. */
  get depth(): number {
    return this.intake.depth + (this.cycle?.drain.remaining ?? 0)
  }

  /**
   * seal: a leave. Everything received before it goes before its line: the rest of the drain
   * being written, then the intake, applied to `state` now; `through` is the count they complete.
   */
  seal(state: SnapshotState, through: number): void {
    const rest = this.cycle?.drain.next(state, Infinity)
    this.cycle = undefined
    const drained = this.intake.drain(state)
    this.sealed += (rest?.text ?? '') + drained.text + LEAVE_LINE
    this.sealedLines += (rest?.lines ?? 0) + drained.lines + 1
    this.sealedThrough = through
  }

  /**
   * dropSealed: the sealed text is already in the state (a rewrite from memory carries it), so it
   * is not written; returns the count it completed, or undefined when nothing was sealed.
   */
  dropSealed(): number | undefined {
    if (this.sealed === '') return undefined
    this.sealed = ''
    this.sealedLines = 0
    return this.sealedThrough
  }

  /**
   * next: the following piece to append: the sealed text whole, else the next piece of the drain
   * (a new drain taken from the intake, completing `received`), at least `stepLines` member lines
   * and at most MAX_STEPS_PER_DRAIN pieces per drain. Applies it to `state`.
   */
  next(state: SnapshotState, received: number, stepLines: number): Piece {
    if (this.sealed !== '') {
      const piece = { text: this.sealed, lines: this.sealedLines, through: this.sealedThrough, oldestAt: -1 }
      this.sealed = ''
      this.sealedLines = 0
      return piece
    }
    this.cycle ??= { drain: this.intake.take(), through: received }
    const cycle = this.cycle
    const part = cycle.drain.next(state, Math.max(stepLines, Math.ceil(cycle.drain.size / MAX_STEPS_PER_DRAIN)))
    if (!part.done) return { text: part.text, lines: part.lines, through: undefined, oldestAt: -1 }
    this.cycle = undefined
    return { text: part.text, lines: part.lines, through: cycle.through, oldestAt: cycle.drain.oldestAt }
  }

  /** Visits the member changes not yet in the state, oldest first (the drain's, then the intake's). */
  forEachMember(visit: (name: string, addr: MemberChange) => void): void {
    this.cycle?.drain.forEachMember(visit)
    this.intake.forEachMember(visit)
  }
}
