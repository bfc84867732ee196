/**
 * The README's examples are files under scripts/ (with the package name in place of the relative
 * import), and the output each shows is what that file prints. Both are checked here, so the
 * README cannot drift from the code: the first example (createNode, scripts/readme-example.ts),
 * the snapshot and wire codec (scripts/readme-snapshot.ts), the cluster by hand
 * (scripts/readme-cluster.ts).
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
const example = readFileSync(join(ROOT, 'scripts/readme-example.ts'), 'utf8')
const snapshot = readFileSync(join(ROOT, 'scripts/readme-snapshot.ts'), 'utf8')
const dir = mkdtempSync(join(tmpdir(), 'gossamer-readme-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function block(after: string, lang: string): string {
  const start = readme.indexOf(after)
  expect(start, `README has "${after}"`).toBeGreaterThanOrEqual(0)
  const open = readme.indexOf('```' + lang + '\n', start)
  const close = readme.indexOf('\n```', open + 4 + lang.length)
  return readme.slice(open + 4 + lang.length, close + 1)
}

describe('README', () => {
  it('shows scripts/readme-example.ts (a two-node cluster with createNode) as its first example, and the output it really prints', async () => {
    expect(block('## Example', 'ts')).toBe(example.replace("from '../src/index.ts'", "from 'gossamer'"))
    const run = promisify(execFile)
    // Real sockets and worker threads: a generous deadline (it takes about five seconds).
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/readme-example.ts')], { cwd: ROOT, timeout: 60_000 })
    expect(stdout).toBe(block('This prints (in about five seconds):', 'text'))
  }, 70_000)

  it('shows scripts/readme-snapshot.ts and the output it really prints', async () => {
    expect(block('## A snapshot and the wire codec', 'ts')).toBe(snapshot.replace("from '../src/index.ts'", "from 'gossamer'"))
    const run = promisify(execFile)
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/readme-snapshot.ts'), join(dir, 'web-1.snapshot')], {
      cwd: ROOT,
      timeout: 30_000,
    })
    expect(stdout).toBe(block('## A snapshot and the wire codec', 'text'))
    expect(readFileSync(join(dir, 'web-1.snapshot'), 'utf8')).toMatch(/^alive: web-2 10\.0\.0\.2:7946\nclock: 42\n/)
  })

  it('shows scripts/readme-cluster.ts as its cluster example, and the output it really prints', async () => {
    const cluster = readFileSync(join(ROOT, 'scripts/readme-cluster.ts'), 'utf8')
    expect(block('## A cluster', 'ts')).toBe(cluster.replace("from '../src/index.ts'", "from 'gossamer'"))
    const run = promisify(execFile)
    // Real sockets and worker threads: a generous deadline (it takes about two seconds).
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/readme-cluster.ts')], { cwd: ROOT, timeout: 60_000 })
    expect(stdout).toBe(block('This prints (in about two seconds):', 'text'))
  }, 70_000)

  it('names the two commands for a fresh machine, and CI runs the test command', () => {
    expect(readme).toContain('npm ci && npm run demo')
    expect(readme).toContain('npm run test:all')
    expect(readFileSync(join(ROOT, '.ci/run'), 'utf8')).toMatch(/^npm run test:all$/m)
  })
})
