/**
 * Lifeguard's suspicion timeout (spec §4.5). The timer starts at `max` and shrinks logarithmically
 * toward `min` as independent confirmations (suspect messages from distinct accusers) arrive, so a
 * node suspected by many peers is declared dead sooner, and a lone accuser (perhaps the slow one)
 * cannot kill anyone quickly. This file holds only math and data: the caller owns the timer.
 */

/** Bounds and expected confirmations for a cluster of `n` nodes. */
export interface SuspicionBounds {
  minMs: number
  maxMs: number
  /** Independent confirmations expected before the timeout reaches `minMs`. */
  k: number
}

/**
 * suspicionBounds computes memberlist's min/max and k for n nodes (n counts every entry of the
 * node table, suspect and dead ones included). Scale is floored to thousandths as Go does.
 */
export function suspicionBounds(n: number, suspicionMult: number, maxTimeoutMult: number, probeIntervalMs: number): SuspicionBounds {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, n)))
  const minMs = Math.floor((suspicionMult * Math.floor(nodeScale * 1000) * probeIntervalMs) / 1000)
  const maxMs = maxTimeoutMult * minMs
  let k = suspicionMult - 2
  if (n - 2 < k) k = 0
  return { minMs, maxMs, k: Math.max(0, k) }
}

/**
 * remainingSuspicionTime: with `confirmations` of `k` expected, the time left after `elapsedMs`.
 * Zero or negative means the suspicion has expired.
 */
export function remainingSuspicionTime(confirmations: number, k: number, elapsedMs: number, minMs: number, maxMs: number): number {
  const frac = k <= 0 ? 1 : Math.log(confirmations + 1) / Math.log(k + 1)
  const raw = maxMs - frac * (maxMs - minMs)
  const timeout = Math.max(minMs, Math.floor(raw))
  return timeout - elapsedMs
}

/** One running suspicion about one node. */
export class Suspicion {
  private readonly confirmedBy = new Set<string>()
  private confirmations = 0

  /**
   * @param from the first accuser (does not count as a confirmation)
   * @param startMs when the node became suspect
   */
  constructor(
    readonly from: string,
    readonly startMs: number,
    readonly bounds: SuspicionBounds,
  ) {
    this.confirmedBy.add(from)
  }

  /** Absolute time at which the suspicion expires given the confirmations so far. */
  deadlineMs(): number {
    const { k, minMs, maxMs } = this.bounds
    // With k = 0 nobody is expected to confirm: the timer runs at the minimum (spec §4.5).
    const timeout = k < 1 ? minMs : remainingSuspicionTime(this.confirmations, k, 0, minMs, maxMs)
    return this.startMs + timeout
  }

  /**
   * Counts a suspect message from `from`. Returns true for a new, distinct confirmation (the
   * caller re-broadcasts it and re-arms its timer at `deadlineMs()`), false for a duplicate or
   * once k confirmations are in.
   */
  confirm(from: string): boolean {
    if (this.confirmations >= this.bounds.k) return false
    if (this.confirmedBy.has(from)) return false
    this.confirmedBy.add(from)
    this.confirmations++
    return true
  }

  getConfirmations(): number {
    return this.confirmations
  }
}
