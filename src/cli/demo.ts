/**
 * `gossamer demo` (and `npm run demo`): a cluster of Gossamer nodes in this process plays a short
 * membership script (src/demo/). This module is the demo's I/O: the real createNode, the clock,
 * the temporary snapshot folder and Ctrl-C.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as delay } from 'node:timers/promises'
import type { CliIo } from './io.ts'
import { toWireError } from '../errors/index.ts'
import { DEMO_HELP, parseDemoArgs, type DemoOptions } from '../demo/options.ts'

export const summary = 'start a small cluster in this process and play a membership script (joins, event, crash, rejoin, leave)'

/**
 * A step's deadline on a real timer, cleared when the step ends. The timer's closure holds the
 * controller, so the signal fires even when nothing else holds it (AbortSignal.timeout inside
 * AbortSignal.any does not: once garbage collected, it never fires).
 */
export function stepDeadline(ms: number): { signal: AbortSignal; clear(): void } {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), ms)
  return { signal: controller.signal, clear: () => clearTimeout(timer) }
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  let options: DemoOptions | 'help'
  try {
    options = parseDemoArgs(argv)
  } catch (err) {
    const wire = toWireError(err)
    io.err(`gossamer demo: ${wire.message} (${wire.code})`)
    return 2
  }
  if (options === 'help') {
    io.out(DEMO_HELP)
    return 0
  }
  // Loaded here, not at import: `gossamer --help` loads every verb.
  const [{ createNode }, { runDemo }] = await Promise.all([import('../node/create-node.ts'), import('../demo/run-demo.ts')])
  return runDemo(options, {
    createNode: (o) => createNode(o),
    now: () => performance.now(),
    sleep: (ms, signal) => delay(ms, undefined, { signal }).catch(() => undefined),
    deadline: stepDeadline,
    makeTempDir: () => mkdtemp(join(tmpdir(), 'gossamer-demo-')),
    removeDir: (dir) => rm(dir, { recursive: true, force: true }),
    out: (line) => io.out(line),
    onInterrupt: (handler) => {
      process.on('SIGINT', handler)
      return () => void process.off('SIGINT', handler)
    },
  })
}
