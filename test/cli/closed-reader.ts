/**
 * Runs `gossamer` (the TypeScript entry, through tsx) in a child process whose stdout reader goes
 * away after the first chunk, as `gossamer ... | head -1` does: the child's later writes fail
 * with EPIPE. Returns its exit code, signal and stderr.
 */
import { spawn } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const MAIN = join(ROOT, 'src/cli/main.ts')

export function runWithClosedReader(args: string[], stdin?: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; first: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], timeout: 30_000 })
    let stderr = ''
    let first = ''
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s))
    child.stdout.setEncoding('utf8').once('data', (s: string) => {
      first = s
      child.stdout.destroy() // the reader is gone: the child's next write fails with EPIPE
    })
    // The child may stop reading its stdin early (that is the point): our writes may then fail.
    child.stdin.on('error', () => undefined)
    child.on('error', fail)
    child.on('close', (code, signal) => done({ code, signal, stderr, first }))
    child.stdin.end(stdin ?? '')
  })
}
