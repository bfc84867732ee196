/**
 * Broadcast spread through the real actors (sim/runtime-cluster.ts: swim, gossip-queue,
 * member-manager, serf-events inline on one simulated clock and memory network): for each preset,
 * cluster size and seed, the simulated time from a user event, a graceful leave and a join to the
 * moment the LAST other node has it (a run that took over 30 s is counted as missed). Printed as
 * p50/p99/max per case, next to memberlist's own algorithm on the same N (spread-model.ts: every
 * gossip interval, gossipNodes random peers get each queued broadcast, up to retransmitMult ×
 * ceil(log10(n + 1)) times) and the same with gossip-queue's floor (minRetransmits); the model's
 * "missed" is the share of broadcasts that some node never gets by gossip (it waits for a
 * push/pull, 15-30 s): the tail the measured p99/max show.
 *
 *   npx tsx bench/cluster/spread.ts [--seeds 20] [--nodes 5,9] [--presets lan,local] [--verbose] [--json]
 */
import { RuntimeCluster } from '../../sim/runtime-cluster.ts'
import { createSwimConfig } from '../../actors/swim/config.ts'
import type { SwimPreset } from '../../actors/swim/config.ts'
import { gossipQueueConfigFor } from '../../actors/gossip-queue/config.ts'
import { modelSpread } from './spread-model.ts'

const STEP_MS = 5
const CAP_MS = 30_000

interface Args {
  seeds: number
  nodes: number[]
  presets: SwimPreset[]
  json: boolean
  /** Each seed's figures on stderr. */
  verbose: boolean
}

function parseArgs(argv: string[]): Args {
  const a: Args = { seeds: 20, nodes: [5, 9], presets: ['lan', 'local'], json: false, verbose: false }
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1]
    switch (argv[i]) {
      case '--seeds':
        a.seeds = Number(v)
        i++
        break
      case '--nodes':
        a.nodes = v!.split(',').map(Number)
        i++
        break
      case '--presets':
        a.presets = v!.split(',') as SwimPreset[]
        i++
        break
      case '--json':
        a.json = true
        break
      case '--verbose':
        a.verbose = true
        break
      default:
        throw new Error(`spread: unknown argument ${argv[i]}`)
    }
  }
  return a
}

/** Advances the clock in small steps until `done()` or the cap; returns the ms it took, or null. */
async function timeUntil(c: RuntimeCluster, done: () => boolean): Promise<number | null> {
  const t0 = c.now()
  while (!done()) {
    if (c.now() - t0 >= CAP_MS) return null
    await c.run(STEP_MS)
  }
  return c.now() - t0
}

interface Run {
  event: number | null
  leave: number | null
  join: number | null
}

async function runOne(preset: SwimPreset, n: number, seed: number): Promise<Run> {
  const c = new RuntimeCluster({ seed, preset })
  try {
    const names = Array.from({ length: n }, (_, i) => `n${i + 1}`)
    await c.addNode('n1')
    for (const name of names.slice(1)) await c.addNode(name, ['n1'])
    if ((await c.runUntil(() => c.converged(), 60_000)) === undefined) throw new Error(`${preset} N=${n} seed ${seed}: no convergence`)
    // Let the joins' broadcasts run out, so each measurement starts from quiet queues.
    await c.run(10_000)
    const pick = (from: readonly string[]) => from[c.random.int(from.length)]!

    // A user event from a random node: every other node's serf-events emits it.
    const sender = pick(names)
    const mark = c.serfEvents.length
    await c.get(sender).serfEvents.ask({ type: 'serf.user-event', name: 'spread', payload: Uint8Array.of(1), coalesce: false })
    const got = () => new Set(c.serfEvents.slice(mark).filter((e) => e.msg.type === 'serf.user-event' && e.observer !== sender).map((e) => e.observer)).size
    const event = await timeUntil(c, () => got() === n - 1)
    await c.run(10_000)

    // A graceful leave: every other node's member-manager emits member-leave for it.
    const leaver = pick(names.filter((x) => x !== sender))
    const rest = names.filter((x) => x !== leaver)
    const evMark = c.events.length
    const seenLeave = () => new Set(c.events.slice(evMark).filter((e) => e.msg.type === 'member.event' && e.msg.event === 'member-leave' && e.msg.members.some((m) => m.name === leaver)).map((e) => e.observer))
    c.leave(leaver)
    const leave = await timeUntil(c, () => rest.every((x) => seenLeave().has(x)))
    await c.run(10_000)

    // A join through one live node: every other node emits member-join for it.
    const via = pick(rest)
    const joinMark = c.events.length
    const seenJoin = () => new Set(c.events.slice(joinMark).filter((e) => e.msg.type === 'member.event' && e.msg.event === 'member-join' && e.msg.members.some((m) => m.name === 'joiner')).map((e) => e.observer))
    const t0 = c.now()
    await c.addNode('joiner', [via])
    const joinRest = await timeUntil(c, () => rest.every((x) => seenJoin().has(x)))
    const join = joinRest === null ? null : c.now() - t0
    if (c.problems.length > 0) throw new Error(`${preset} N=${n} seed ${seed}: ${c.problems.join('; ')}`)
    return { event, leave, join }
  } finally {
    await c.close()
  }
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!
}

interface Summary {
  p50: number
  p99: number
  max: number
  missed: number
}

function summarize(xs: Array<number | null>): Summary {
  const ok = xs.filter((x): x is number => x !== null).sort((a, b) => a - b)
  return { p50: quantile(ok, 0.5), p99: quantile(ok, 0.99), max: ok.at(-1) ?? NaN, missed: xs.length - ok.length }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const rows: Array<Record<string, unknown>> = []
  const pct = (m: { missed: number; trials: number }) => `${((100 * m.missed) / m.trials).toFixed(2)}%`
  const fmt = (s: Summary) => `${s.p50}/${s.p99}/${s.max}${s.missed > 0 ? ` (${s.missed} missed)` : ''}`
  if (!args.json) console.log('preset  N  | user event p50/p99/max ms | leave p50/p99/max ms | join p50/p99/max ms | memberlist model p50/p99/max ms | model with the floor')
  for (const preset of args.presets) {
    for (const n of args.nodes) {
      const runs: Run[] = []
      for (let seed = 1; seed <= args.seeds; seed++) {
        const r = await runOne(preset, n, seed)
        if (args.verbose) process.stderr.write(`${preset} N=${n} seed ${seed}: event ${r.event} leave ${r.leave} join ${r.join}\n`)
        runs.push(r)
      }
      const cfg = createSwimConfig({}, preset)
      const shape = { n, gossipNodes: cfg.gossipNodes, gossipIntervalMs: cfg.gossipIntervalMs, retransmitMult: cfg.retransmitMult, trials: 10_000, seed: 1 }
      const model = modelSpread(shape)
      const modelFloor = modelSpread({ ...shape, minRetransmits: gossipQueueConfigFor({ retransmitMult: cfg.retransmitMult, udpBufferSize: cfg.udpBufferSize, gossipNodes: cfg.gossipNodes, encrypted: false }).minRetransmits })
      const row = { preset, n, seeds: args.seeds, event: summarize(runs.map((r) => r.event)), leave: summarize(runs.map((r) => r.leave)), join: summarize(runs.map((r) => r.join)), model, modelFloor }
      rows.push(row)
      if (!args.json) console.log(`${preset.padEnd(6)} ${String(n).padStart(2)}  | ${fmt(row.event).padEnd(25)} | ${fmt(row.leave).padEnd(20)} | ${fmt(row.join).padEnd(19)} | ${model.p50}/${model.p99}/${model.max}, ${pct(model)} missed | ${modelFloor.p50}/${modelFloor.p99}/${modelFloor.max}, ${pct(modelFloor)} missed`)
    }
  }
  if (args.json) console.log(JSON.stringify({ stepMs: STEP_MS, capMs: CAP_MS, rows }))
}

await main()
