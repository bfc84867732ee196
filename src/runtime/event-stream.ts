/**
 * BoundedEventStream: the async iterator behind `ref.events(...)`. Events wait in a bounded buffer
 * for a consumer slower than the actor; when it is full the oldest is dropped and counted (its
 * `dropped`, and the actor's `stats().events.dropped` through `onDrop`), so a stalled consumer
 * costs at most `bufferSize` events of memory. It ends when the actor stops (after the buffered
 * events), when the signal aborts or when the consumer returns (the buffer is discarded then).
 */
import { RingQueue } from './ring.ts'
import type { EventStream } from './types.ts'

type Waiter<E> = (r: IteratorResult<E, undefined>) => void

export class BoundedEventStream<E> implements EventStream<E> {
  readonly #buffer = new RingQueue<E>(16)
  readonly #bufferSize: number
  readonly #onDrop: () => void
  readonly #onEnd: () => void
  readonly #signal: AbortSignal | undefined
  readonly #onAbort = (): void => this.#end(false)
  #waiters: Waiter<E>[] = []
  #ended = false
  #dropped = 0

  constructor(parts: {
    bufferSize: number
    signal?: AbortSignal | undefined
    /** One event dropped (buffer full). */
    onDrop: () => void
    /** The stream ended (any reason): its source forgets it. Called once. */
    onEnd: () => void
  }) {
    this.#bufferSize = parts.bufferSize
    this.#onDrop = parts.onDrop
    this.#onEnd = parts.onEnd
    this.#signal = parts.signal
    if (parts.signal?.aborted === true) this.#end(false)
    else parts.signal?.addEventListener('abort', this.#onAbort, { once: true })
  }

  get dropped(): number {
    return this.#dropped
  }

  get buffered(): number {
    return this.#buffer.length
  }

  get ended(): boolean {
    return this.#ended
  }

  /** Hands an event to a waiting consumer, or buffers it (dropping the oldest when full). */
  push(event: E): void {
    if (this.#ended) return
    const waiter = this.#waiters.shift()
    if (waiter !== undefined) {
      waiter({ value: event, done: false })
      return
    }
    if (this.#buffer.length >= this.#bufferSize) {
      this.#buffer.shift()
      this.#dropped++
      this.#onDrop()
    }
    this.#buffer.push(event)
  }

  /** The source is done (the actor stopped): the consumer still gets what is buffered, then the end. */
  finish(): void {
    this.#end(true)
  }

  next(): Promise<IteratorResult<E, undefined>> {
    if (this.#buffer.length > 0) return Promise.resolve({ value: this.#buffer.shift() as E, done: false })
    if (this.#ended) return Promise.resolve({ value: undefined, done: true })
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  /** The consumer stops (a `break` out of `for await`): the buffer is discarded. */
  return(): Promise<IteratorResult<E, undefined>> {
    this.#end(false)
    return Promise.resolve({ value: undefined, done: true })
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  #end(keepBuffered: boolean): void {
    if (!keepBuffered) this.#buffer.clear()
    if (this.#ended) return
    this.#ended = true
    this.#signal?.removeEventListener('abort', this.#onAbort)
    // Waiters exist only while the buffer is empty: each gets the end.
    for (const w of this.#waiters.splice(0)) w({ value: undefined, done: true })
    this.#onEnd()
  }
}
