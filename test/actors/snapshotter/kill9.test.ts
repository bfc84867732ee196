/**
 * kill -9: a child process writes through the snapshotter on the real disk and is SIGKILLed at a
 * random moment, over and over on the same file; after every kill the file must replay (no throw,
 * no corrupt span) and hold everything the child acknowledged (fsynced for `always`, written to
 * the OS for `serf`, which a killed process cannot lose). Most runs drive the SnapshotWriter
 * directly; some run the snapshotter actor in its worker thread through the runtime. Kill times and
 * burst sizes come from one seeded source: a fixed seed, or $GOSSAMER_TEST_SEED to try others; the
 * seed is in every failure message, so a failing plan can be run again (where the kill lands in the
 * child's work still depends on the machine). An actor run is killed no earlier than its first
 * acknowledgement, so a loaded machine cannot make every actor run vacuous. Bounded: 16 runs (4 of
 * them the actor), each child killed by 10 s at the latest; about 12-15 s on an idle machine.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { replaySnapshot, type ReplayResult } from '../../../actors/snapshotter/replay.ts'
import { createSeededRandom } from '../../../src/types/random.ts'
import { eventStream } from '../../fixtures/snapshot/event-stream.ts'
import { replayHint, testSeed } from '../../support/seed.ts'

const CHILD = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/snapshot/kill-child.ts')
const dir = mkdtempSync(join(tmpdir(), 'gossamer-kill9-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const MEMBERS = 300
const RUNS = 16
/** Runs that spawn the actor (a worker thread via the runtime) instead of the bare writer. */
const ACTOR_RUNS = new Set([4, 8, 12, 16])
/** Kill times of 20-270 ms; with this seed the actor runs get 74-212 ms. */
const SEED = testSeed(9)

interface RunResult {
  acked: number
  received: number
  code: number | null
  signal: NodeJS.Signals | null
}

/**
 * Runs the child and SIGKILLs it `killAfterMs` after it is ready; with `notBeforeAck`, not before it
 * acknowledged something either (if it has not by then, at its first acknowledgement).
 */
function runChild(file: string, run: number, policy: string, killAfterMs: number, childSeed: number, mode: string, notBeforeAck: boolean): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, String(run), policy, String(MEMBERS), String(childSeed), mode], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let acked = 0
    let received = 0
    let buf = ''
    let stderr = ''
    let timer: NodeJS.Timeout | undefined
    let due = false
    const guard = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.stdout.setEncoding('utf8')
    child.stderr.on('data', (d) => (stderr += d))
    child.stdout.on('data', (d: string) => {
      buf += d
      let nl: number
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        if (line === 'ready') {
          timer = setTimeout(() => {
            due = true
            if (!notBeforeAck || acked > 0) child.kill('SIGKILL')
          }, killAfterMs)
        }
        const sent = /^sent (\d+)$/.exec(line)
        if (sent !== null) received = Math.max(received, Number(sent[1]))
        const m = /^ack (\d+) (\d+) (\d+)$/.exec(line)
        if (m !== null) {
          received = Math.max(received, Number(m[1]))
          acked = Math.max(acked, Number(policy === 'always' ? m[3] : m[2]))
          if (due && acked > 0) child.kill('SIGKILL')
        }
      }
    })
    child.on('error', reject)
    // 'close', not 'exit': every line the child printed has been read by then.
    child.on('close', (code, signal) => {
      clearTimeout(guard)
      clearTimeout(timer)
      if (signal !== 'SIGKILL') reject(new Error(`child exited ${code} ${signal}: ${stderr}`))
      else resolve({ acked, received, code, signal })
    })
  })
}

/** For each member, the values it may hold at any point from `from` on; clocks likewise. */
function check(base: ReplayResult, run: number, acked: number, horizon: number, after: ReplayResult): string[] {
  const state = new Map<string, string | null>()
  for (const [n, a] of base.aliveNodes) state.set(n, a)
  let clock = base.lastClock
  const stream = eventStream(run, MEMBERS)
  const allowed = new Map<string, Set<string | null>>()
  let clockMin = 0n
  let clockMax = 0n
  for (let i = 1; i <= horizon; i++) {
    if (i === acked + 1 || (acked === 0 && i === 1)) {
      for (let m = 0; m < MEMBERS; m++) allowed.set(`node-${m}`, new Set([state.get(`node-${m}`) ?? null]))
      clockMin = clock
    }
    const e = stream.next().value!
    if (e.k === 'alive') state.set(e.name, e.addr)
    else if (e.k === 'dead') state.set(e.name, null)
    else clock = e.t > clock ? e.t : clock
    if (i > acked) {
      if (e.k !== 'clock') allowed.get(e.name)!.add(state.get(e.name)!)
      clockMax = clock
    }
  }
  if (acked >= horizon) {
    for (let m = 0; m < MEMBERS; m++) allowed.set(`node-${m}`, new Set([state.get(`node-${m}`) ?? null]))
    clockMin = clockMax = clock
  }
  const bad: string[] = []
  for (const [name, values] of allowed) {
    const got = after.aliveNodes.get(name) ?? null
    if (!values.has(got)) bad.push(`${name}: got ${got}, allowed ${values.size} values from ${[...values][0]} to ${[...values].at(-1)}`)
  }
  if (after.lastClock < clockMin || after.lastClock > clockMax) bad.push(`clock ${after.lastClock} not in [${clockMin}, ${clockMax}]`)
  return bad
}

describe('snapshotter - kill -9', () => {
  it('replays everything acknowledged after SIGKILL at random moments', { timeout: 120_000 }, async () => {
    const random = createSeededRandom(SEED)
    const file = join(dir, 'node.snapshot')
    const policies = ['always', 'serf', 'interval']
    let totalAcked = 0
    let actorAcked = 0
    for (let run = 1; run <= RUNS; run++) {
      const before = existsSync(file) ? readFileSync(file) : new Uint8Array(0)
      const base = replaySnapshot(before)
      const policy = policies[run % policies.length]!
      const mode = ACTOR_RUNS.has(run) ? 'actor' : 'writer'
      const killAfterMs = 20 + random.int(250)
      const where = `${replayHint(SEED)}, run ${run} (${mode}, ${policy}, kill after ${killAfterMs} ms)`
      const result = await runChild(file, run, policy, killAfterMs, random.int(2 ** 31), mode, mode === 'actor').catch((err: Error) => {
        throw new Error(`${where}: ${err.message}`, { cause: err })
      })
      const bytes = readFileSync(file)
      const after = replaySnapshot(bytes)
      expect(after.counts.corruptSpans, where).toBe(0)
      expect(after.counts.unknownLines + after.counts.badLines, where).toBe(0)
      const bad = check(base, run, result.acked, result.received + 450, after)
      expect(bad.slice(0, 5), `${where}: acked ${result.acked} of ${result.received}`).toEqual([])
      if (mode === 'actor') actorAcked += result.acked
      totalAcked += result.acked
    }
    expect(totalAcked, replayHint(SEED)).toBeGreaterThan(0)
    expect(actorAcked, `${replayHint(SEED)}: the actor runs acknowledged something before the kill`).toBeGreaterThan(0)
  })
})
