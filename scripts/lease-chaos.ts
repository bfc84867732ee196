/**
 * Lease chaos: the election's membership backend model-checked over many seeds (the 1,000),
 * with the same simulator and checks as test/actors/election/lease-safety.test.ts: drifting clocks
 * (±1%), loss, duplication, reordering, partitions and heals, crashes and restarts from the persisted
 * promise. Prints a table per cluster size (violations, heals, time to a leader after a heal) and,
 * with --json, one JSON object as the last line. Exit status 1 when any run broke a rule.
 *
 *   npm run chaos:lease -- --seeds 1000 [--nodes 5,7,15] [--duration-ms 60000] [--first-seed 1] [--json]
 */
import { SIM_BOUND_MS, runLeaseSim } from '../bench/election/lease-sim.ts'

interface Args {
  seeds: number
  firstSeed: number
  nodes: number[]
  durationMs: number
  json: boolean
}

function parseArgs(argv: string[]): Args {
  const args: Args = { seeds: 1000, firstSeed: 1, nodes: [5, 7, 15], durationMs: 60_000, json: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const value = () => {
      const v = argv[++i]
      if (v === undefined) usage(`${a} needs a value`)
      return v
    }
    const int = (v: string, name: string, min: number) => {
      const n = Number(v)
      if (!Number.isSafeInteger(n) || n < min) usage(`${name} must be an integer >= ${min} (got ${JSON.stringify(v)})`)
      return n
    }
    if (a === '--seeds') args.seeds = int(value(), '--seeds', 1)
    else if (a === '--first-seed') args.firstSeed = int(value(), '--first-seed', 0)
    else if (a === '--duration-ms') args.durationMs = int(value(), '--duration-ms', 10_000)
    else if (a === '--nodes') args.nodes = value().split(',').map((x) => int(x, '--nodes', 1))
    else if (a === '--json') args.json = true
    else usage(`unknown argument ${a}`)
  }
  return args
}

function usage(message: string): never {
  console.error(`lease-chaos: ${message}\nusage: lease-chaos [--seeds N] [--first-seed N] [--nodes 5,7,15] [--duration-ms MS] [--json]`)
  process.exit(2)
}

function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

const args = parseArgs(process.argv.slice(2))
const rows = []
let failed = false
for (const n of args.nodes) {
  const started = performance.now()
  const recoveries: number[] = []
  const violations: string[] = []
  let noLeader = 0
  let leaderships = 0
  let messages = 0
  let crashes = 0
  let minGap = Infinity
  let twoLeaderInstants = 0
  let staleTermsAccepted = 0
  for (let seed = args.firstSeed; seed < args.firstSeed + args.seeds; seed++) {
    const r = runLeaseSim({ nodes: n, seed, durationMs: args.durationMs })
    violations.push(...r.violations)
    leaderships += r.leaderships
    messages += r.messages
    crashes += r.crashes
    twoLeaderInstants += r.twoLeaderInstants
    staleTermsAccepted += r.staleTermsAccepted
    if (r.minGapMs !== undefined) minGap = Math.min(minGap, r.minGapMs)
    for (const x of r.recoveries) x === undefined ? noLeader++ : recoveries.push(x)
  }
  recoveries.sort((a, b) => a - b)
  const safety = violations.filter((v) => !v.includes('no leader')).length
  const liveness = violations.length - safety
  if (violations.length > 0) failed = true
  rows.push({
    nodes: n,
    seeds: args.seeds,
    safetyViolations: safety,
    /** Of which: two nodes holding an unexpired lease at once; a node accepting a term below one it accepted. */
    twoLeaderInstants,
    staleTermsAccepted,
    livenessViolations: liveness,
    heals: recoveries.length + noLeader,
    healsWithoutLeader: noLeader,
    leaderAfterHealMs: { p50: quantile(recoveries, 0.5), p99: quantile(recoveries, 0.99), max: quantile(recoveries, 1) },
    boundMs: SIM_BOUND_MS,
    leaderships,
    /** Closest approach of two different nodes' leaderships, ms (true time; negative = overlap). */
    minHandoverGapMs: Number.isFinite(minGap) ? Math.round(minGap * 10) / 10 : null,
    crashes,
    messages,
    wallMs: Math.round(performance.now() - started),
    firstViolations: violations.slice(0, 3),
  })
}

console.log(`lease chaos: seeds ${args.firstSeed}..${args.firstSeed + args.seeds - 1}, ${args.durationMs / 1000} s simulated each, drift ±1%, bound ${SIM_BOUND_MS} ms`)
console.table(
  rows.map((r) => ({
    N: r.nodes,
    'safety viol.': r.safetyViolations,
    'two leaders': r.twoLeaderInstants,
    'stale terms': r.staleTermsAccepted,
    'liveness viol.': r.livenessViolations,
    heals: r.heals,
    'leader after heal p50/p99/max (ms)': `${r.leaderAfterHealMs.p50?.toFixed(0)} / ${r.leaderAfterHealMs.p99?.toFixed(0)} / ${r.leaderAfterHealMs.max?.toFixed(0)}`,
    leaderships: r.leaderships,
    'closest handover (ms)': r.minHandoverGapMs,
    crashes: r.crashes,
    messages: r.messages,
    'wall s': (r.wallMs / 1000).toFixed(1),
  })),
)
for (const r of rows) for (const v of r.firstViolations) console.log(`  ${v}`)
if (args.json) console.log(JSON.stringify({ seeds: args.seeds, firstSeed: args.firstSeed, durationMs: args.durationMs, ok: !failed, results: rows }))
process.exitCode = failed ? 1 : 0
