/**
 * Per-peer moving median of RTT samples (Serf's latencyFilter, spec §7): the last `size` samples
 * of each peer, and the update uses their median, so one delayed ack does not throw the
 * coordinate. With an even count the upper middle sample is taken, as Serf does. The number of
 * peers tracked is bounded (ours): past `maxNodes` the peer sampled least recently is dropped.
 */
export class LatencyFilter {
  /** Peer name → its recent samples (seconds), oldest first. Map order = least recently sampled first. */
  private readonly samples = new Map<string, number[]>()
  private evicted = 0

  /**
   * @param size samples kept per peer (≥ 1; Serf: 3)
   * @param maxNodes peers tracked at once (≥ 1)
   */
  constructor(
    private readonly size: number,
    private readonly maxNodes: number,
  ) {}

  /** Records `sample` (seconds) for `node` and returns the median of its window. */
  add(node: string, sample: number): number {
    let window = this.samples.get(node)
    if (window === undefined) {
      if (this.samples.size >= this.maxNodes) {
        const oldest = this.samples.keys().next().value as string
        this.samples.delete(oldest)
        this.evicted++
      }
      window = []
    } else {
      this.samples.delete(node) // re-inserted below: most recently sampled last
    }
    window.push(sample)
    if (window.length > this.size) window.shift()
    this.samples.set(node, window)
    const sorted = [...window].sort((a, b) => a - b)
    return sorted[sorted.length >> 1]!
  }

  /** Drops `node`'s samples (the member left or was reaped). True when there were any. */
  forget(node: string): boolean {
    return this.samples.delete(node)
  }

  /** The samples held for `node`, oldest first (a copy). */
  samplesOf(node: string): number[] {
    return [...(this.samples.get(node) ?? [])]
  }

  /** Peers with samples. */
  get nodes(): number {
    return this.samples.size
  }

  /** Peers dropped to stay within maxNodes. */
  get evictions(): number {
    return this.evicted
  }
}
