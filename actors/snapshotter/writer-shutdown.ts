/**
 * Shutdown of the SnapshotWriter: stop intake, drain, write, fsync and close within a timeout, and
 * report by count what could not be made durable, and the disk error that kept it, if any. A
 * failing disk is retried on its timer until the timeout. Nothing runs after it.
 */
import { toWireError } from '../../src/errors/index.ts'
import { SnapshotDiskError } from './disk-error.ts'
import type { DiskFault } from './disk-fault.ts'
import type { LiveFile } from './live-file.ts'
import type { PendingText } from './pending.ts'
import type { Watermarks } from './watermarks.ts'
import type { CompactionDriver } from './writer-compaction.ts'
import type { Pump } from './writer-pump.ts'
import { SnapshotClosedError, type ShutdownReport } from './writer-types.ts'

export interface ShutdownParts {
  now(): number
  setTimer(fn: () => void, ms: number): () => void
  /** Settles when the open (replay) has ended, if it started. */
  opening: Promise<unknown> | undefined
  /** Flips the writer's lifecycle: intake refused from `closing`, nothing runs after `closed`. */
  markClosing(): void
  markClosed(): void
  file: LiveFile
  fault: DiskFault
  marks: Watermarks
  pending: PendingText
  compaction: CompactionDriver
  pump: Pump
}

/**
 * shutdown stops intake, drains every pending change, writes, fsyncs and closes the file within
 * `timeoutMs`. A compaction still building is abandoned (its temp file removed); one already
 * swapping finishes. What could not be made durable in time is reported by count; the report is
 * clean only if everything received is durable and no disk error is outstanding.
 */
export async function shutdownWriter(p: ShutdownParts, timeoutMs: number): Promise<ShutdownReport> {
  const { marks, fault, file, pump } = p
  const started = p.now()
  if (!file.open && p.opening !== undefined) await p.opening
  p.markClosing()
  if (!file.open) {
    // Never opened (or failed to): nothing can be written.
    p.markClosed()
    marks.rejectAll(new SnapshotClosedError())
    return { clean: marks.received === 0, remaining: marks.received, received: marks.received, durableThrough: 0, elapsedMs: p.now() - started }
  }
  pump.stopInterval()
  const c = p.compaction.run
  // A compaction that is the repair of a failed fsync is needed: it is not abandoned.
  if (!fault.fsyncFailed) c?.abort()
  let timedOut = false
  let cancelTimer: (() => void) | undefined
  const timeout = new Promise<void>((resolve) => {
    cancelTimer = p.setTimer(() => {
      timedOut = true
      resolve()
    }, timeoutMs)
  })
  const through = marks.received
  let closed = false
  const drained = (async () => {
    for (;;) {
      // A compaction already built is installed first (its temp file must not be left behind).
      const built = c?.ready !== undefined
      if (!built && marks.durableThrough() >= through && !p.pending.hasWork() && !file.dirty && fault.error === undefined) break
      if (fault.error !== undefined) {
        // The repair runs on its timer; wait for it (or for the timeout).
        await fault.untilRecovered()
        if (closed) return
        continue
      }
      pump.syncWanted = true
      const done = marks.wait(through)
      pump.kick()
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
  closed = true
  p.markClosed()
  fault.end()
  marks.rejectAll(new SnapshotClosedError())
  if (!pump.busy) await file.close()
  const durable = marks.durableThrough()
  const error = fault.error
  return {
    clean: !timedOut && durable >= marks.received && error === undefined,
    remaining: marks.received - durable,
    received: marks.received,
    durableThrough: durable,
    elapsedMs: p.now() - started,
    ...(error !== undefined ? { error: toWireError(error) } : {}),
  }
}
