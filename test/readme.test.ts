/**
 * The README's examples are files under scripts/ (with the package name in place of the relative
 * import), and the output each shows is what that file prints. Both are checked here, so the
 * README cannot drift from the code: the first section (`npm run demo` and what it prints, times
 * and ports aside), the first example (createNode, scripts/readme-example.ts), the snapshot and
 * wire codec (scripts/readme-snapshot.ts), the cluster by hand (scripts/readme-cluster.ts).
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

/**
 * The demo's output with what differs from run to run masked: the times, the ports, and which node
 * was the last to see a step (or whether all saw it within the same rounded time).
 */
function demoShape(text: string): string[] {
  return text
    .trimEnd()
    .split('\n')
    .map((line) =>
      line
        .replace(/^\[ *\d+\.\d s\]/, '[T]')
        .replace(/(first after \d+(\.\d)? m?s, last after \d+(\.\d)? m?s \(node-\d\)|after \d+(\.\d)? m?s)/g, 'after T')
        .replace(/\d+(\.\d)? m?s\b/g, 'T')
        .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT')
        // Which node wins the election is a race between real timers; the crashed node is the
        // leader, and the leaver is picked besides it: their names and the terms vary from run to run.
        .replace(/^(\[T\] (leader|crash|failed|restart|leave) .*)$/, (l) => l.replace(/node-\d/g, 'node-X').replace(/term \d+/g, 'term N')),
    )
}

describe('README', () => {
  it('opens with `npm ci && npm run demo` and the output the demo really prints (times and ports aside)', async () => {
    expect(readme.indexOf('\n## ')).toBe(readme.indexOf('\n## Try it'))
    expect(block('## Try it', 'sh')).toBe('npm ci && npm run demo\n')
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.demo).toBe('tsx src/cli/main.ts demo')
    const run = promisify(execFile)
    // Real nodes on the lan profile with pauses: about 30-50 s on a loaded machine.
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'demo'], { cwd: ROOT, timeout: 170_000 }).catch((err: Error & { stdout?: string; stderr?: string }) => {
      // The failing step is in the demo's own output: show it, not only "Command failed".
      throw new Error(`${err.message}\n--- demo stdout ---\n${err.stdout ?? ''}\n--- demo stderr ---\n${(err.stderr ?? '').slice(-4000)}`, { cause: err })
    })
    expect(demoShape(stdout)).toEqual(demoShape(block('## Try it', 'text')))
  }, 180_000)

  it("the demo's mask hides only times, ports and the slowest node", () => {
    const a = '[  1.8 s] join     all 5 nodes see 5 alive members, 8.2 s after the first start, first after 7 ms, last after 64 ms (node-2) at 127.0.0.1:56559'
    const b = '[ 11.5 s] join     all 5 nodes see 5 alive members, 950 ms after the first start, after 12 ms at 127.0.0.1:1'
    expect(demoShape(a)).toEqual(demoShape(b))
    expect(demoShape(a)).not.toEqual(demoShape(a.replace('5 alive', '4 alive')))
    expect(demoShape(a)).not.toEqual(demoShape(a.replace('join ', 'leave')))
    // Node names are masked only where the election's race picks them, never in the join line.
    const join = '[ 14.8 s] join     node-2..node-5 started and joined node-1 in 10.7 s: all 5 nodes see 5 alive members'
    expect(demoShape(join)).not.toEqual(demoShape(join.replace('joined node-1', 'joined node-2')))
    const leader = '[ 28.4 s] leader   node-3 is the leader of group "demo" (term 1): all 5 nodes agree, 10.3 s after this step began'
    expect(demoShape(leader)).toEqual(demoShape(leader.replace('node-3', 'node-4').replace('term 1', 'term 2')))
    expect(demoShape(leader)).not.toEqual(demoShape(leader.replace('all 5 nodes agree', 'all 4 nodes agree')))
  })

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
