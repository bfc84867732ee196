/** The CLI's view of the outside world, so verbs can be tested without a child process. */
export interface CliIo {
  out(text: string): void
  err(text: string): void
  /** Reads standard input line by line (for verbs that take `-`). */
  lines(): AsyncIterable<string>
}

/** Errors of a stdout whose reader went away (`gossamer ... | head`). */
const READER_GONE: ReadonlySet<string> = new Set(['EPIPE', 'ERR_STREAM_DESTROYED'])

/**
 * The real process streams. When whoever reads stdout goes away (`gossamer snapshot inspect FILE
 * | head`, `gossamer decode - < in | head -1`), writing fails with EPIPE: that is not an error of
 * the verb, so the rest of the output is dropped quietly, stdin stops being read (`lines()` ends,
 * so a verb reading lines stops working for nobody), and the verb's exit status stands. One
 * mechanism for every verb: verbs write only through `out`.
 */
export function processIo(): CliIo {
  let readerGone = false
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (READER_GONE.has(err.code ?? '')) {
      readerGone = true
      return
    }
    // Any other stdout failure: say so where it can still be seen, and fail the command.
    readerGone = true
    process.stderr.write(`gossamer: cannot write to stdout: ${err.message} (${err.code ?? 'ERR_STDOUT'})\n`)
    process.exitCode = 1
  })
  return {
    out: (text) => {
      if (!readerGone) process.stdout.write(text.endsWith('\n') ? text : text + '\n')
    },
    err: (text) => void process.stderr.write(text.endsWith('\n') ? text : text + '\n'),
    async *lines() {
      const { createInterface } = await import('node:readline')
      const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
      try {
        for await (const line of rl) {
          if (readerGone) break
          yield line
        }
      } finally {
        rl.close()
        // Not reading any more: let the process end even if stdin has more to give.
        process.stdin.destroy()
      }
    },
  }
}

/** An in-memory CliIo for tests: collects output, feeds the given lines as stdin. */
export function memoryIo(input: string[] = []): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = []
  const stderr: string[] = []
  return {
    stdout,
    stderr,
    out: (text) => void stdout.push(text),
    err: (text) => void stderr.push(text),
    async *lines() {
      yield* input
    },
  }
}
