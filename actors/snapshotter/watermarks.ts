/**
 * Watermarks: running counts of record messages received, written to the OS and fsynced, and the
 * callers waiting for a count to become durable. A failed append holds both marks below the lost
 * batch until a compaction (rebuilt from memory) has rewritten it.
 */
import type { SnapshotProgress } from './protocol.ts'

interface Waiter {
  through: number
  resolve: (p: SnapshotProgress) => void
  reject: (err: unknown) => void
}

export class Watermarks {
  received = 0
  written = 0
  durable = 0
  /** First record of a batch whose append failed (Infinity when none is lost). */
  lostFrom = Infinity
  private waiters: Waiter[] = []

  writtenThrough(): number {
    return Math.min(this.written, this.lostFrom - 1)
  }

  durableThrough(): number {
    return Math.min(this.durable, this.lostFrom - 1)
  }

  progress(): SnapshotProgress {
    return { received: this.received, writtenThrough: this.writtenThrough(), durableThrough: this.durableThrough() }
  }

  /** Resolves once every record up to `through` is durable. */
  wait(through: number): Promise<SnapshotProgress> {
    return new Promise((resolve, reject) => this.waiters.push({ through, resolve, reject }))
  }

  get waiting(): number {
    return this.waiters.length
  }

  /** Some waiter only needs an fsync (its records are written). */
  syncWouldRelease(): boolean {
    for (const w of this.waiters) if (w.through <= this.written) return true
    return false
  }

  /** Resolves the waiters whose records are durable now. */
  settle(): void {
    if (this.waiters.length === 0) return
    const durable = this.durableThrough()
    const keep: Waiter[] = []
    for (const w of this.waiters) {
      if (w.through <= durable) w.resolve(this.progress())
      else keep.push(w)
    }
    this.waiters = keep
  }

  rejectAll(err: unknown): void {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w.reject(err)
  }
}
