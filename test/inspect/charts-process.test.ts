/**
 * `gossamer charts` as a real process (source mode, through tsx): the exit status reaches the
 * shell, and the process ends by itself after the layout (elkjs runs in-thread, leaves no timer).
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'gossamer-charts-proc-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Runs the CLI; the generous timeout only guards against a hang (a killed child fails the test). */
function gossamer(args: string[]): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', MAIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string; signal?: string }) | null
      done({ code: e === null ? 0 : typeof e.code === 'number' ? e.code : null, signal: e?.signal ?? null, stdout, stderr })
    })
  })
}

describe('gossamer charts, as a process', () => {
  it('writes the HTML page and exits 0 by itself; an unknown actor exits 2', async () => {
    const ok = await gossamer(['charts', '--format', 'html', '--out', dir])
    expect(ok.signal).toBeNull()
    expect(ok.stderr).toBe('')
    expect(ok.code).toBe(0)
    expect(readdirSync(dir)).toEqual(['charts.html'])
    const bad = await gossamer(['charts', '--actor', 'nobody'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('ERR_CHARTS_UNKNOWN_ACTOR')
  }, 120_000)
})
