/**
 * Phi accrual failure detector (Hayashibara, Défago, Yared, Katayama, SRDS 2004).
 *
 * φ(t) = −log10(P_later(t − t_last)), where P_later is the tail of a normal distribution fitted to a
 * sliding window of inter-arrival times of "signs of life" from one node. Suspecting at φ ≥ Φ means
 * the model gives about a 10^−Φ chance that the node is in fact alive. As in Akka, the acceptable
 * pause is added to the mean and the standard deviation has a floor, so a perfectly regular history
 * is not hair-trigger. The normal tail uses the logistic approximation Akka uses (error < 0.0002).
 *
 * In Gossamer's SWIM, "signs of life" are packets received from the node and acks for probes of it;
 * the detector replaces only the final step (suspect → dead) of Lifeguard's suspicion timer.
 */
export interface PhiAccrualOptions {
  windowSize: number
  minStdDevMs: number
  acceptablePauseMs: number
  /** Assumed mean inter-arrival before any sample exists (bootstraps the window with 2 samples). */
  firstHeartbeatEstimateMs: number
}

export class PhiAccrualDetector {
  private readonly intervals: number[] = []
  private head = 0
  private sum = 0
  private sumSquares = 0
  private lastMs: number | undefined

  constructor(private readonly options: PhiAccrualOptions) {}

  /** Records a sign of life at `nowMs`. Non-increasing times add no sample. */
  heartbeat(nowMs: number): void {
    if (this.lastMs === undefined) {
      // Bootstrap like Akka: two samples around the estimate so φ is defined from the start.
      const est = this.options.firstHeartbeatEstimateMs
      const dev = est / 4
      this.addSample(est - dev)
      this.addSample(est + dev)
    } else if (nowMs > this.lastMs) {
      this.addSample(nowMs - this.lastMs)
    }
    this.lastMs = this.lastMs === undefined ? nowMs : Math.max(this.lastMs, nowMs)
  }

  /** φ at `nowMs`; 0 before the first heartbeat. */
  phi(nowMs: number): number {
    if (this.lastMs === undefined) return 0
    const elapsed = Math.max(0, nowMs - this.lastMs)
    const n = this.intervals.length
    const mean = this.sum / n
    const variance = Math.max(0, this.sumSquares / n - mean * mean)
    const std = Math.max(Math.sqrt(variance), this.options.minStdDevMs)
    return phiOf(elapsed, mean + this.options.acceptablePauseMs, std)
  }

  /** Time of the last sign of life, if any. */
  lastHeartbeatMs(): number | undefined {
    return this.lastMs
  }

  sampleCount(): number {
    return this.intervals.length
  }

  private addSample(interval: number): void {
    if (this.intervals.length < this.options.windowSize) {
      this.intervals.push(interval)
    } else {
      const old = this.intervals[this.head]!
      this.sum -= old
      this.sumSquares -= old * old
      this.intervals[this.head] = interval
      this.head = (this.head + 1) % this.options.windowSize
    }
    this.sum += interval
    this.sumSquares += interval * interval
  }
}

/** φ for `elapsed` given a normal inter-arrival distribution N(mean, std²). */
export function phiOf(elapsedMs: number, meanMs: number, stdMs: number): number {
  const y = (elapsedMs - meanMs) / stdMs
  const e = Math.exp(-y * (1.5976 + 0.070566 * y * y))
  const pLater = elapsedMs > meanMs ? e / (1 + e) : 1 - 1 / (1 + e)
  // Far in the tail pLater underflows to 0: φ is then effectively infinite.
  if (pLater <= 0) return Number.POSITIVE_INFINITY
  return -Math.log10(pLater)
}
