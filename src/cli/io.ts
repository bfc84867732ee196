/** The CLI's view of the outside world, so verbs can be tested without a child process. */
export interface CliIo {
  out(text: string): void
  err(text: string): void
  /** Reads standard input line by line (for verbs that take `-`). */
  lines(): AsyncIterable<string>
}

export function processIo(): CliIo {
  return {
    out: (text) => void process.stdout.write(text.endsWith('\n') ? text : text + '\n'),
    err: (text) => void process.stderr.write(text.endsWith('\n') ? text : text + '\n'),
    async *lines() {
      const { createInterface } = await import('node:readline')
      const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
      for await (const line of rl) yield line
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
