/**
 * Callers waiting for a link to reach a state (room in its mailbox; nothing waiting or in flight):
 * the link checks the state and wakes them all at once when it holds.
 */
export class LinkWaiters {
  #waiting: (() => void)[] = []

  get size(): number {
    return this.#waiting.length
  }

  /** Resolves at the next `wakeAll`. */
  wait(): Promise<void> {
    return new Promise((resolve) => this.#waiting.push(resolve))
  }

  wakeAll(): void {
    if (this.#waiting.length === 0) return
    const waiting = this.#waiting
    this.#waiting = []
    for (const w of waiting) w()
  }
}
