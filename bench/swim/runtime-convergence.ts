/**
 * Convergence through the real actors (swim, gossip-queue, member-manager per node, inline on one
 * simulated clock: sim/runtime-cluster.ts), where the way swim gets its piggybacked broadcasts
 * matters (bench:cluster drives SwimNode with an in-thread queue and does not see it). Per seed:
 * N nodes join through n1; then one more joins through n3; then n2 crashes. Simulated seconds:
 *
 * - bootstrapS: from the first addNode until every member-manager sees all N alive;
 * - joinS: from the late node's addNode until every member-manager sees it alive;
 * - detectS: from n2's crash until every running member-manager sees it failed.
 *
 *   npx tsx bench/swim/runtime-convergence.ts [--nodes 8] [--seeds 5] [--json]
 *
 * Prints a table; with --json one JSON object as the last line of stdout.
 */
import { RuntimeCluster } from '../../sim/runtime-cluster.ts'
import { runScenarioAsync } from '../../sim/scenario.ts'
import type { Operation, ScenarioResult } from '../../sim/scenario.ts'

const argv = process.argv.slice(2)
const arg = (flag: string, dflt: number): number => {
  const i = argv.indexOf(flag)
  const v = i >= 0 ? Number(argv[i + 1]) : dflt
  if (!Number.isInteger(v) || v < 1) throw new Error(`${flag} must be an integer >= 1`)
  return v
}
const NODES = arg('--nodes', 8)
const SEEDS = arg('--seeds', 5)

const names = Array.from({ length: NODES }, (_, i) => `n${i + 1}`)
const ops: Operation[] = [
  { op: 'addNode', name: 'n1' },
  ...names.slice(1).map((name): Operation => ({ op: 'addNode', name, joinVia: ['n1'] })),
  { op: 'assert', what: { kind: 'converged' }, withinMs: 60_000 },
  { op: 'addNode', name: 'late', joinVia: ['n3'] },
  { op: 'assert', what: { kind: 'state', subject: 'late', state: 'alive' }, withinMs: 60_000 },
  { op: 'crashNode', name: 'n2' },
  { op: 'assert', what: { kind: 'state', subject: 'n2', state: 'dead' }, withinMs: 60_000 },
]

/** When the assertion of step `i` held (simulated ms), or NaN. */
const heldAt = (r: ScenarioResult, i: number): number => Number(/held at (\d+)/.exec(r.steps[i]?.detail ?? '')?.[1] ?? NaN)
const stepOf = (r: ScenarioResult, pred: (o: Operation) => boolean): number => r.steps.findIndex((s) => pred(s.op))

const rows: Array<{ seed: number; ok: boolean; bootstrapS: number; joinS: number; detectS: number }> = []
for (let seed = 1; seed <= SEEDS; seed++) {
  const c = new RuntimeCluster({ seed })
  try {
    const r = await runScenarioAsync(c, ops)
    const boot = stepOf(r, (o) => o.op === 'assert' && o.what.kind === 'converged')
    const add = stepOf(r, (o) => o.op === 'addNode' && o.name === 'late')
    const crash = stepOf(r, (o) => o.op === 'crashNode')
    rows.push({
      seed,
      ok: r.ok,
      bootstrapS: (heldAt(r, boot) - r.steps[0]!.atMs) / 1000,
      joinS: (heldAt(r, add + 1) - r.steps[add]!.atMs) / 1000,
      detectS: (heldAt(r, crash + 1) - r.steps[crash]!.atMs) / 1000,
    })
  } finally {
    await c.close()
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? NaN
}
console.log(`convergence through the real actors (RuntimeCluster), ${NODES} nodes, simulated seconds`)
console.log('| seed | ok | bootstrap s | late join s | crash detected s |')
console.log('|---:|:--|---:|---:|---:|')
for (const r of rows) console.log(`| ${r.seed} | ${r.ok} | ${r.bootstrapS} | ${r.joinS} | ${r.detectS} |`)
const result = {
  nodes: NODES,
  seeds: SEEDS,
  allOk: rows.every((r) => r.ok),
  bootstrapMedianS: median(rows.map((r) => r.bootstrapS)),
  joinMedianS: median(rows.map((r) => r.joinS)),
  detectMedianS: median(rows.map((r) => r.detectS)),
  runs: rows,
}
console.log(`| median | ${result.allOk} | ${result.bootstrapMedianS} | ${result.joinMedianS} | ${result.detectMedianS} |`)
if (argv.includes('--json')) console.log(JSON.stringify(result))
