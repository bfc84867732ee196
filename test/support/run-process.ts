/**
 * Runs one child process to its end and collects its output, for tests of built programs (the bin,
 * the bundle, the packed package, a V8 flag's effect in a fresh process).
 */
import { spawn } from 'node:child_process'

export interface ProcessResult {
  /** The exit code; null when the process was killed (its timeout, or a signal). */
  code: number | null
  stdout: string
  stderr: string
}

export interface RunOptions {
  cwd: string
  /** Killed (SIGTERM) after this long, in ms. */
  timeoutMs: number
  /** Written to the child's stdin, which is then closed; without it stdin is ignored. */
  stdin?: string
}

export function runProcess(cmd: string, args: string[], opts: RunOptions): Promise<ProcessResult> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], timeout: opts.timeoutMs })
    let stdout = ''
    let stderr = ''
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s))
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s))
    child.on('error', fail)
    child.on('close', (code) => done({ code, stdout, stderr }))
    if (opts.stdin !== undefined) child.stdin!.end(opts.stdin)
  })
}
