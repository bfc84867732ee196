/** No worker, port, timer or pool thread survives shutdown: a process that uses them all exits by itself. */
import { execFileSync } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

describe('shutdown leaves nothing running', () => {
  it('lets the process exit on its own after a shutdown that timed out on a hung actor', () => {
    const started = Date.now()
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'test/fixtures/exit-check.ts')], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 150_000,
    })
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ clean: false, hung: 'b' })
    // The script takes seconds (19 s on a loaded machine); a leaked 10-minute ask timer or a live
    // worker would hold it until the timeout above.
    expect(Date.now() - started).toBeLessThan(120_000)
  }, 180_000)

  it('ends the thread of an actor that escalated in it, and one whose thread died for good', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'test/runtime/support/exit-escalated.ts')], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    })
    // The script's own watchdog (30 s, unref'd) prints `alive` and exits 3 if a thread survived.
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ clean: true, stopped: ['a', 'b', 'q'], asked: 'ERR_ACTOR_STOPPED' })
  }, 150_000)
})
