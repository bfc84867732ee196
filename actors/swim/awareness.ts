/**
 * Lifeguard's local health score (spec §4.4). A node that misses acks and nacks it expected is
 * probably the slow one itself, so it stretches its own probe interval and probe deadline instead
 * of accusing others. The score lies in [0, max − 1]; timeouts are multiplied by (score + 1).
 */
export class Awareness {
  private score = 0

  /** @param max awarenessMaxMultiplier (8 on LAN). */
  constructor(private readonly max: number) {}

  /** Adds `delta` (may be negative) and clamps to [0, max − 1]. Returns the new score. */
  applyDelta(delta: number): number {
    this.score = clampScore(this.score + delta, this.max)
    return this.score
  }

  getHealthScore(): number {
    return this.score
  }

  /** Scales a duration by (score + 1). */
  scaleTimeout(timeoutMs: number): number {
    return timeoutMs * (this.score + 1)
  }
}

export function clampScore(score: number, max: number): number {
  if (score < 0) return 0
  if (score > max - 1) return max - 1
  return score
}

/**
 * Score change after a probe round (spec §4.4): any ack → −1; otherwise the nacks we missed out
 * of those we asked for (never below 0: extra nacks do not make a failed probe a success, as in
 * memberlist, which only adds when fewer came), or +1 when no nack-capable peer was asked.
 */
export function probeAwarenessDelta(acked: boolean, expectedNacks: number, nacksReceived: number): number {
  if (acked) return -1
  if (expectedNacks > 0) return Math.max(0, expectedNacks - nacksReceived)
  return 1
}
