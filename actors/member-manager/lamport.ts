/**
 * LamportClock: Serf's u64 Lamport clock (spec §5.3). Serf keeps three (member, event, query); each
 * is a separate instance. Values are bigint because the wire type is u64 and a peer may send any value.
 */
import type { LamportTime } from './protocol.ts'

export const MAX_LAMPORT_TIME: LamportTime = (1n << 64n) - 1n

export class LamportClock {
  /** Plain data (no private #field) so a structured clone of the clock keeps it. */
  private current: LamportTime

  constructor(start: LamportTime = 0n) {
    this.current = start
  }

  /** Rebuilds a clock from its data (a structured clone of a LamportClock loses the prototype). */
  static from(data: { current: LamportTime }): LamportClock {
    return new LamportClock(data.current)
  }

  /** The current value (Serf `Time()`). */
  time(): LamportTime {
    return this.current
  }

  /** Adds one and returns the new value (Serf `Increment()`); saturates at 2^64 − 1. */
  increment(): LamportTime {
    if (this.current < MAX_LAMPORT_TIME) this.current += 1n
    return this.current
  }

  /** Moves past an observed time: if `v ≥ current`, current becomes v + 1 (Serf `Witness`). */
  witness(v: LamportTime): void {
    if (v < this.current) return
    this.current = v >= MAX_LAMPORT_TIME ? MAX_LAMPORT_TIME : v + 1n
  }
}
