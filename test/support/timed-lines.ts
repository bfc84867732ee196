/**
 * An agent's output as lines, each stamped with when this process read it (AgentProcess): a chunk
 * may end mid-line, and the line is stamped when its end arrives. Bounded: the last `keep` lines.
 * bench:agents times the stages of a crash trial from them (bench/agents/phases.ts).
 */

/** One line of output and when it arrived (performance.now(), ms). */
export interface TimedLine {
  at: number
  text: string
}

/** The longest line kept whole (characters); longer runs without a newline are cut. */
export const MAX_LINE = 16_384

export class TimedLines {
  readonly #lines: TimedLine[] = []
  /** The start of a line whose end has not arrived yet. */
  #partial = ''

  constructor(private readonly keep = 2_000) {}

  /** A chunk of output read at `at`: its complete lines are stamped `at`; blank lines are skipped. */
  push(chunk: string, at: number): void {
    const parts = (this.#partial + chunk).split('\n')
    this.#partial = parts.pop()!
    // Output that never ends its line (a dump without newlines) is cut into lines of MAX_LINE, so
    // what is held stays bounded.
    while (this.#partial.length > MAX_LINE) {
      parts.push(this.#partial.slice(0, MAX_LINE))
      this.#partial = this.#partial.slice(MAX_LINE)
    }
    for (const line of parts) if (line.trim() !== '') this.#lines.push({ at, text: line })
    if (this.#lines.length > this.keep) this.#lines.splice(0, this.#lines.length - this.keep)
  }

  /** The lines that arrived at or after `since` and contain `text`, oldest first. */
  since(since: number, text: string): TimedLine[] {
    return this.#lines.filter((l) => l.at >= since && l.text.includes(text))
  }
}
