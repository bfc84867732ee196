/**
 * DiskFault: the failure the live file's writes are stuck on, and its repair. Entering it tells
 * everyone waiting for durability at once (a coded error, not a timeout), keeps the failed append
 * to re-do, and schedules a retry; `recovered` ends it and wakes whoever waits for the repair (a
 * shutdown). What a retry does is the pump's business (writer-pump.ts); this part only keeps the
 * state and the timer.
 */
import { toWireError, type WireError } from '../../src/errors/index.ts'
import { SnapshotDiskError, type DiskOp } from './disk-error.ts'
import type { WriterNotice } from './writer-types.ts'

/** An append that failed: these bytes belong at the file's good length. */
export interface FailedAppend {
  chunks: Uint8Array[]
  size: number
  lines: number
  /** The record count it completes (its drain's last piece), if any. */
  through: number | undefined
  oldestAt: number
}

export interface DiskFaultDeps {
  path: string
  /** Retry period (ms). */
  retryMs: number
  now(): number
  setTimer(fn: () => void, ms: number): () => void
  notice(n: WriterNotice): void
  /** Counts a failed disk operation. */
  countError(): void
  /** Everyone waiting for durability learns the error. */
  rejectWaiters(err: unknown): void
  /** The retry timer fired: the pump should run. */
  onRetryDue(): void
}

export class DiskFault {
  /** The failure writes are stuck on; sync and leave reject with it until it is repaired. */
  error: SnapshotDiskError | undefined
  /** The most recent failure of any disk operation (stats), kept after it is over. */
  last: WireError | undefined
  /** The append to re-do after cutting the file back to its good length (an append failed). */
  failedAppend: FailedAppend | undefined
  /** An fsync failed: what was written since the last good one may be lost; rewrite from memory. */
  fsyncFailed = false
  /** The retry timer fired: the pump tries the repair at its next step. */
  retryDue = false
  private since = 0
  private cancelRetry: (() => void) | undefined
  private waiters: Array<() => void> = []
  private ended = false

  constructor(private readonly deps: DiskFaultDeps) {}

  fail(op: DiskOp, cause: unknown): void {
    const err = new SnapshotDiskError(op, this.deps.path, cause)
    this.deps.countError()
    if (this.error === undefined) this.since = this.deps.now()
    this.error = err
    this.last = toWireError(err)
    this.deps.notice({ kind: 'disk-error', op, error: err })
    this.deps.rejectWaiters(err)
    this.scheduleRetry()
  }

  /** A failure outside the live file's writes (a compaction's): remembered for stats only. */
  note(error: unknown): void {
    this.last = toWireError(error)
  }

  scheduleRetry(): void {
    if (this.cancelRetry !== undefined || this.ended) return
    this.cancelRetry = this.deps.setTimer(() => {
      this.cancelRetry = undefined
      this.retryDue = true
      this.deps.onRetryDue()
    }, this.deps.retryMs)
  }

  /** The failing write was repaired: writing resumes, waiters of a shutdown go on. */
  recovered(): void {
    const err = this.error
    if (err === undefined) return
    this.error = undefined
    this.fsyncFailed = false
    this.retryDue = false
    this.cancelRetry?.()
    this.cancelRetry = undefined
    this.deps.notice({ kind: 'disk-recovered', op: String(err.details?.['op']), failedForMs: this.deps.now() - this.since })
    this.wake()
  }

  /** Resolves when the current error is repaired (at once when there is none), or at `end`. */
  untilRecovered(): Promise<void> {
    if (this.error === undefined || this.ended) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  /** The writer closed: no retry any more, and whoever waits for a repair is woken. */
  end(): void {
    this.ended = true
    this.cancelRetry?.()
    this.cancelRetry = undefined
    this.wake()
  }

  private wake(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }
}
