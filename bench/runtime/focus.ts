/**
 * One runtime scenario on its own, for profiling (`node --cpu-prof` writes one profile per
 * thread, the actor's worker included) and for quick A/B checks of a change:
 *
 *   npx tsx bench/runtime/focus.ts <roundtrip|raw-roundtrip|machine-roundtrip|burst|inline> [--seconds 5] [--json] [--young MiB]
 *   node --import tsx --cpu-prof --cpu-prof-dir=prof bench/runtime/focus.ts burst
 *   node --trace-gc --import tsx bench/runtime/focus.ts roundtrip --young 16
 *
 * `--young N` spawns the actor with `workerLimits.maxYoungGenerationSizeMb: N` instead of the
 * runtime's default (32): with 16, `--trace-gc` shows the actor's thread tenuring short-lived
 * objects in most runs (scavenges of 1-4 ms that grow the old generation, a mark-compact every
 * ~10 of them) and the round trip costs about 3.5 CPU µs more (see WorkerLimits in options.ts).
 *
 * Runs the scenario in chunks (10,000 round trips or 100,000 messages) for `--seconds`, after one
 * warm-up chunk, and prints the rate of each chunk and their median. The same payloads and the
 * same sink machine as runtime.bench.ts; the ratios themselves come from that bench.
 */
import { loadavg } from 'node:os'
import { MessageChannel, Worker } from 'node:worker_threads'
import { createActor } from 'xstate'
import { ActorSystem } from '../../src/runtime/index.ts'
import { resolveEntry } from '../../src/runtime/entry.ts'
import { ALIVE } from '../fixtures/payload.ts'
import { createSinkMachine } from '../fixtures/actors/sink/machine.ts'
import { sink as sinkDef } from '../fixtures/actors/sink/definition.ts'

const argv = process.argv.slice(2)
const mode = argv[0] ?? 'roundtrip'
const secondsAt = argv.indexOf('--seconds')
const seconds = secondsAt >= 0 && Number(argv[secondsAt + 1]) > 0 ? Number(argv[secondsAt + 1]) : 5
const youngAt = argv.indexOf('--young')
const young = youngAt >= 0 ? Number(argv[youngAt + 1]) : undefined
const ECHO = { ...ALIVE, type: 'sink.echo' as const }
const ROUND_TRIPS = 10_000
const ONE_WAY = 100_000

/** CPU µs per op of each chunk (user + system, every thread of the process): less noisy than rates on a shared machine. */
const cpuPerOp: number[] = []
/** The system (kernel) part of it: wake-ups of a sleeping thread, mostly. */
const sysPerOp: number[] = []

/** Runs `chunk` until the time is up; returns ops/s of each chunk. */
async function timed(ops: number, chunk: () => Promise<void> | void): Promise<number[]> {
  await chunk()
  const rates: number[] = []
  const end = performance.now() + seconds * 1000
  while (performance.now() < end) {
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    await chunk()
    rates.push(Math.round((ops / (performance.now() - t0)) * 1000))
    const c = process.cpuUsage(c0)
    cpuPerOp.push((c.user + c.system) / ops)
    sysPerOp.push(c.system / ops)
  }
  return rates
}

async function run(): Promise<number[]> {
  if (mode === 'inline') {
    const actor = createActor(createSinkMachine({ reply: () => {} })).start()
    return timed(ONE_WAY, () => {
      for (let i = 0; i < ONE_WAY; i++) actor.send(ALIVE)
    })
  }
  if (mode === 'raw-roundtrip' || mode === 'machine-roundtrip') {
    const { port1, port2 } = new MessageChannel()
    const entry = resolveEntry(new URL('../fixtures/raw-worker.ts', import.meta.url))
    const machine = mode === 'machine-roundtrip'
    const worker = new Worker(entry.file, { workerData: { __entry: entry.tsEntry, port: port2, mode: machine ? 'machine-echo' : 'echo' }, transferList: [port2] })
    let cid = 0
    let waiting: (() => void) | undefined
    port1.on('message', () => waiting?.())
    try {
      return await timed(ROUND_TRIPS, async () => {
        for (let i = 0; i < ROUND_TRIPS; i++) {
          const reply = new Promise<void>((resolve) => (waiting = resolve))
          port1.postMessage(machine ? Object.assign({}, ECHO, { replyTo: { to: '$main', cid: ++cid } }) : ALIVE)
          await reply
        }
      })
    } finally {
      port1.close()
      await worker.terminate()
    }
  }
  // An invalid --young is refused by ActorSystem.start (InvalidConfigError naming the field).
  const system = await ActorSystem.start({ logLevel: 'warn', ...(young !== undefined ? { workerLimits: { maxYoungGenerationSizeMb: young } } : {}) })
  try {
    const sink = await system.spawn(sinkDef, { id: 'sink' })
    await sink.ask({ type: 'sink.ping' })
    if (mode === 'roundtrip') {
      return await timed(ROUND_TRIPS, async () => {
        for (let i = 0; i < ROUND_TRIPS; i++) await sink.ask(ECHO)
      })
    }
    if (mode === 'burst') {
      let handled = 0
      return await timed(ONE_WAY, async () => {
        handled += ONE_WAY
        const done = sink.ask({ type: 'sink.await', count: handled }, { timeoutMs: 60_000 })
        for (let i = 0; i < ONE_WAY; i++) if (sink.send(ALIVE) === 'backpressure') await sink.ready()
        await done
      })
    }
    throw new Error(`unknown mode ${mode}: roundtrip, raw-roundtrip, machine-roundtrip, burst or inline`)
  } finally {
    await system.shutdown()
  }
}

/** The machine's 1-minute load average before and after (a shared 2-core machine: above ~1, other work competed). */
const loadStart = Number(loadavg()[0]!.toFixed(2))
const rates = await run()
const loadEnd = Number(loadavg()[0]!.toFixed(2))
const mid = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const median = mid(rates)
const cpuUs = Number(mid(cpuPerOp).toFixed(3))
console.log(`${mode}: median ${median} ops/s over ${rates.length} chunks (min ${Math.min(...rates)}, max ${Math.max(...rates)}); CPU ${cpuUs} µs/op (all threads; ${mid(sysPerOp).toFixed(3)} of it system); load average ${loadStart} -> ${loadEnd}`)
if (argv.includes('--json')) console.log(JSON.stringify({ mode, medianPerSec: median, cpuUsPerOp: cpuUs, sysUsPerOp: Number(mid(sysPerOp).toFixed(3)), chunks: rates, loadAvg: { start: loadStart, end: loadEnd } }))
