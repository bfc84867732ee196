/**
 * Runs one handler script as Serf does (serf-rpc.md 7.2): `/bin/sh -c <script>` in the agent's
 * working directory, the agent's environment plus the SERF_* variables, stdin written then closed,
 * stdout and stderr captured together into an 8 KiB buffer that keeps the last bytes. Unlike Serf,
 * a run has a deadline: the script's whole process group is killed (SIGKILL) when it passes, so a
 * hanging handler (or a child it left holding the pipes) cannot stall the agent.
 */
import { spawn } from 'node:child_process'

/** Output kept per run: the last 8192 bytes (Serf's circbuf). */
export const HANDLER_OUTPUT_BYTES = 8192
/** After this long a run is reported as slow (Serf's 1 s warning). */
export const SLOW_SCRIPT_MS = 1000

export interface ScriptRun {
  script: string
  env: Record<string, string>
  stdin: Uint8Array
  /** ms from the start; the run is killed then. */
  timeoutMs: number
  /** Called once if the run takes longer than SLOW_SCRIPT_MS. */
  onSlow?: () => void
  /** Aborting kills the run (agent shutdown). */
  signal?: AbortSignal
}

export interface ScriptResult {
  /** Exit status, or null when killed by a signal or not started. */
  exitCode: number | null
  /** Killed at its deadline (or by the abort signal). */
  killed: boolean
  /** Could not be started (spawn error text). */
  spawnError: string | undefined
  /** stdout and stderr as they came, the last HANDLER_OUTPUT_BYTES. */
  output: Buffer
}

/** Keeps the last `limit` bytes written. */
class TailBuffer {
  #chunks: Buffer[] = []
  #size = 0
  constructor(readonly limit: number) {}
  write(chunk: Buffer): void {
    this.#chunks.push(chunk)
    this.#size += chunk.length
    while (this.#size - this.#chunks[0]!.length >= this.limit) this.#size -= this.#chunks.shift()!.length
  }
  bytes(): Buffer {
    const all = Buffer.concat(this.#chunks)
    return all.length > this.limit ? all.subarray(all.length - this.limit) : all
  }
}

export function runScript(run: ScriptRun): Promise<ScriptResult> {
  return new Promise((resolve) => {
    const out = new TailBuffer(HANDLER_OUTPUT_BYTES)
    let killed = false
    let settled = false
    const child = spawn('/bin/sh', ['-c', run.script], {
      env: { ...process.env, ...run.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group, so the deadline kills what the script started too.
      detached: true,
    })
    const kill = (): void => {
      // Also after the shell exited: a child it left may still hold the pipes open.
      if (child.pid === undefined || settled) return
      killed = true
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {
        child.kill('SIGKILL')
      }
    }
    const deadline = setTimeout(kill, run.timeoutMs)
    const slow = setTimeout(() => run.onSlow?.(), Math.min(SLOW_SCRIPT_MS, run.timeoutMs))
    const onAbort = (): void => kill()
    run.signal?.addEventListener('abort', onAbort, { once: true })
    const finish = (result: Omit<ScriptResult, 'output' | 'killed'>): void => {
      if (settled) return
      settled = true
      clearTimeout(deadline)
      clearTimeout(slow)
      run.signal?.removeEventListener('abort', onAbort)
      resolve({ ...result, killed, output: out.bytes() })
    }
    child.stdout.on('data', (c: Buffer) => out.write(c))
    child.stderr.on('data', (c: Buffer) => out.write(c))
    child.on('error', (err) => finish({ exitCode: null, spawnError: err.message }))
    // 'close': the process ended and its pipes are drained (or were closed by the group kill).
    child.on('close', (code) => finish({ exitCode: code, spawnError: undefined }))
    // A script that never reads stdin closes it early: EPIPE here is not an error of the run.
    child.stdin.on('error', () => {})
    child.stdin.end(run.stdin)
    if (run.signal?.aborted === true) kill()
  })
}
