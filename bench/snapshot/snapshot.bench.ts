/**
 * Snapshotter benchmark, per durability policy (serf | interval | always), through the real actor
 * (machine + writer, inline on this thread) on the real disk:
 * - eventsPerSec: records sustained by a sender that never waits (member-alive over 10,000 members
 *   plus clocks), until every one is written (fsynced for `always`);
 * - appendP50Ms / appendP99Ms: per record, from being sent to being written to the OS (fsynced for
 *   `always`), at a steady offered load of STEADY_RATE records/s (well below the maximum: latency
 *   under saturation is queueing), and saturatedAppendP50Ms / saturatedAppendP99Ms during the
 *   saturating run;
 * - recordsAppendP50Ms / recordsAppendP99Ms: the same steady load in the shape production sends it:
 *   member-manager's core emits one `snapshot.records` per turn (member-manager/core.ts), so here
 *   each sender turn's due records go as one `snapshot.records` message (one machine event per turn
 *   instead of one per record; every record still built as an object, applied and written). The
 *   per-message figure above stays: it is the cost of a producer that sends single records;
 * - maxSenderStallMs: the longest single `send` while a compaction of 10,000 members runs (the
 *   sender shares this thread, so eventLoopMaxBlockMs is reported too: the longest gap between the
 *   sender's turns during the compaction; and compactionMaxGcPauseMs, the longest GC pause then);
 * - compactionMs: one compaction of 10,000 members (capture to swap), and swapMs, its exclusive step;
 * - replayEventsPerSec: replay of a 1,000,000-line file (pure replay, bytes in memory), with tinybench;
 * - workerEventsPerSec / workerMaxSendMs / workerCompactions: the production shape, the actor in its
 *   own worker thread on the actor runtime and the sender on this thread (honouring backpressure),
 *   rewriting 10,000 members so compactions run during the measurement; workerMaxSendMs is the
 *   longest single `send` the sender saw.
 * Baseline in the same run: the same bytes written straight with fs (writev per batch, fsync per
 * batch for `always`), no actor: `baselineEventsPerSec`, and at the steady load `baselineAppendP99Ms`.
 * compactionTailOverflows: compactions whose tail passed its cap (finished from a per-member delta).
 * --contended: a CPU-bound co-process (a child node process spinning) runs on the other core for
 * the whole measurement, as a neighbour would; `loadAvg1m` (start and end) says how loaded the
 * machine was besides. --policy P: only that durability policy (serf | interval | always).
 * The inline phases run the actor on the actor runtime (inline placement: its mailbox, and the
 * definition's `coalesce`, under which a turn's run of record tells reaches the machine as one
 * `snapshot.records`); --no-coalesce runs them without the opt-in (`coalesce` in the JSON says which).
 * Usage: npm run bench:snapshot [-- --json] [--seconds N] [--steady-seconds N] [--dir DIR] [--contended] [--policy P] [--no-coalesce]
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Bench } from 'tinybench'
import { PerformanceObserver } from 'node:perf_hooks'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { DurabilityPolicy } from '../../actors/snapshotter/config.ts'
import type { SnapshotRecord } from '../../actors/snapshotter/protocol.ts'
import { aliveLine } from '../../actors/snapshotter/record.ts'
import { replaySnapshot } from '../../actors/snapshotter/replay.ts'
import { checksumLine, crc32 } from '../../actors/snapshotter/checksum.ts'
import { nextTurn, percentile, round, startSnapshotter } from './harness.ts'
import { ActorSystem } from '../../src/runtime/index.ts'
import { snapshotter } from '../../actors/snapshotter/definition.ts'

const args = process.argv.slice(2)
const json = args.includes('--json')
const secondsArg = args.indexOf('--seconds')
const SECONDS = secondsArg === -1 ? 2 : Number(args[secondsArg + 1])
const MEMBERS = 10_000
const CHUNK = 1_000 // records sent per sender turn
const STEADY_RATE = 50_000 // records/s offered in the latency phase
const steadyArg = args.indexOf('--steady-seconds')
// Long enough that one scheduling stall of a shared machine is not the whole p99 by itself.
const STEADY_SECONDS = steadyArg === -1 ? 5 : Number(args[steadyArg + 1])
const contended = args.includes('--contended')
// --no-coalesce: the actor without its `coalesce` opt-in (one machine event per record message).
const coalesce = !args.includes('--no-coalesce')
const policyArg = args.indexOf('--policy')
const POLICIES: readonly DurabilityPolicy[] = policyArg === -1 ? ['serf', 'interval', 'always'] : [args[policyArg + 1] as DurabilityPolicy]
for (const p of POLICIES) if (!['serf', 'interval', 'always'].includes(p)) throw new Error(`--policy must be serf, interval or always, not ${p}`)
const dirArg = args.indexOf('--dir')
// Where the files go (default: the OS temp dir). `--dir /dev/shm` takes the disk out of the figures.
const dir = mkdtempSync(join(dirArg === -1 ? tmpdir() : args[dirArg + 1]!, 'gossamer-bench-snapshot-'))

// A full collection between phases, so one phase's garbage does not pause the next one.
setFlagsFromString('--expose-gc')
const collect = runInNewContext('gc') as () => void
// GC pauses, to tell a collector pause from a stall of the snapshotter.
let gcMaxMs = 0
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMaxMs = Math.max(gcMaxMs, e.duration)
}).observe({ entryTypes: ['gc'] })

const addrs = Array.from({ length: MEMBERS }, (_, i) => new Uint8Array([10, (i >> 16) & 255, (i >> 8) & 255, i & 255]))
const names = Array.from({ length: MEMBERS }, (_, i) => `node-${i}`)

interface Result {
  eventsPerSec: number
  eventsPerCpuSec: number
  appendP50Ms: number
  appendP99Ms: number
  recordsAppendP50Ms: number
  recordsAppendP99Ms: number
  saturatedAppendP50Ms: number
  saturatedAppendP99Ms: number
  steadyMaxLoopGapMs: number
  steadyMaxFlushMs: number
  steadyMaxGcPauseMs: number
  maxSenderStallMs: number
  eventLoopMaxBlockMs: number
  compactionMaxGcPauseMs: number
  compactionMs: number
  swapMs: number
  replayEventsPerSec: number
  baselineEventsPerSec: number
  baselineAppendP99Ms: number
  compactionTailOverflows: number
  batches: number
  fsyncs: number
  coalesced: number
  workerEventsPerSec: number
  workerMaxSendMs: number
  workerCompactions: number
}

async function workerPhase(policy: DurabilityPolicy) {
  const system = await ActorSystem.start({ node: 'bench', logLevel: 'silent' })
  const ref = await system.spawn(snapshotter, { id: 'snapshotter', input: { path: join(dir, `worker-${policy}.snap`), durability: policy, fsyncIntervalMs: 100 } })
  await ref.ask({ type: 'snapshot.restore' }, { timeoutMs: 10_000 })
  let sent = 0
  let maxSendMs = 0
  const started = performance.now()
  const until = started + SECONDS * 1000
  while (performance.now() < until) {
    for (let i = 0; i < CHUNK; i++) {
      const m = sent % MEMBERS
      const t0 = performance.now()
      const status = ref.send({ type: 'snapshot.member-alive', name: names[m]!, addr: addrs[m]!, port: sent & 0xffff })
      maxSendMs = Math.max(maxSendMs, performance.now() - t0)
      sent++
      if (status === 'backpressure') await ref.ready()
      else if (status !== 'ok') throw new Error(`send refused: ${status}`)
    }
    await nextTurn()
  }
  await ref.ask({ type: 'snapshot.sync' }, { timeoutMs: 30_000 })
  const elapsed = (performance.now() - started) / 1000
  const stats = await ref.ask({ type: 'snapshot.stats' }, { timeoutMs: 10_000 })
  await system.shutdown({ drainTimeoutMs: 10_000 })
  return { workerEventsPerSec: Math.round(sent / elapsed), workerMaxSendMs: round(maxSendMs), workerCompactions: stats.compactions }
}

async function throughput(policy: DurabilityPolicy) {
  const chunks: Array<{ end: number; at: number; done: boolean }> = []
  const latencies: Array<[number, number]> = []
  let next = 0
  const { actor, writer, stop } = await startSnapshotter(
    { path: join(dir, `tp-${policy}.snap`), durability: policy, fsyncIntervalMs: 100, minCompactionBytes: 512 * 1024 * 1024 },
    {
      progress: (p) => {
        const mark = policy === 'always' ? p.durableThrough : p.writtenThrough
        const now = performance.now()
        while (next < chunks.length && chunks[next]!.end <= mark) {
          latencies.push([now - chunks[next]!.at, CHUNK])
          next++
        }
      },
    },
    { coalesce },
  )
  let sent = 0
  let clock = 0n
  const cpu0 = process.cpuUsage()
  const started = performance.now()
  const until = started + SECONDS * 1000
  while (performance.now() < until) {
    const at = performance.now()
    for (let i = 0; i < CHUNK; i++) {
      if (i % 10 === 9) actor.send({ type: 'snapshot.clock', ltime: (clock += 1n) })
      else {
        const m = (sent + i) % MEMBERS
        actor.send({ type: 'snapshot.member-alive', name: names[m]!, addr: addrs[m]!, port: (sent + i) & 0xffff })
      }
    }
    sent += CHUNK
    chunks.push({ end: sent, at, done: false })
    await nextTurn()
  }
  if (policy === 'always') await writer.sync()
  else while (writer.progress().writtenThrough < sent) await nextTurn()
  const elapsed = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpu0)
  const stats = writer.stats()
  await stop()
  return {
    eventsPerSec: Math.round(sent / elapsed),
    // Records per second of this process's CPU time (user + system): steadier than wall-clock
    // figures on a shared machine.
    eventsPerCpuSec: Math.round(sent / ((cpu.user + cpu.system) / 1e6)),
    saturatedAppendP50Ms: round(percentile(latencies, 0.5)),
    saturatedAppendP99Ms: round(percentile(latencies, 0.99)),
    batches: stats.batches,
    fsyncs: stats.fsyncs,
    coalesced: stats.coalesced,
  }
}

/**
 * Latency at a steady offered load: every ~1 ms the sender sends what is due since the start,
 * stamped with the time it was due at the latest (now). `batched`: the due records of a turn go as
 * one `snapshot.records` message (production's shape), else one message per record.
 */
async function steady(policy: DurabilityPolicy, batched = false) {
  const chunks: Array<{ end: number; at: number }> = []
  const latencies: Array<[number, number]> = []
  let next = 0
  const { actor, writer, stop } = await startSnapshotter(
    { path: join(dir, `steady-${batched ? 'records-' : ''}${policy}.snap`), durability: policy, fsyncIntervalMs: 100, minCompactionBytes: 512 * 1024 * 1024 },
    {
      progress: (p) => {
        const mark = policy === 'always' ? p.durableThrough : p.writtenThrough
        const now = performance.now()
        while (next < chunks.length && chunks[next]!.end <= mark) {
          const prev = next === 0 ? 0 : chunks[next - 1]!.end
          latencies.push([now - chunks[next]!.at, chunks[next]!.end - prev])
          next++
        }
      },
    },
    { coalesce },
  )
  let sent = 0
  let maxGapMs = 0
  gcMaxMs = 0
  const started = performance.now()
  let last = started
  const until = started + STEADY_SECONDS * 1000
  for (let now = started; now < until; now = performance.now()) {
    maxGapMs = Math.max(maxGapMs, now - last)
    last = now
    const due = Math.floor(((now - started) / 1000) * STEADY_RATE) - sent
    if (due > 0 && batched) {
      const records: SnapshotRecord[] = []
      for (let i = 0; i < due; i++) {
        const m = (sent + i) % MEMBERS
        records.push({ kind: 'member-alive', name: names[m]!, addr: addrs[m]!, port: (sent + i) & 0xffff })
      }
      actor.send({ type: 'snapshot.records', records })
    } else if (due > 0) {
      for (let i = 0; i < due; i++) {
        const m = (sent + i) % MEMBERS
        actor.send({ type: 'snapshot.member-alive', name: names[m]!, addr: addrs[m]!, port: (sent + i) & 0xffff })
      }
    }
    if (due > 0) {
      sent += due
      chunks.push({ end: sent, at: now })
    }
    // Sleep between sends (about 1 ms): a busy sender would compete with the writer for the CPU.
    await new Promise((r) => setTimeout(r, 1))
  }
  const steadyGcMs = gcMaxMs
  await writer.sync()
  const maxFlushMs = writer.stats().flushLatency.maxMs
  await stop()
  return {
    appendP50Ms: round(percentile(latencies, 0.5)),
    appendP99Ms: round(percentile(latencies, 0.99)),
    // What the tail is made of on a shared machine: the longest gap between the sender's turns
    // (this thread not running) and the longest single write (+ fsync) of a batch.
    steadyMaxLoopGapMs: round(maxGapMs),
    steadyMaxFlushMs: round(maxFlushMs),
    // The longest GC pause in the steady phase: a loop gap much longer than it is the machine.
    steadyMaxGcPauseMs: round(steadyGcMs),
  }
}

async function compaction(policy: DurabilityPolicy) {
  let started = false
  let finished: { ms: number; swapMs: number } | undefined
  const { actor, writer, stop } = await startSnapshotter(
    { path: join(dir, `compact-${policy}.snap`), durability: policy, fsyncIntervalMs: 100 },
    {
      notice: (n) => {
        if (n.kind === 'compaction-started' && n.aliveMembers >= MEMBERS) started = true
        if (n.kind === 'compaction-finished' && started && finished === undefined) finished = { ms: n.ms, swapMs: n.swapMs }
      },
    },
    { coalesce },
  )
  let maxSendMs = 0
  let maxGapMs = 0
  let gcAtStart = -1
  let port = 0
  let lastTurn = performance.now()
  // Fill 10,000 members and keep rewriting them until the file passes Serf's threshold and the
  // compaction runs; measure the sender only while it runs.
  for (let turn = 0; finished === undefined && turn < 100_000; turn++) {
    const now = performance.now()
    if (started && gcAtStart === -1) {
      gcAtStart = gcMaxMs
      gcMaxMs = 0
    }
    if (started) maxGapMs = Math.max(maxGapMs, now - lastTurn)
    lastTurn = now
    for (let i = 0; i < 500; i++) {
      const m = port % MEMBERS
      const t0 = performance.now()
      actor.send({ type: 'snapshot.member-alive', name: names[m]!, addr: addrs[m]!, port: port & 0xffff })
      const dt = performance.now() - t0
      if (started) maxSendMs = Math.max(maxSendMs, dt)
      port++
    }
    await nextTurn()
  }
  await writer.sync()
  const tailOverflows = writer.stats().compactionTailOverflows
  await stop()
  return { compactionTailOverflows: tailOverflows, maxSenderStallMs: round(maxSendMs), eventLoopMaxBlockMs: round(maxGapMs), compactionMaxGcPauseMs: round(gcMaxMs), compactionMs: round(finished?.ms ?? NaN), swapMs: round(finished?.swapMs ?? NaN) }
}

/** The same bytes written straight to a file: writev per batch of CHUNK records (+ fsync for always). */
async function baseline(policy: DurabilityPolicy): Promise<number> {
  const fh = await open(join(dir, `baseline-${policy}.snap`), 'a')
  const enc = new TextEncoder()
  let sent = 0
  const started = performance.now()
  const until = started + SECONDS * 1000
  while (performance.now() < until) {
    let text = ''
    for (let i = 0; i < CHUNK; i++) {
      const m = (sent + i) % MEMBERS
      text += aliveLine(names[m]!, `10.0.${m >> 8}.${m & 255}:${(sent + i) & 0xffff}`)
    }
    const body = enc.encode(text)
    await fh.writev([body, enc.encode(checksumLine(crc32(body), body.length))])
    if (policy === 'always') await fh.sync()
    sent += CHUNK
  }
  if (policy !== 'always') await fh.sync()
  const elapsed = (performance.now() - started) / 1000
  await fh.close()
  return Math.round(sent / elapsed)
}

/**
 * The raw-fs floor for the steady latency figure, in the same run: the same offered load written
 * straight with fs (what is due every ~1 ms as one writev, + fsync for `always`), no actor. On a
 * shared machine its p99 shows how much of appendP99Ms is scheduling and disk, not the snapshotter.
 */
async function baselineSteady(policy: DurabilityPolicy): Promise<number> {
  const fh = await open(join(dir, `baseline-steady-${policy}.snap`), 'a')
  const enc = new TextEncoder()
  const latencies: Array<[number, number]> = []
  let sent = 0
  const started = performance.now()
  const until = started + STEADY_SECONDS * 1000
  for (let now = started; now < until; now = performance.now()) {
    const due = Math.floor(((now - started) / 1000) * STEADY_RATE) - sent
    if (due > 0) {
      let text = ''
      for (let i = 0; i < due; i++) {
        const m = (sent + i) % MEMBERS
        text += aliveLine(names[m]!, `10.0.${m >> 8}.${m & 255}:${(sent + i) & 0xffff}`)
      }
      const body = enc.encode(text)
      await fh.writev([body, enc.encode(checksumLine(crc32(body), body.length))])
      if (policy === 'always') await fh.sync()
      latencies.push([performance.now() - now, due])
      sent += due
    }
    await new Promise((r) => setTimeout(r, 1))
  }
  await fh.close()
  return round(percentile(latencies, 0.99))
}

async function replayRate(): Promise<{ perSec: number; bench: Bench }> {
  const lines = 1_000_000
  let text = ''
  let batch = ''
  const enc = new TextEncoder()
  for (let i = 0; i < lines; i++) {
    const m = i % MEMBERS
    batch += i % 7 === 6 ? `not-alive: ${names[m]}\n` : aliveLine(names[m]!, `10.0.${m >> 8}.${m & 255}:${i & 0xffff}`)
    if (i % 500 === 499) {
      text += batch + checksumLine(crc32(enc.encode(batch)), enc.encode(batch).length)
      batch = ''
    }
  }
  const bytes = enc.encode(text + batch)
  const bench = new Bench({ name: 'snapshot replay (1,000,000 lines)', time: 2000, iterations: 3 })
  bench.add('replaySnapshot', () => {
    replaySnapshot(bytes)
  })
  await bench.run()
  const task = bench.tasks[0]!
  const meanMs = task.result && 'latency' in task.result ? task.result.latency.mean : NaN
  return { perSec: Math.round(lines / (meanMs / 1000)), bench }
}

/** The 1-minute load average (Linux), to say how busy the shared machine was; NaN elsewhere. */
function loadAvg1m(): number {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0])
  } catch {
    return NaN
  }
}

/**
 * The neighbour of `--contended`: a separate node process spinning on the CPU (a tight loop with no
 * I/O) for the whole measurement, so the OS runs it on the other core. Ended by its pid at the end.
 */
function startSpinner(): { stop: () => void } {
  const child = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' })
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  process.once('exit', stop)
  return { stop }
}

async function main() {
  const results: Record<string, Result & { contended: boolean; coalesce: boolean; loadAvg1mStart: number; loadAvg1mEnd: number }> = {}
  const spinner = contended ? startSpinner() : undefined
  const loadStart = loadAvg1m()
  const replay = await replayRate()
  for (const policy of POLICIES) {
    collect()
    const base = await baseline(policy)
    collect()
    const tp = await throughput(policy)
    collect()
    const st = await steady(policy)
    collect()
    const stRecords = await steady(policy, true)
    collect()
    const baseSteady = await baselineSteady(policy)
    collect()
    const c = await compaction(policy)
    collect()
    const w = await workerPhase(policy)
    results[policy] = { ...tp, ...st, recordsAppendP50Ms: stRecords.appendP50Ms, recordsAppendP99Ms: stRecords.appendP99Ms, ...c, ...w, replayEventsPerSec: replay.perSec, baselineEventsPerSec: base, baselineAppendP99Ms: baseSteady, contended, coalesce, loadAvg1mStart: loadStart, loadAvg1mEnd: NaN }
  }
  spinner?.stop()
  const loadEnd = loadAvg1m()
  for (const r of Object.values(results)) r.loadAvg1mEnd = loadEnd
  if (!json) console.table(replay.bench.table())
  console.table(
    Object.fromEntries(
      Object.entries(results).map(([k, r]) => [
        k,
        {
          'events/s': r.eventsPerSec,
          'events/cpu-s': r.eventsPerCpuSec,
          'raw fs events/s': r.baselineEventsPerSec,
          [`append p50 ms @${STEADY_RATE / 1000}k/s`]: r.appendP50Ms,
          [`append p99 ms @${STEADY_RATE / 1000}k/s`]: r.appendP99Ms,
          [`append p99 ms @${STEADY_RATE / 1000}k/s (snapshot.records per turn)`]: r.recordsAppendP99Ms,
          'raw fs append p99 ms': r.baselineAppendP99Ms,
          'steady max loop gap ms': r.steadyMaxLoopGapMs,
          'steady max flush ms': r.steadyMaxFlushMs,
          'steady max GC ms': r.steadyMaxGcPauseMs,
          'append p99 ms (saturated)': r.saturatedAppendP99Ms,
          'max send ms (compaction)': r.maxSenderStallMs,
          'loop block ms (compaction)': r.eventLoopMaxBlockMs,
          'max GC pause ms (compaction)': r.compactionMaxGcPauseMs,
          'compaction ms (10k)': r.compactionMs,
          'swap ms': r.swapMs,
          'tail overflows': r.compactionTailOverflows,
          'replay lines/s': r.replayEventsPerSec,
          'worker events/s': r.workerEventsPerSec,
          'worker max send ms': r.workerMaxSendMs,
          'worker compactions': r.workerCompactions,
          contended: r.contended,
          coalesce: r.coalesce,
          'load avg 1m (start/end)': `${r.loadAvg1mStart}/${r.loadAvg1mEnd}`,
        },
      ]),
    ),
  )
  rmSync(dir, { recursive: true, force: true })
  if (json) console.log(JSON.stringify(results))
}

await main()
