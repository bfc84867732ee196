/**
 * A push-fed async iterable with a bound: items wait in a queue of at most `limit`; past it new
 * items are dropped and counted (`dropped`), so a slow reader never holds memory without bound.
 * It ends when `end()` is called, when the reader breaks out, or when `signal` aborts.
 */
import type { BoundedStream } from '../node/api.ts'

export class PushStream<T> implements BoundedStream<T> {
  #queue: T[] = []
  #waiting: ((r: IteratorResult<T>) => void) | undefined
  #ended = false
  #dropped = 0
  readonly #limit: number
  readonly #onEnd: (() => void) | undefined

  constructor(limit: number, options: { signal?: AbortSignal; onEnd?: () => void } = {}) {
    this.#limit = limit
    this.#onEnd = options.onEnd
    const signal = options.signal
    if (signal !== undefined) {
      if (signal.aborted) this.end()
      else signal.addEventListener('abort', () => this.end(), { once: true })
    }
  }

  get dropped(): number {
    return this.#dropped
  }

  get ended(): boolean {
    return this.#ended
  }

  /** Offers one item; false (and counted) when the queue is full or the stream ended. */
  push(item: T): boolean {
    if (this.#ended) return false
    const waiter = this.#waiting
    if (waiter !== undefined) {
      this.#waiting = undefined
      waiter({ value: item, done: false })
      return true
    }
    if (this.#queue.length >= this.#limit) {
      this.#dropped++
      return false
    }
    this.#queue.push(item)
    return true
  }

  /** No more items; what is queued is still delivered. Idempotent. */
  end(): void {
    if (this.#ended) return
    this.#ended = true
    const waiter = this.#waiting
    this.#waiting = undefined
    waiter?.({ value: undefined, done: true })
    this.#onEnd?.()
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const item = this.#queue.shift()
        if (item !== undefined || this.#queue.length > 0) return Promise.resolve({ value: item as T, done: false })
        if (this.#ended) return Promise.resolve({ value: undefined, done: true })
        return new Promise((resolve) => (this.#waiting = resolve))
      },
      return: () => {
        this.#queue.length = 0
        this.end()
        return Promise.resolve({ value: undefined, done: true })
      },
    }
  }
}
