/**
 * `gossamer demo` end to end in a child process (`tsx src/cli/main.ts demo`, as `npm run demo`
 * runs it): real nodes, worker threads and sockets. The short form (--fast: the 'local' profile,
 * no pauses, 3 nodes) plays the whole script; each observable step is checked in its output; the
 * snapshot folder (under a private TMPDIR) is gone afterwards; and the process exits on its own
 * (no worker, socket or timer left behind: a leftover would keep it alive until the test's kill).
 * Ctrl-C is a real SIGINT: once ends a kept cluster with a graceful leave, during the script it
 * stops everything too.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const tmp = mkdtempSync(join(tmpdir(), 'gossamer-demo-test-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

interface Demo {
  /** Resolves with the exit code (null: killed at the deadline) and all output. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>
  /** Resolves once stdout has a line matching `re`. */
  line(re: RegExp): Promise<string>
  interrupt(): void
}

/** Starts the demo with its own TMPDIR; it is killed after `deadlineMs` (then `code` is null). */
function demo(args: string[], tmpDir: string, deadlineMs: number): Demo {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'demo', ...args], {
    cwd: ROOT,
    env: { ...process.env, TMPDIR: tmpDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: deadlineMs,
  })
  let stdout = ''
  let stderr = ''
  const waiting: Array<{ re: RegExp; resolve: (line: string) => void }> = []
  const check = (): void => {
    for (const w of [...waiting]) {
      const hit = stdout.split('\n').find((l) => w.re.test(l))
      if (hit !== undefined) {
        waiting.splice(waiting.indexOf(w), 1)
        w.resolve(hit)
      }
    }
  }
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout += s
    check()
  })
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s))
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
  return {
    done,
    line: (re) =>
      new Promise((resolve, reject) => {
        waiting.push({ re, resolve })
        check()
        void done.then(() => reject(new Error(`the demo ended without a line matching ${re}:\n${stdout}\n${stderr}`)))
      }),
    interrupt: () => void child.kill('SIGINT'),
  }
}

/** The demo's snapshot folders under `tmpDir` (tsx keeps its own cache there too). */
const demoFolders = (tmpDir: string): string[] => readdirSync(tmpDir).filter((f) => f.startsWith('gossamer-demo-'))

/** A line of the script: "[  1.2 s] step     text". */
const step = (name: string, text: string): RegExp => new RegExp(`^\\[ *\\d+\\.\\d s\\] ${name} +${text}`, 'm')
const time = '\\d+(\\.\\d)? m?s'

describe('gossamer demo (child process, real nodes)', () => {
  it('--fast --nodes 3 --keep plays every step of the script, keeps running, and one Ctrl-C makes every node leave and the process exit', async () => {
    const dir = mkdtempSync(join(tmp, 'keep-'))
    // A loaded machine: the script takes 10-20 s at --fast; the deadline only guards against a hang.
    const run = demo(['--fast', '--nodes', '3', '--seed', '7', '--keep'], dir, 170_000)
    // The leaver is gone: two nodes stay.
    await run.line(/^keeping 2 nodes running: Ctrl-C to stop$/)
    // The snapshots are there while the cluster runs (the leaver's too: it records the leave)...
    const [folder, ...more] = demoFolders(dir)
    expect(more).toEqual([])
    // (With coordination, each node's expected-size mark lives beside its snapshot.)
    expect(readdirSync(join(dir, folder!)).filter((f) => f.endsWith('.snapshot')).sort()).toEqual(['node-1.snapshot', 'node-2.snapshot', 'node-3.snapshot'])
    run.interrupt()
    const { code, signal, stdout, stderr } = await run.done
    expect(stderr).toBe('')
    expect({ code, signal }).toEqual({ code: 0, signal: null })
    expect(stdout).toMatch(/^gossamer demo: 3 nodes in this process on loopback, profile local, seed 7$/m)
    expect(stdout).toMatch(step('start', `node-1 is up at 127\\.0\\.0\\.1:\\d+ in ${time}$`))
    expect(stdout).toMatch(/^ {19}(5 actors, each in its own worker thread: gossip-queue, member-manager, serf-events, snapshotter, swim|8 actors, each in its own worker thread: assignment, election, gossip-queue, member-manager, partition-detector, serf-events, snapshotter, swim)$/m)
    // The live page and the election come from other parts of the project: either is said.
    expect(stdout).toMatch(/^ {19}live page: (http:\/\/127\.0\.0\.1:\d+\/|not in this build)/m)
    expect(stdout).toMatch(step('join', `node-2\\.\\.node-3 started and joined node-1 in ${time}: all 3 nodes see 3 alive members$`))
    expect(stdout).toMatch(step('event', `node-\\d sent user event "deploy" \\(payload "v2"\\): all 3 nodes got it, (first )?after ${time}`))
    expect(stdout).toMatch(step('leader', '(skipped: this build has no election yet|node-\\d is the leader of group "demo")'))
    const crashed = /^\[ *\d+\.\d s\] crash +(node-\d) \(127\.0\.0\.1:\d+\) stopped without leaving/m.exec(stdout)?.[1]
    // With an election the leader crashes, and any node may lead.
    expect(crashed).toMatch(/leader of group/.test(stdout) ? /^node-[123]$/ : /^node-[23]$/)
    expect(stdout).toMatch(step('failed', `${crashed} seen as failed by all 2 others, (first )?after ${time}`))
    expect(stdout).toMatch(step('restart', `${crashed} restarted on the same address, no join address given: it rejoins from its snapshot \\(2 members remembered\\)$`))
    expect(stdout).toMatch(new RegExp(`^ {19}all 3 nodes see each other alive ${time} after the restart$`, 'm'))
    const leaver = /^\[ *\d+\.\d s\] leave +(node-\d) left gracefully: seen as left \(not failed\) by all 2 others/m.exec(stdout)?.[1]
    expect(leaver).toMatch(/^node-[23]$/)
    expect(leaver).not.toBe(crashed)
    expect(stdout).toMatch(step('done', `script complete in ${time}`))
    // The steps come in the script's order.
    const order = ['start', 'join', 'event', 'leader', 'crash', 'failed', 'restart', 'leave', 'done'].map((s) => stdout.search(new RegExp(`^\\[ *\\d+\\.\\d s\\] ${s} `, 'm')))
    expect(order).toEqual([...order].sort((a, b) => a - b))
    expect(stdout).toMatch(/^interrupted: every node leaves gracefully \(Ctrl-C again to stop them at once\)$/m)
    expect(stdout).toMatch(new RegExp(`^stop: 2 nodes left and stopped in ${time}, every worker thread ended; snapshot folder removed$`, 'm'))
    // ...and gone after.
    expect(demoFolders(dir)).toEqual([])
  }, 180_000)

  it('Ctrl-C during the script stops it (exit 130), stops every node and removes the snapshots', async () => {
    const dir = mkdtempSync(join(tmp, 'interrupt-'))
    const run = demo(['--fast', '--nodes', '3'], dir, 110_000)
    await run.line(step('join', ''))
    run.interrupt()
    const { code, signal, stdout } = await run.done
    expect({ code, signal }).toEqual({ code: 130, signal: null })
    expect(stdout).not.toMatch(step('done', ''))
    expect(stdout).toMatch(new RegExp(`^stop: 3 nodes (left and )?stopped in ${time}`, 'm'))
    expect(demoFolders(dir)).toEqual([])
  }, 120_000)

  it('refuses bad options with ERR_CLI_USAGE and exit 2, starting nothing', async () => {
    const dir = mkdtempSync(join(tmp, 'usage-'))
    for (const args of [['--nodes', '2'], ['--nodes=10'], ['--seed', 'x'], ['--nodez', '3']]) {
      const { code, stdout, stderr } = await demo(args, dir, 60_000).done
      expect({ args, code, stdout }).toEqual({ args, code: 2, stdout: '' })
      expect(stderr).toMatch(/^gossamer demo: .+\nusage: gossamer demo \[--nodes N\] .* \(ERR_CLI_USAGE\)\n$/)
    }
    expect(demoFolders(dir)).toEqual([])
  }, 120_000)
})
