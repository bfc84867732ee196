/**
 * SnapshotState: what the written snapshot says right now (Serf's aliveNodes, lastClock,
 * lastEventClock, lastQueryClock, leaving). It changes only when a batch is formed for writing, so
 * between batches it equals the file's replayed content, which is what compaction captures.
 */
import { aliveLine, clockText, LEAVE_LINE, notAliveLine } from './record.ts'
import type { ReplayResult } from './replay.ts'

export class SnapshotState {
  alive = new Map<string, string>()
  lastClock = 0n
  lastEventClock = 0n
  lastQueryClock = 0n
  /** A leave was recorded: later member and event records are ignored unless rejoin-after-leave. */
  leaving = false

  static fromReplay(r: ReplayResult): SnapshotState {
    const s = new SnapshotState()
    s.alive = new Map(r.aliveNodes)
    s.lastClock = r.lastClock
    s.lastEventClock = r.lastEventClock
    s.lastQueryClock = r.lastQueryClock
    return s
  }

  /** A frozen copy taken at a batch boundary, from which the compacted file is built. */
  capture(): CapturedState {
    return {
      alive: Array.from(this.alive),
      lastClock: this.lastClock,
      lastEventClock: this.lastEventClock,
      lastQueryClock: this.lastQueryClock,
      leaving: this.leaving,
    }
  }
}

export interface CapturedState {
  alive: Array<[string, string]>
  lastClock: bigint
  lastEventClock: bigint
  lastQueryClock: bigint
  leaving: boolean
}

/**
 * compactedText yields the compacted file in chunks of at most `chunkLines` lines: every alive
 * member, then the three clocks as Serf writes them, then `leave` if the node had left (Serf loses
 * that marker when it compacts; we keep it, so a compacted file replays like the original).
 */
export function* compactedText(state: CapturedState, chunkLines: number): Generator<string> {
  const alive = state.alive
  for (let i = 0; i < alive.length; i += chunkLines) {
    let text = ''
    const end = Math.min(alive.length, i + chunkLines)
    for (let j = i; j < end; j++) text += aliveLine(alive[j]![0], alive[j]![1])
    yield text
  }
  let tail =
    clockText('clock', state.lastClock) + clockText('event-clock', state.lastEventClock) + clockText('query-clock', state.lastQueryClock)
  if (state.leaving) tail += LEAVE_LINE
  yield tail
}

/**
 * deltaText: the lines that take a file replaying to `from` (a captured state) to `to` (the live
 * state, same leave status): one line per member whose entry differs, then the clocks that moved.
 * Its size is bounded by the number of members, whatever the number of events in between.
 */
export function deltaText(from: CapturedState, to: SnapshotState): string {
  let text = ''
  const before = new Map(from.alive)
  for (const [name, addr] of to.alive) if (before.get(name) !== addr) text += aliveLine(name, addr)
  for (const name of before.keys()) if (!to.alive.has(name)) text += notAliveLine(name)
  if (to.lastClock !== from.lastClock) text += clockText('clock', to.lastClock)
  if (to.lastEventClock !== from.lastEventClock) text += clockText('event-clock', to.lastEventClock)
  if (to.lastQueryClock !== from.lastQueryClock) text += clockText('query-clock', to.lastQueryClock)
  return text
}
