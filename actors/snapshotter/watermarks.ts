/**
 * Watermarks: running counts of record messages received, written to the OS and fsynced, and the
 * callers waiting for a count to become durable. A failed append holds both marks below the lost
 * batch until a compaction (rebuilt from memory) has rewritten it.
 */
import { ClusterError } from '../../src/errors/index.ts'
import type { SnapshotProgress } from './protocol.ts'

interface Waiter {
  through: number
  resolve: (p: SnapshotProgress) => void
  reject: (err: unknown) => void
}

/** Most callers waiting for durability at once; more are refused (a sync storm must not grow memory). */
export const MAX_DURABILITY_WAITERS = 65_536

export class TooManyWaitersError extends ClusterError {
  static override name = 'TooManyWaitersError'
  constructor() {
    super('ERR_SNAPSHOT_TOO_MANY_WAITERS', `more than ${MAX_DURABILITY_WAITERS} callers are waiting for durability`, { details: { max: MAX_DURABILITY_WAITERS } })
  }
}

export class Watermarks {
  received = 0
  written = 0
  durable = 0
  /** First record of a batch whose append failed (Infinity when none is lost). */
  lostFrom = Infinity
  /** Sorted by `through` (callers wait for the count received so far, which only grows). */
  private waiters: Waiter[] = []

  constructor(private readonly maxWaiters = MAX_DURABILITY_WAITERS) {}

  writtenThrough(): number {
    return Math.min(this.written, this.lostFrom - 1)
  }

  durableThrough(): number {
    return Math.min(this.durable, this.lostFrom - 1)
  }

  progress(): SnapshotProgress {
    return { received: this.received, writtenThrough: this.writtenThrough(), durableThrough: this.durableThrough() }
  }

  /** Resolves once every record up to `through` is durable; refused past the waiter bound. */
  wait(through: number): Promise<SnapshotProgress> {
    if (this.waiters.length >= this.maxWaiters) return Promise.reject(new TooManyWaitersError())
    return new Promise((resolve, reject) => {
      const w = { through, resolve, reject }
      // Almost always appended at the end; an out-of-order one is inserted in place.
      let i = this.waiters.length
      while (i > 0 && this.waiters[i - 1]!.through > through) i--
      if (i === this.waiters.length) this.waiters.push(w)
      else this.waiters.splice(i, 0, w)
    })
  }

  get waiting(): number {
    return this.waiters.length
  }

  /** Some waiter only needs an fsync (its records are written): the first one, as they are sorted. */
  syncWouldRelease(): boolean {
    return this.waiters.length > 0 && this.waiters[0]!.through <= this.written
  }

  /** Resolves the waiters whose records are durable now (a prefix of the sorted list). */
  settle(): void {
    if (this.waiters.length === 0) return
    const durable = this.durableThrough()
    let n = 0
    while (n < this.waiters.length && this.waiters[n]!.through <= durable) n++
    if (n === 0) return
    const done = this.waiters.splice(0, n)
    const p = this.progress()
    for (const w of done) w.resolve(p)
  }

  rejectAll(err: unknown): void {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w.reject(err)
  }
}
