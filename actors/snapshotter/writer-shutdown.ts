/**
 * Shutdown of the SnapshotWriter: stop intake, drain, write, fsync and close within a timeout, and
 * report by count what could not be made durable, and the disk error that kept it, if any. A
 * failing disk is retried on its timer until the timeout. Nothing runs after it.
 */
import { toWireError } from '../../src/errors/index.ts'
import { SnapshotDiskError } from './disk-error.ts'
import { PumpingWriter } from './writer-pump.ts'
import { SnapshotClosedError, type ShutdownReport } from './writer-types.ts'

export abstract class ShutdownWriter extends PumpingWriter {
  /**
   * shutdown stops intake, drains every pending change, writes, fsyncs and closes the file within
   * `timeoutMs`. A compaction still building is abandoned (its temp file removed); one already
   * swapping finishes. What could not be made durable in time is reported by count; the report is
   * clean only if everything received is durable and no disk error is outstanding.
   */
  shutdown(timeoutMs = this.config.shutdownTimeoutMs): Promise<ShutdownReport> {
    this.shuttingDown ??= this.doShutdown(timeoutMs)
    return this.shuttingDown
  }

  protected shuttingDown: Promise<ShutdownReport> | undefined

  protected async doShutdown(timeoutMs: number): Promise<ShutdownReport> {
    const started = this.env.now()
    if (this.file === undefined && this.opening !== undefined) await this.opening
    this.closing = true
    if (this.file === undefined) {
      // Never opened (or failed to): nothing can be written.
      this.closed = true
      this.marks.rejectAll(new SnapshotClosedError())
      return { clean: this.marks.received === 0, remaining: this.marks.received, received: this.marks.received, durableThrough: 0, elapsedMs: this.env.now() - started }
    }
    this.cancelInterval?.()
    const c = this.compaction
    // A compaction that is the repair of a failed fsync is needed: it is not abandoned.
    if (!this.fsyncFailed) c?.abort()
    let timedOut = false
    let cancelTimer: (() => void) | undefined
    const timeout = new Promise<void>((resolve) => {
      cancelTimer = this.env.setTimer(() => {
        timedOut = true
        resolve()
      }, timeoutMs)
    })
    const through = this.marks.received
    const drained = (async () => {
      for (;;) {
        // A compaction already built is installed first (its temp file must not be left behind).
        const built = c?.ready !== undefined
        if (!built && this.marks.durableThrough() >= through && !this.hasWork() && !this.dirty && this.diskError === undefined) break
        if (this.diskError !== undefined) {
          // The repair runs on its timer; wait for it (or for the timeout).
          await this.untilRecovered()
          if (this.closed) return
          continue
        }
        this.syncWanted = true
        const done = this.marks.wait(through)
        this.kick()
        try {
          await done
          break
        } catch (error) {
          // A disk error while draining: go on waiting for its repair.
          if (!(error instanceof SnapshotDiskError)) throw error
        }
      }
      if (c !== undefined) await c.done
    })()
    await Promise.race([drained.catch(() => undefined), timeout])
    cancelTimer?.()
    this.closed = true
    this.cancelRetry?.()
    this.cancelRetry = undefined
    this.releaseRecoveryWaiters()
    this.marks.rejectAll(new SnapshotClosedError())
    if (!this.pumping) await this.closeFile()
    const durable = this.marks.durableThrough()
    const error = this.diskError
    return {
      clean: !timedOut && durable >= this.marks.received && error === undefined,
      remaining: this.marks.received - durable,
      received: this.marks.received,
      durableThrough: durable,
      elapsedMs: this.env.now() - started,
      ...(error !== undefined ? { error: toWireError(error) } : {}),
    }
  }
}
