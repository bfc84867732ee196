/**
 * A bounded stream that keeps the newest items: when `capacity` items wait, the oldest is dropped
 * (counted in `dropped`) to make room. For `node.assignments()`, where only the newest assignment
 * matters to a slow reader (QueueStream, which drops the newest as Serf's event streams do, would
 * leave it holding a stale one). Ends like QueueStream: `end()`, the reader's AbortSignal, or the
 * reader leaving its loop; `onClose` hooks run once.
 */
import type { BoundedStream } from './api.ts'

export class LatestStream<T> implements BoundedStream<T> {
  #items: T[] = []
  #waiting: ((r: IteratorResult<T>) => void) | undefined
  #ended = false
  #dropped = 0
  #closeHooks: (() => void)[] = []
  #signal: AbortSignal | undefined
  #onAbort = (): void => this.end()

  constructor(
    readonly capacity: number,
    signal?: AbortSignal,
  ) {
    if (signal !== undefined) {
      this.#signal = signal
      if (signal.aborted) this.end()
      else signal.addEventListener('abort', this.#onAbort, { once: true })
    }
  }

  get dropped(): number {
    return this.#dropped
  }

  get ended(): boolean {
    return this.#ended
  }

  get depth(): number {
    return this.#items.length
  }

  onClose(f: () => void): void {
    if (this.#ended) f()
    else this.#closeHooks.push(f)
  }

  /** Offers one item; the oldest waiting one is dropped (counted) when full. False once ended. */
  push(item: T): boolean {
    if (this.#ended) return false
    const w = this.#waiting
    if (w !== undefined) {
      this.#waiting = undefined
      w({ value: item, done: false })
      return true
    }
    if (this.#items.length >= this.capacity) {
      this.#items.shift()
      this.#dropped++
    }
    this.#items.push(item)
    return true
  }

  end(): void {
    if (this.#ended) return
    this.#ended = true
    this.#signal?.removeEventListener('abort', this.#onAbort)
    const w = this.#waiting
    this.#waiting = undefined
    if (w !== undefined) w({ value: undefined, done: true })
    const hooks = this.#closeHooks
    this.#closeHooks = []
    for (const f of hooks) f()
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.#items.length > 0) return Promise.resolve({ value: this.#items.shift()!, done: false })
        if (this.#ended || this.#waiting !== undefined) return Promise.resolve({ value: undefined, done: true })
        return new Promise((resolve) => (this.#waiting = resolve))
      },
      return: () => {
        this.#items = []
        this.end()
        return Promise.resolve({ value: undefined, done: true })
      },
    }
  }
}
