/** The SnapshotWriter's environment, progress, notices and shutdown report (see writer.ts). */
import { ClusterError, type WireError } from '../../src/errors/index.ts'
import type { SnapshotDisk } from './disk.ts'

export interface WriterEnv {
  disk: SnapshotDisk
  /** Monotonic time in ms. */
  now(): number
  /** Runs `fn` after the work already queued on this thread (setImmediate in a worker). */
  defer(fn: () => void): void
  /** One-shot timer; returns its cancel function. */
  setTimer(fn: () => void, ms: number): () => void
  /** Called after every batch and fsync with the new watermarks. */
  onProgress?(progress: SnapshotProgress): void
  /** Compaction phases and disk errors, for the machine's state and the log. */
  onNotice?(notice: WriterNotice): void
}

/** Running counts of record messages: received, written to the OS, and fsynced. */
export interface SnapshotProgress {
  received: number
  writtenThrough: number
  durableThrough: number
}

export type WriterNotice =
  | { kind: 'compaction-started'; fileBytes: number; aliveMembers: number }
  | { kind: 'compaction-finished'; ms: number; swapMs: number; fileBytes: number }
  | { kind: 'compaction-failed'; error: unknown }
  | { kind: 'disk-error'; op: string; error: unknown }
  /** The failing write was repaired (re-done, or the file rewritten from memory): writing resumed. */
  | { kind: 'disk-recovered'; op: string; failedForMs: number }

export interface ShutdownReport {
  /** Everything received was written and fsynced, and the file closed, within the timeout. */
  clean: boolean
  /** Record messages received but not durable when shutdown ended (0 when clean). */
  remaining: number
  received: number
  durableThrough: number
  elapsedMs: number
  /** The disk error that kept records from being written, when one was outstanding at the end. */
  error?: WireError
}

export class SnapshotClosedError extends ClusterError {
  static override name = 'SnapshotClosedError'
  constructor() {
    super('ERR_SNAPSHOT_CLOSED', 'the snapshotter is shut down')
  }
}
