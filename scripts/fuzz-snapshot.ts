/**
 * Snapshot soak (issue 10): the real snapshotter actor, in its own worker thread in a child process
 * (scripts/fuzz-snapshot-child.ts), takes bursts of 10^3 to 10^6 records and is killed with SIGKILL
 * at a random moment, run after run on the same file, on a small tmpfs that this script fills up
 * and frees again during some runs. After every kill the file is replayed and checked against
 * what the child was told is durable.
 *
 *   npm run fuzz:snapshot -- [--json] [--seed N] [--runs 50] [--max-burst 1000000]
 *                            [--members 120000] [--kill-max-ms 4000] [--tmpfs-mb 96]
 *
 * - acknowledged: records covered by a `snapshot.sync` answer (its durableThrough) before the kill,
 *   summed over runs;
 * - lost: acknowledged records whose effect the replayed file does not show: per member, the
 *   replayed entry must be its value at the acknowledged point or one a later record gave it (an
 *   address names the record that wrote it, see fuzz-snapshot-stream.ts); the clock likewise;
 * - replayFailures: runs whose file replayed with a corrupt span, an unreadable or unknown line
 *   (a torn last line is what a kill leaves and is not one), or did not replay at all;
 * - diskFullAnswered: while the disk was full, every sync was answered (the coded
 *   ERR_SNAPSHOT_DISK_FULL, or progress once space returned) within 10 s, none timed out, and at
 *   least one disk-full answer was seen (the fill really hit a write).
 *
 * The disk is a tmpfs mounted for the run (root is needed: `mount -t tmpfs`), so ENOSPC comes from
 * the real file system, short writes included. Prints a table per run; with --json one JSON object
 * as the last line. Exit status 0 when nothing was lost or failed and every full-disk sync was
 * answered, else 1.
 */
import { spawn, execFileSync } from 'node:child_process'
import { closeSync, existsSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync, statfsSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { replaySnapshot, type ReplayResult } from '../actors/snapshotter/replay.ts'
import { createSeededRandom } from '../src/types/random.ts'
import { lostRecords } from './fuzz-snapshot-check.ts'
import type { StreamShape } from './fuzz-snapshot-stream.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const CHILD = join(ROOT, 'scripts/fuzz-snapshot-child.ts')

function flag(name: string, dflt: number): number {
  const i = process.argv.indexOf(name)
  if (i === -1) return dflt
  const v = Number(process.argv[i + 1])
  if (!Number.isFinite(v) || v < 0) {
    process.stderr.write(`fuzz-snapshot: ${name} needs a number (ERR_CLI_USAGE)\n`)
    process.exit(2)
  }
  return v
}

const json = process.argv.includes('--json')
const seed = flag('--seed', Date.now() % 1_000_000)
const runs = flag('--runs', 50)
const maxBurst = flag('--max-burst', 1_000_000)
const members = flag('--members', 120_000)
const killMaxMs = flag('--kill-max-ms', 4000)
const tmpfsMb = flag('--tmpfs-mb', 96)
/** A sync asked while the disk is full must be answered within this. */
const ANSWER_WITHIN_MS = 10_000

const log = (line: string) => void process.stdout.write(line + '\n')
log(`fuzz-snapshot: seed ${seed} (--seed ${seed} replays it), ${runs} runs, bursts 1000..${maxBurst}, ${members} members, tmpfs ${tmpfsMb} MiB`)

// --- the disk: a small tmpfs, filled and freed by a filler file ---------------------------------

const dir = mkdtempSync(join(tmpdir(), 'gossamer-fuzz-snapshot-'))
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${tmpfsMb}m`, 'tmpfs', dir], { stdio: 'pipe' })
} catch (err) {
  rmSync(dir, { recursive: true, force: true })
  process.stderr.write(`fuzz-snapshot: cannot mount a tmpfs at ${dir} (root is needed): ${(err as Error).message.split('\n')[0]} (ERR_SOAK_NO_TMPFS)\n`)
  process.exit(2)
}
const unmount = () => {
  try {
    execFileSync('umount', [dir], { stdio: 'pipe' })
  } catch {
    // already unmounted
  }
  rmSync(dir, { recursive: true, force: true })
}
process.on('exit', unmount)
process.on('SIGINT', () => process.exit(130))
const FILE = join(dir, 'node.snapshot')
const FILLER = join(dir, 'filler')

/** Takes all free space but `leave` bytes. */
function fill(leave: number): number {
  const fd = openSync(FILLER, 'w')
  const chunk = Buffer.alloc(1 << 20)
  let written = 0
  try {
    for (;;) {
      const free = statfsSync(dir).bavail * statfsSync(dir).bsize
      if (free <= 0) break
      written += writeSync(fd, chunk, 0, Math.min(chunk.length, free))
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
  }
  // tmpfs counts whole pages: give back `leave` bytes.
  ftruncateSync(fd, Math.max(0, written - leave))
  closeSync(fd)
  return written
}
const free = () => rmSync(FILLER, { force: true })

// --- one run --------------------------------------------------------------------------------------

interface SyncAsk {
  at: number
  duringFull: boolean
  answeredAt?: number
  code?: string
}

interface RunResult {
  run: number
  horizon: number
  acked: number
  lost: number
  replayFailure: string | undefined
  childFailure: string | undefined
  filled: boolean
  fullAnswers: number
  fullSyncs: number
  slowFullSyncs: number
  timeouts: number
  maxSyncMs: number
  fileBytes: number
  killAfterMs: number
  details: string[]
}

type FillPlan = { at: number; for: number; leave: number }
type ChildRun = { horizon: number; acked: number; asks: Map<number, SyncAsk>; childFailure: string | undefined; filled: boolean; closedAt: number }

/**
 * Boots the child of one run: node, tsx and the runtime load while the previous run is still going
 * (the child waits for `go` on stdin before it spawns the actor and opens the file); `start` sends
 * it, kills the child `killAfterMs` after it is ready, and fills the disk on the way if planned.
 */
function bootChild(run: number): { start(killAfterMs: number, fillPlan: FillPlan | undefined, onReady: () => void): Promise<ChildRun> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, FILE, String(run), String(seed), String(members), String(maxBurst)], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  child.stdin.on('error', () => undefined) // a child that died early
  let onLine: (word: string, a: string | undefined, b: string | undefined) => void = () => {}
  let buf = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d
    for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
      const [word, a, b] = buf.slice(0, nl).split(' ')
      buf = buf.slice(nl + 1)
      onLine(word!, a, b)
    }
  })
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, at: performance.now() }))
  })
  return {
    async start(killAfterMs, fillPlan, onReady) {
      let horizon = 0
      let acked = 0
      let full = false
      let filled = false
      const asks = new Map<number, SyncAsk>()
      const timers: NodeJS.Timeout[] = []
      // A child that never says ready (or hangs) is killed after a generous bound.
      const guard = setTimeout(() => child.kill('SIGKILL'), killAfterMs + 120_000)
      onLine = (word, a, b) => {
        const now = performance.now()
        if (word === 'ready') {
          timers.push(setTimeout(() => child.kill('SIGKILL'), killAfterMs))
          if (fillPlan !== undefined) {
            timers.push(
              setTimeout(() => {
                fill(fillPlan.leave)
                full = filled = true
                timers.push(
                  setTimeout(() => {
                    free()
                    full = false
                  }, fillPlan.for),
                )
              }, fillPlan.at),
            )
          }
          onReady()
        } else if (word === 'plan') horizon = Math.max(horizon, Number(a))
        else if (word === 'ask') asks.set(Number(a), { at: now, duringFull: full })
        else if (word === 'ack' || word === 'syncerr') {
          const ask = asks.get(Number(a))
          if (ask !== undefined) {
            ask.answeredAt = now
            ask.duringFull ||= full
            if (word === 'syncerr') ask.code = b
          }
          if (word === 'ack') acked = Math.max(acked, Number(b))
        }
      }
      child.stdin.write('go\n')
      const end = await closed
      clearTimeout(guard)
      for (const t of timers) clearTimeout(t)
      free()
      const childFailure = end.signal === 'SIGKILL' ? undefined : `exited ${end.code} ${end.signal}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`
      return { horizon, acked, asks, childFailure, filled, closedAt: end.at }
    },
  }
}

function replayFile(): { result: ReplayResult | undefined; failure: string | undefined; bytes: number } {
  if (!existsSync(FILE)) return { result: replaySnapshot(new Uint8Array(0)), failure: undefined, bytes: 0 }
  const bytes = readFileSync(FILE)
  try {
    const r = replaySnapshot(bytes)
    const c = r.counts
    const failure = c.corruptSpans + c.unknownLines + c.badLines > 0 ? r.problems.slice(0, 3).join('; ') : undefined
    return { result: r, failure, bytes: bytes.length }
  } catch (err) {
    return { result: undefined, failure: `replay threw: ${(err as Error).message}`, bytes: bytes.length }
  }
}

// --- the soak -------------------------------------------------------------------------------------

const random = createSeededRandom(seed)
const results: RunResult[] = []
let base = replaySnapshot(new Uint8Array(0))
let nextChild: ReturnType<typeof bootChild> | undefined
const started = performance.now()
for (let run = 1; run <= runs; run++) {
  const killAfterMs = 500 + random.int(Math.max(1, killMaxMs - 500))
  // About two runs in five fill the disk at a random moment before the kill, for 0.3-3 s.
  const fillPlan = random.next() < 0.4 ? { at: random.int(Math.max(1, killAfterMs - 100)), for: 300 + random.int(2700), leave: random.int(64 * 1024) } : undefined
  const booted = nextChild ?? bootChild(run)
  nextChild = undefined
  // The next run's child boots while this one runs (it waits for its `go`).
  const child = await booted.start(killAfterMs, fillPlan, () => {
    if (run < runs) nextChild = bootChild(run + 1)
  })
  const replayed = replayFile()
  const shape: StreamShape = { seed, run, members }
  const check = replayed.result === undefined ? { lost: 0, details: [] } : lostRecords(shape, base, child.acked, child.horizon, replayed.result)
  let fullAnswers = 0
  let fullSyncs = 0
  let slowFullSyncs = 0
  let timeouts = 0
  let maxSyncMs = 0
  for (const ask of child.asks.values()) {
    if (ask.code === 'ERR_ACTOR_ASK_TIMEOUT') timeouts++
    if (ask.code === 'ERR_SNAPSHOT_DISK_FULL') fullAnswers++
    const ms = (ask.answeredAt ?? child.closedAt) - ask.at
    if (ask.answeredAt !== undefined) maxSyncMs = Math.max(maxSyncMs, ms)
    if (ask.duringFull) {
      fullSyncs++
      if (ms > ANSWER_WITHIN_MS) slowFullSyncs++
    }
  }
  const result: RunResult = {
    run,
    horizon: child.horizon,
    acked: child.acked,
    lost: check.lost,
    replayFailure: replayed.failure,
    childFailure: child.childFailure,
    filled: child.filled,
    fullAnswers,
    fullSyncs,
    slowFullSyncs,
    timeouts,
    maxSyncMs: Math.round(maxSyncMs),
    fileBytes: replayed.bytes,
    killAfterMs,
    details: [...check.details, ...(replayed.failure ? [replayed.failure] : []), ...(child.childFailure ? [child.childFailure] : [])],
  }
  results.push(result)
  log(
    `run ${String(run).padStart(3)}  kill@${String(killAfterMs).padStart(5)}ms  sent<=${String(result.horizon).padStart(8)}  acked ${String(result.acked).padStart(8)}  ` +
      `lost ${result.lost}  ${result.filled ? `disk full: ${fullSyncs} syncs, ${fullAnswers} ERR_SNAPSHOT_DISK_FULL` : 'disk ok'}  ` +
      `max sync ${result.maxSyncMs} ms  file ${(result.fileBytes / 1e6).toFixed(1)} MB${result.replayFailure ? '  REPLAY FAILURE' : ''}${result.childFailure ? '  CHILD FAILURE' : ''}`,
  )
  for (const d of result.details) log(`    ! ${d}`)
  if (replayed.result !== undefined) base = replayed.result
}

const total = {
  runs: results.length,
  acknowledged: results.reduce((s, r) => s + r.acked, 0),
  lost: results.reduce((s, r) => s + r.lost, 0),
  replayFailures: results.filter((r) => r.replayFailure !== undefined).length,
  diskFullAnswered:
    results.some((r) => r.fullAnswers > 0) && results.every((r) => r.slowFullSyncs === 0 && r.timeouts === 0),
}
const childFailures = results.filter((r) => r.childFailure !== undefined).length
const filledRuns = results.filter((r) => r.filled)
log('')
log('| runs | acknowledged | lost | replay failures | child failures | runs with a full disk | disk-full answers | syncs while full | slower than 10 s | ask timeouts | max sync (ms) | wall (s) |')
log('|---|---|---|---|---|---|---|---|---|---|---|---|')
log(
  `| ${total.runs} | ${total.acknowledged} | ${total.lost} | ${total.replayFailures} | ${childFailures} | ${filledRuns.length} | ` +
    `${results.reduce((s, r) => s + r.fullAnswers, 0)} | ${results.reduce((s, r) => s + r.fullSyncs, 0)} | ${results.reduce((s, r) => s + r.slowFullSyncs, 0)} | ` +
    `${results.reduce((s, r) => s + r.timeouts, 0)} | ${Math.max(0, ...results.map((r) => r.maxSyncMs))} | ${((performance.now() - started) / 1000).toFixed(0)} |`,
)
log(`seed ${seed}`)
if (json) log(JSON.stringify(total))
process.exitCode = total.lost === 0 && total.replayFailures === 0 && total.diskFullAnswered && childFailures === 0 ? 0 : 1
