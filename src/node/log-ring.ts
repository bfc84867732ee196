/**
 * The node's last log lines, for `logs()` (Serf's `monitor`): a ring of the last 512 lines, replayed
 * oldest first to each new reader at its level and above, then the live lines. As in Serf, the
 * ring and each reader are bounded (512): a reader that falls behind loses lines, counted in its
 * stream's `dropped`, and never holds the node back.
 */
import type { BoundedStream, LogLine } from './api.ts'
import { QueueStream, ReaderSet } from './bounded-stream.ts'

/** Lines kept for replay, and lines buffered per reader (Serf's monitor: 512 each). */
export const LOG_RING_LINES = 512

const RANK: Readonly<Record<LogLine['level'], number>> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 }

export function isLogLevel(level: unknown): level is LogLine['level'] {
  return typeof level === 'string' && Object.hasOwn(RANK, level)
}

export class LogRing {
  #lines: LogLine[] = []
  /** Next slot to overwrite once the ring is full. */
  #next = 0
  #readers = new ReaderSet<{ min: number; stream: QueueStream<LogLine> }>()
  /** Lines pushed out of the ring by newer ones (for stats). */
  overwritten = 0

  constructor(readonly capacity = LOG_RING_LINES) {}

  append(line: LogLine): void {
    if (this.#lines.length < this.capacity) this.#lines.push(line)
    else {
      this.#lines[this.#next] = line
      this.#next = (this.#next + 1) % this.capacity
      this.overwritten++
    }
    const rank = RANK[line.level]
    for (const r of this.#readers) if (rank >= r.min) r.stream.push(line)
  }

  /** The kept lines, oldest first. */
  lines(): LogLine[] {
    return [...this.#lines.slice(this.#next), ...this.#lines.slice(0, this.#next)]
  }

  /** A reader: the kept lines at `level` and above, then the live ones, until it ends. */
  stream(level: LogLine['level'] = 'info', signal?: AbortSignal): BoundedStream<LogLine> {
    const min = RANK[level]
    const stream = new QueueStream<LogLine>(this.capacity, signal)
    for (const line of this.lines()) if (RANK[line.level] >= min) stream.push(line)
    // After the node stopped: the kept lines, then the end.
    this.#readers.add({ min, stream })
    return stream
  }

  get readers(): number {
    return this.#readers.size
  }

  /** Ends every reader (the node stopped); later readers get the kept lines and the end. */
  close(): void {
    this.#readers.close()
  }
}
