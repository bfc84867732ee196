/**
 * Worker entries load from the built output too: compile the runtime and the counter fixture
 * with the project's compiler settings into a temp dir, then run the result with plain `node`
 * (no tsx anywhere), and check the process does its work and exits by itself.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const DIR = join(ROOT, '.tmp', `dist-test-${process.pid}`)

afterAll(() => rmSync(DIR, { recursive: true, force: true }))

describe('runtime from built output', () => {
  it('runs worker and inline actors from compiled JavaScript and exits on its own', () => {
    mkdirSync(DIR, { recursive: true })
    writeFileSync(
      join(DIR, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../tsconfig.json',
        // Emit only (noCheck): type errors are the typecheck's job, and checking the tree took most of
        // this test's time (over 20 s on a loaded machine).
        compilerOptions: { outDir: './out', rootDir: '../..', noEmit: false, noCheck: true, declaration: false, sourceMap: false, noEmitOnError: false },
        include: ['../../test/fixtures/dist-smoke.ts', '../../src/runtime/compute-task.ts', '../../test/fixtures/compute/sum.ts', '../../test/fixtures/actors/counter/worker.ts'],
      }),
    )
    try {
      execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(DIR, 'tsconfig.json')], { stdio: 'pipe', timeout: 90_000 })
    } catch (err) {
      // type errors elsewhere in the tree do not stop emit; only a missing output would
      void err
    }
    const out = execFileSync(process.execPath, [join(DIR, 'out/test/fixtures/dist-smoke.js')], { encoding: 'utf8', timeout: 30_000 })
    const result = JSON.parse(out.trim().split('\n').pop()!)
    expect(result).toMatchObject({ n: 2, m: 3, computed: 25, clean: true })
    expect(result.module).toMatch(/\.js$/)
  }, 150_000) // a hang guard: two child processes, a compile and a run
})
