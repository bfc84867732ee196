/**
 * The neighbour: a CPU-bound co-process for a benchmark's whole run (`--neighbour`), so the figures
 * show what the runtime does when the other core is busy, as on a shared machine. A separate
 * process (not a worker thread of the bench): it competes for a core the way another program does,
 * and shares no heap or event loop with what is measured.
 *
 * It spins in short slices and checks that its parent is alive between them, so it ends with the
 * bench even if the bench dies without calling stop() (a crash, a kill -9).
 */
import { spawn, type ChildProcess } from 'node:child_process'

/** The co-process's program: spin ~50 ms, check the parent, repeat (plain JS, run by `node -e`). */
const SPIN = `
const parent = Number(process.argv[1]);
let x = 0;
for (;;) {
  const until = Date.now() + 50;
  while (Date.now() < until) x = (x * 1103515245 + 12345) % 2147483648;
  try { process.kill(parent, 0) } catch { process.exit(0) }
}
`

export interface Neighbour {
  pid: number
  stop(): void
}

/** Starts the neighbour and resolves once it runs; stop() ends it (also called at the bench's exit). */
export async function startNeighbour(): Promise<Neighbour> {
  const child: ChildProcess = spawn(process.execPath, ['-e', SPIN, String(process.pid)], { stdio: 'ignore' })
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve())
    child.once('error', reject)
  })
  let stopped = false
  const stop = (): void => {
    if (stopped) return
    stopped = true
    process.off('exit', stop)
    child.kill('SIGKILL')
  }
  process.on('exit', stop)
  return { pid: child.pid!, stop }
}
