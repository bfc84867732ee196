/**
 * Shutdown of the SnapshotWriter: stop intake, drain, write, fsync and close within a timeout, and
 * report by count what could not be made durable. Nothing runs after it.
 */
import { PumpingWriter } from './writer-pump.ts'
import { SnapshotClosedError, type ShutdownReport } from './writer-types.ts'

export abstract class ShutdownWriter extends PumpingWriter {
  /**
   * shutdown stops intake, drains every pending change, writes, fsyncs and closes the file within
   * `timeoutMs`. A compaction still building is abandoned (its temp file removed); one already
   * swapping finishes. What could not be made durable in time is reported by count.
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
    this.cancelRecovery?.()
    const c = this.compaction
    c?.abort()
    let timedOut = false
    let cancelTimer: (() => void) | undefined
    const timeout = new Promise<void>((resolve) => {
      cancelTimer = this.env.setTimer(() => {
        timedOut = true
        resolve()
      }, timeoutMs)
    })
    const drained = (async () => {
      const through = this.marks.received
      // A compaction already built is installed first (its temp file must not be left behind).
      const built = c?.ready !== undefined
      if (built || this.marks.durableThrough() < through || this.sealed !== '' || this.intake.hasPending() || this.dirty) {
        this.syncWanted = true
        const done = this.marks.wait(through)
        this.kick()
        await done
      }
      if (c !== undefined) await c.done
    })()
    await Promise.race([drained.catch(() => undefined), timeout])
    cancelTimer?.()
    this.closed = true
    this.marks.rejectAll(new SnapshotClosedError())
    if (!this.pumping) await this.closeFile()
    const durable = this.marks.durableThrough()
    return {
      clean: !timedOut && durable >= this.marks.received,
      remaining: this.marks.received - durable,
      received: this.marks.received,
      durableThrough: durable,
      elapsedMs: this.env.now() - started,
    }
  }
}
