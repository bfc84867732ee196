/**
 * Snapshotter metrics: plain counters plus fixed-bucket latency histograms (no allocation per
 * sample). Everything the snapshotter drops, coalesces, ignores or fails at is counted here.
 */
import type { WireError } from '../../src/errors/index.ts'

/** Upper bounds of the latency buckets in ms; one more bucket holds everything above the last. */
export const LATENCY_BUCKETS_MS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 5000] as const

export interface HistogramSnapshot {
  bucketsMs: readonly number[]
  /** counts[i] = samples ≤ bucketsMs[i] (and > the previous bound); the last entry is the overflow. */
  counts: number[]
  count: number
  sumMs: number
  maxMs: number
}

export class Histogram {
  private readonly counts = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0)
  private count = 0
  private sumMs = 0
  private maxMs = 0

  record(ms: number): void {
    let i = 0
    while (i < LATENCY_BUCKETS_MS.length && ms > LATENCY_BUCKETS_MS[i]!) i++
    this.counts[i]!++
    this.count++
    this.sumMs += ms
    if (ms > this.maxMs) this.maxMs = ms
  }

  snapshot(): HistogramSnapshot {
    return { bucketsMs: LATENCY_BUCKETS_MS, counts: [...this.counts], count: this.count, sumMs: this.sumMs, maxMs: this.maxMs }
  }
}

/** quantileMs estimates a quantile (0..1) from a histogram snapshot: the upper bound of its bucket. */
export function quantileMs(h: HistogramSnapshot, q: number): number {
  if (h.count === 0) return 0
  const rank = Math.ceil(q * h.count)
  let seen = 0
  for (let i = 0; i < h.counts.length; i++) {
    seen += h.counts[i]!
    if (seen >= rank) return i < h.bucketsMs.length ? Math.min(h.bucketsMs[i]!, h.maxMs) : h.maxMs
  }
  return h.maxMs
}

export interface SnapshotterCounters {
  /** Record messages accepted (member, clock), ignored ones included. */
  events: number
  /** Pending changes replaced by a newer one for the same member or clock before being written. */
  coalesced: number
  /** Record messages ignored because the node left (Serf's `leaving`). */
  ignoredAfterLeave: number
  /** Record messages refused: unwritable name, or sent after shutdown began. */
  rejected: number
  /** Batches of records formed and handed to the OS (one writev each). */
  batches: number
  /** Writes handed to the OS: batches, plus compaction chunks and the re-appended tail at swap. */
  flushes: number
  /** Record lines written (checksum lines excluded). */
  linesWritten: number
  bytesWritten: number
  fsyncs: number
  compactions: number
  compactionsAborted: number
  /** Compactions whose tail passed its cap and were finished from a per-member delta instead. */
  compactionTailOverflows: number
  /** Failed disk operations (append, fsync, truncate, compaction, close). */
  errors: number
  /** Repairs of a failed write tried (each a truncate and re-append, or a rewrite from memory). */
  diskRetries: number
  /** Lines of the file skipped at replay because their checksummed span did not verify. */
  corruptLines: number
  /** Bytes of a torn last line found (and cut off) at open. */
  tornBytes: number
  /** Lines of the file skipped at replay as an unknown record kind (a newer format). */
  unknownLines: number
  /** Lines of the file skipped at replay as unreadable (a known kind with a malformed body). */
  badLines: number
  /** Record messages refused because the snapshotter has no open file (open failed, invalid config). */
  refused: number
  /** `leave` records written. */
  leaves: number
}

export function emptyCounters(): SnapshotterCounters {
  return {
    events: 0, coalesced: 0, ignoredAfterLeave: 0, rejected: 0, batches: 0, flushes: 0, linesWritten: 0,
    bytesWritten: 0, fsyncs: 0, compactions: 0, compactionsAborted: 0, compactionTailOverflows: 0, errors: 0, diskRetries: 0, corruptLines: 0,
    tornBytes: 0, unknownLines: 0, badLines: 0, refused: 0, leaves: 0,
  }
}

export interface SnapshotterStats extends SnapshotterCounters {
  /** Changes waiting to be written (at most one per member plus three clocks). */
  queueDepth: number
  aliveMembers: number
  fileBytes: number
  /** Record messages received / written to the OS / fsynced, as running counts (watermarks). */
  received: number
  writtenThrough: number
  durableThrough: number
  compacting: boolean
  /**
   * The disk error writes are stuck on right now (null when writing works): sync and leave fail
   * with it until a retry repairs the file. `lastDiskError` keeps the most recent failure of any
   * disk operation (compactions included) after it is over.
   */
  diskError: WireError | null
  lastDiskError: WireError | null
  /** Time to write (and for `always`, fsync) one batch. */
  flushLatency: HistogramSnapshot
  /** From the oldest change of a batch arriving to the batch being written (fsynced for `always`). */
  appendLatency: HistogramSnapshot
  /** Duration of a whole compaction, and of its exclusive swap step (the only time writes wait). */
  compactionLatency: HistogramSnapshot
  swapLatency: HistogramSnapshot
}

/** The stats of a snapshotter that has no writer (its config was invalid): all zero but `refused`. */
export function emptyStats(refused: number): SnapshotterStats {
  const h = new Histogram().snapshot()
  return {
    ...emptyCounters(),
    refused,
    queueDepth: 0, aliveMembers: 0, fileBytes: 0, received: 0, writtenThrough: 0, durableThrough: 0, compacting: false,
    diskError: null, lastDiskError: null,
    flushLatency: h, appendLatency: h, compactionLatency: h, swapLatency: h,
  }
}
