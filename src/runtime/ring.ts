/**
 * RingQueue: a FIFO on a power-of-two circular array. Mailboxes use it because push and shift are
 * O(1) without the re-indexing `Array.prototype.shift` does, and a drained queue keeps its storage.
 * It does not bound itself: the mailbox policy decides what fits.
 */
export class RingQueue<T> {
  #buf: (T | undefined)[]
  #head = 0
  #size = 0
  #mask: number

  constructor(initialCapacity = 16) {
    let cap = 16
    while (cap < initialCapacity) cap <<= 1
    this.#buf = new Array<T | undefined>(cap)
    this.#mask = cap - 1
  }

  get length(): number {
    return this.#size
  }

  push(item: T): void {
    if (this.#size === this.#buf.length) this.#grow()
    this.#buf[(this.#head + this.#size) & this.#mask] = item
    this.#size++
  }

  /** Puts an item back at the front (a message that must be handled next). */
  unshift(item: T): void {
    if (this.#size === this.#buf.length) this.#grow()
    this.#head = (this.#head - 1) & this.#mask
    this.#buf[this.#head] = item
    this.#size++
  }

  shift(): T | undefined {
    if (this.#size === 0) return undefined
    const item = this.#buf[this.#head]
    this.#buf[this.#head] = undefined
    this.#head = (this.#head + 1) & this.#mask
    this.#size--
    return item
  }

  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#buf[this.#head]
  }

  /**
   * Removes and returns the oldest item that `match` accepts (undefined if none), keeping the
   * others in order. O(position of that item): mailboxes use it to drop the oldest actor message
   * past the few runtime items (replies, snapshot reads) that may sit in front of it.
   */
  removeFirst(match: (item: T) => boolean): T | undefined {
    for (let i = 0; i < this.#size; i++) {
      const at = (this.#head + i) & this.#mask
      const item = this.#buf[at] as T
      if (!match(item)) continue
      // Close the gap by moving the i items in front of it one slot back.
      for (let j = i; j > 0; j--) this.#buf[(this.#head + j) & this.#mask] = this.#buf[(this.#head + j - 1) & this.#mask]
      this.#buf[this.#head] = undefined
      this.#head = (this.#head + 1) & this.#mask
      this.#size--
      return item
    }
    return undefined
  }

  /** Removes and returns every item, oldest first. */
  takeAll(): T[] {
    const out = new Array<T>(this.#size)
    for (let i = 0; i < out.length; i++) {
      const j = (this.#head + i) & this.#mask
      out[i] = this.#buf[j] as T
      this.#buf[j] = undefined
    }
    this.#head = 0
    this.#size = 0
    return out
  }

  clear(): void {
    this.takeAll()
  }

  #grow(): void {
    const old = this.#buf
    const next = new Array<T | undefined>(old.length * 2)
    for (let i = 0; i < this.#size; i++) next[i] = old[(this.#head + i) & this.#mask]
    this.#buf = next
    this.#head = 0
    this.#mask = next.length - 1
  }
}
