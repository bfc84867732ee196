/**
 * A bounded single-reader async queue for the client's streams: `push` never blocks (a record past
 * `limit` is dropped and counted in `dropped`), `end(err?)` finishes the reader (with an error when
 * the connection failed). Breaking out of a `for await` calls `onReturn` (the client sends `stop`).
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = []
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (err: unknown) => void } | null = null
  private finished = false
  private failure: unknown = undefined
  dropped = 0

  constructor(
    private readonly limit: number,
    private readonly onReturn: () => void = () => {},
  ) {}

  get ended(): boolean {
    return this.finished
  }

  push(item: T): void {
    if (this.finished) return
    if (this.waiter !== null) {
      const w = this.waiter
      this.waiter = null
      w.resolve({ value: item, done: false })
    } else if (this.items.length >= this.limit) this.dropped++
    else this.items.push(item)
  }

  end(err?: unknown): void {
    if (this.finished) return
    this.finished = true
    this.failure = err
    const w = this.waiter
    this.waiter = null
    if (w === null) return
    if (err === undefined) w.resolve({ value: undefined, done: true })
    else w.reject(err)
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false })
        if (this.finished) return this.failure === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(this.failure)
        return new Promise((resolve, reject) => {
          this.waiter = { resolve, reject }
        })
      },
      return: () => {
        if (!this.finished) {
          this.end()
          this.onReturn()
        }
        return Promise.resolve({ value: undefined, done: true })
      },
    }
  }
}
