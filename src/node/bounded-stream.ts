/**
 * A bounded async iterable fed by a push side: the queue behind `events()` and `logs()`. A slow
 * reader never holds the node back: once `capacity` items wait, new ones are dropped and counted
 * (`dropped`), as Serf drops events for an IPC stream whose 512-slot buffer is full. The stream
 * ends when its owner calls `end()` (the node shuts down), when the reader's AbortSignal fires, or
 * when the reader leaves its loop (`return`); each end runs `onClose` once so the owner forgets it.
 */
import type { BoundedStream } from './api.ts'

/**
 * The open readers of a fan-out (the event hub, the log ring): a reader leaves the set when its
 * stream ends; after `close()` every reader has ended and one added later ends at once.
 */
export class ReaderSet<R extends { stream: Pick<QueueStream<unknown>, 'ended' | 'end' | 'onClose'> }> implements Iterable<R> {
  #readers = new Set<R>()
  #closed = false

  get size(): number {
    return this.#readers.size
  }

  /** Keeps `reader` until its stream ends (ends it now if the set is closed). */
  add(reader: R): void {
    if (this.#closed) reader.stream.end()
    if (reader.stream.ended) return
    this.#readers.add(reader)
    reader.stream.onClose(() => this.#readers.delete(reader))
  }

  [Symbol.iterator](): Iterator<R> {
    return this.#readers[Symbol.iterator]()
  }

  /** Ends every reader's stream; later ones end as they are added. */
  close(): void {
    this.#closed = true
    for (const r of [...this.#readers]) r.stream.end()
  }
}

/**
 * What a full buffer does with one more item: 'drop-newest' refuses it (Serf's event streams: the
 * reader sees events in order, with a gap counted); 'drop-oldest' makes room for it (node.assignments:
 * a slow reader wants the newest assignment, never a stale one). Either way the loss is counted.
 */
export type OverflowPolicy = 'drop-newest' | 'drop-oldest'

export class QueueStream<T> implements BoundedStream<T> {
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
    readonly overflow: OverflowPolicy = 'drop-newest',
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

  /** Items waiting for the reader now. */
  get depth(): number {
    return this.#items.length
  }

  /** Runs `f` once when the stream ends (at once if it has ended). */
  onClose(f: () => void): void {
    if (this.#ended) f()
    else this.#closeHooks.push(f)
  }

  /**
   * Offers one item; false when it was dropped (buffer full under 'drop-newest', counted) or the
   * stream has ended. Under 'drop-oldest' a full buffer drops its oldest item (counted) instead.
   */
  push(item: T): boolean {
    if (this.#ended) return false
    const w = this.#waiting
    if (w !== undefined) {
      this.#waiting = undefined
      w({ value: item, done: false })
      return true
    }
    if (this.#items.length >= this.capacity) {
      this.#dropped++
      if (this.overflow === 'drop-newest') return false
      this.#items.shift()
    }
    this.#items.push(item)
    return true
  }

  /** Ends the stream: the reader gets what is queued, then `done`. Idempotent. */
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
        const item = this.#items.shift()
        if (item !== undefined) return Promise.resolve({ value: item, done: false })
        if (this.#ended) return Promise.resolve({ value: undefined, done: true })
        // One reader: a second concurrent next() would replace the first's resolver and strand it.
        if (this.#waiting !== undefined) return Promise.resolve({ value: undefined, done: true })
        return new Promise((resolve) => (this.#waiting = resolve))
      },
      return: () => {
        // The reader left its loop: what is queued is thrown away, nothing more is buffered.
        this.#items = []
        this.end()
        return Promise.resolve({ value: undefined, done: true })
      },
    }
  }
}
