/**
 * The pump's decision, pure: from what the writer knows now, the one operation on the live file
 * to do next (writer-pump.ts runs it, then asks again). The order is the policy:
 * 1. a built compaction is swapped in first (its temp file must not wait, and it repairs errors);
 * 2. while a write is failing, nothing else: the repair, when its retry timer has fired;
 * 3. a due fsync (wanted, or a waiter whose records are all written) before the next piece, so a
 *    sender that never pauses cannot starve it;
 * 4. the next piece of record text;
 * 5. records that needed no line (ignored after a leave, clocks that did not advance) count as written;
 * 6. an fsync someone still waits for; else the pump stops until kicked.
 */
export interface PumpFacts {
  /** The writer is closed, or the file is not open. */
  stopped: boolean
  /** A compaction run is built and waits for its swap. */
  swapReady: boolean
  /** A write or fsync of the live file failed and is not repaired yet. */
  diskError: boolean
  /** The retry timer fired. */
  retryDue: boolean
  /** Written since the last good fsync. */
  dirty: boolean
  /** An fsync is wanted (interval timer, shutdown). */
  syncWanted: boolean
  /** Some durability waiter needs only an fsync (its records are written). */
  syncWouldRelease: boolean
  /** Record text waits to be written. */
  hasWork: boolean
  received: number
  written: number
  durable: number
  /** Callers waiting for durability. */
  waiting: number
}

export type PumpStep = 'stop' | 'swap' | 'repair' | 'sync' | 'write' | 'catch-up'

export function nextPumpStep(f: PumpFacts): PumpStep {
  if (f.stopped) return 'stop'
  if (f.swapReady) return 'swap'
  if (f.diskError) return f.retryDue ? 'repair' : 'stop'
  if (f.dirty && (f.syncWanted || f.syncWouldRelease)) return 'sync'
  if (f.hasWork) return 'write'
  if (f.written < f.received) return 'catch-up'
  if ((f.dirty || f.durable < f.written) && (f.syncWanted || f.waiting > 0)) return 'sync'
  return 'stop'
}
