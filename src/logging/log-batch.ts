/**
 * LogBatch: a worker thread's pino destination when the system has a log sink. pino filters by
 * level in the worker (nothing below the level is even formatted); the lines that pass are
 * gathered and posted to the system thread once per event-loop turn, as one array, in order.
 *
 * Bounded per second: at most `linesPerSecond` lines of one actor cross the thread in any one
 * second of the real clock (a window that restarts each whole second); lines past that are dropped
 * here and counted, and the count travels with the next post (the system thread adds it to the
 * actor's `stats().logLinesDropped` and tells the sink in one warn record). So a flood of log lines
 * costs at most `linesPerSecond` lines of memory in flight, whatever the rate.
 */

/** Default lines per actor per second that reach the sink: far past any healthy actor's rate. */
export const DEFAULT_LOG_LINES_PER_SECOND = 1000

export interface LogBatchPost {
  lines: string[]
  /** Lines dropped over the per-second bound since the last post. */
  dropped: number
}

export class LogBatch {
  #lines: string[] = []
  #dropped = 0
  #window = -1
  #inWindow = 0
  #queued = false
  /** Lines dropped over the bound since the thread started. */
  droppedTotal = 0
  readonly #flush = (): void => this.flush()

  constructor(
    readonly post: (batch: LogBatchPost) => void,
    readonly linesPerSecond: number,
    /** Epoch ms (the real clock: the bound protects this process's memory). */
    readonly now: () => number,
  ) {}

  /** pino's destination call: one formatted line. */
  write(line: string): void {
    const window = Math.floor(this.now() / 1000)
    if (window !== this.#window) {
      this.#window = window
      this.#inWindow = 0
    }
    if (this.#inWindow >= this.linesPerSecond) {
      this.#dropped++
      this.droppedTotal++
    } else {
      this.#inWindow++
      this.#lines.push(line)
    }
    if (!this.#queued) {
      this.#queued = true
      setImmediate(this.#flush)
    }
  }

  /** Posts what was gathered (also called before the thread reports its stop). */
  flush(): void {
    this.#queued = false
    if (this.#lines.length === 0 && this.#dropped === 0) return
    const batch = { lines: this.#lines, dropped: this.#dropped }
    this.#lines = []
    this.#dropped = 0
    this.post(batch)
  }
}
