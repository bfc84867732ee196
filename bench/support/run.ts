/**
 * The shared benchmark runner (tinybench 6). A scenario is one timed run of `ops` operations
 * (a whole batch, since cross-thread throughput cannot be timed per call); tinybench repeats it
 * and the runner reports ops/s from the median run time. Prints a console.table; with `--json`
 * prints exactly one JSON object as the last line of stdout.
 *
 *   const { json, timeMs } = benchArgs()
 *   const results = await runScenarios('runtime', [{ name: 'x', ops: 1000, run: async () => {...} }], { timeMs, rounds })
 *   printReport(results, { extra: { ratio: 0.9 } })
 */
import { Bench } from 'tinybench'

export interface Scenario {
  /** Unique within one bench; also the key in the JSON output. */
  name: string
  /** Operations one run performs (messages, round trips, encodes). */
  ops: number
  run: () => unknown
  /** Once before the runs of this scenario (start workers, warm caches). */
  before?: () => unknown
  /** Once after (stop what `before` started). */
  after?: () => unknown
}

export interface ScenarioResult {
  name: string
  /** Operations per second from the median run time. */
  opsPerSec: number
  /** Median time of one run, ms. */
  medianMs: number
  runs: number
  /** Relative margin of error of the run time, %. */
  rmePct: number
  /** ops/s of each round, when run in rounds. */
  rounds?: number[]
}

export interface BenchArgs {
  json: boolean
  /** Time budget per scenario, ms (`--time N`, default 1500). */
  timeMs: number
  /** Minimum runs per scenario (`--runs N`, default 5). */
  runs: number
  /** Interleaved rounds over all scenarios (`--rounds N`, default 3). */
  rounds: number
}

export function benchArgs(argv: string[] = process.argv.slice(2)): BenchArgs {
  const num = (flag: string, dflt: number): number => {
    const i = argv.indexOf(flag)
    const v = i >= 0 ? Number(argv[i + 1]) : Number.NaN
    return Number.isFinite(v) && v > 0 ? v : dflt
  }
  return { json: argv.includes('--json'), timeMs: num('--time', 1500), runs: num('--runs', 5), rounds: num('--rounds', 3) }
}

/**
 * Runs every scenario `rounds` times, interleaved (a, b, c, a, b, c, ...), and reports for each
 * the median over rounds: on a shared machine, load that comes and goes then hits every
 * scenario alike instead of skewing one ratio.
 */
export async function runScenarios(
  title: string,
  scenarios: Scenario[],
  options: { timeMs?: number; runs?: number; rounds?: number } = {},
): Promise<ScenarioResult[]> {
  const rounds = options.rounds ?? 1
  const perRound: ScenarioResult[][] = []
  for (let r = 0; r < rounds; r++) perRound.push(await runOnce(title, scenarios, options))
  return scenarios.map((s, i) => {
    const all = perRound.map((round) => round[i]!).sort((a, b) => a.opsPerSec - b.opsPerSec)
    const mid = all[Math.floor(all.length / 2)]!
    return { ...mid, runs: all.reduce((n, x) => n + x.runs, 0), rounds: all.map((x) => x.opsPerSec) }
  })
}

async function runOnce(title: string, scenarios: Scenario[], options: { timeMs?: number; runs?: number }): Promise<ScenarioResult[]> {
  const out: ScenarioResult[] = []
  // One Bench per scenario so each one's workers live only while it runs.
  for (const s of scenarios) {
    const bench = new Bench({ name: `${title}: ${s.name}`, time: options.timeMs ?? 1500, iterations: options.runs ?? 5, warmupIterations: 1, warmupTime: 0 })
    bench.add(s.name, s.run)
    if (s.before !== undefined) await s.before()
    try {
      await bench.run()
    } finally {
      if (s.after !== undefined) await s.after()
    }
    const task = bench.tasks[0]!
    const result = task.result as { state?: string; latency?: { p50?: number; rme?: number }; error?: unknown } | undefined
    if (result === undefined || result.latency?.p50 === undefined) throw new Error(`scenario ${s.name} failed: ${String(result?.error ?? result?.state)}`)
    const medianMs = result.latency.p50
    out.push({ name: s.name, opsPerSec: Math.round((s.ops / medianMs) * 1000), medianMs, runs: task.runs, rmePct: Number((result.latency.rme ?? 0).toFixed(2)) })
  }
  return out
}

/** Prints the table, then (with --json) one JSON object as the last line: `{ <name>: opsPerSec, ...extra }`. */
export function printReport(results: ScenarioResult[], options: { json: boolean; extra?: Record<string, unknown>; notes?: string[] }): void {
  console.table(
    results.map((r) => ({
      scenario: r.name,
      'ops/s': r.opsPerSec,
      'median run (ms)': Number(r.medianMs.toFixed(2)),
      runs: r.runs,
      'rme %': r.rmePct,
      ...(r.rounds !== undefined ? { 'per round': r.rounds.join(' / ') } : {}),
    })),
  )
  for (const note of options.notes ?? []) console.log(note)
  if (options.json) {
    const obj: Record<string, unknown> = {}
    for (const r of results) obj[r.name] = r.opsPerSec
    console.log(JSON.stringify({ ...obj, ...options.extra }))
  }
}
