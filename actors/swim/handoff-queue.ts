/**
 * memberlist's handoff queues (spec §4.11): alive messages go to a high-priority queue; suspect,
 * dead and user messages to a low-priority one. Each holds at most `depth` entries; a message that
 * finds its queue full is dropped and counted. The handler drains high before low, newest first
 * (LIFO), one message at a time. Pings, acks, nacks and indirect pings never enter it: memberlist
 * answers them on the packet path.
 */
export class HandoffQueue<T> {
  private readonly high: T[] = []
  private readonly low: T[] = []
  droppedHigh = 0
  droppedLow = 0

  /** @param depth HandoffQueueDepth (1024 in every memberlist preset). */
  constructor(private readonly depth: number) {}

  /** Queues `item`; false (and counted) when its queue is full. */
  push(item: T, highPriority: boolean): boolean {
    const q = highPriority ? this.high : this.low
    if (q.length >= this.depth) {
      if (highPriority) this.droppedHigh++
      else this.droppedLow++
      return false
    }
    q.push(item)
    return true
  }

  /** The next message for the handler: newest high-priority one, else newest low-priority one. */
  pop(): T | undefined {
    return this.high.length > 0 ? this.high.pop() : this.low.pop()
  }

  size(): number {
    return this.high.length + this.low.length
  }

  clear(): void {
    this.high.length = 0
    this.low.length = 0
  }
}
