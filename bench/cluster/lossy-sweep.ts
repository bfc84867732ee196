/**
 * Seed sweep of issue 4's "30% packet loss for 10 minutes without a false dead" scenario: for each
 * seed, 12 nodes bootstrap through n1 and converge, then every packet has `loss` for `minutes`
 * simulated minutes, then the loss stops and the cluster must converge again. Counts, per run,
 * accusations (suspicions a node started itself), local dead declarations and dead reports about
 * nodes that never crashed (false deaths, per observer: one node marking one peer dead once).
 *
 *   npx tsx bench/cluster/lossy-sweep.ts [--seeds 1-20] [--nodes 12] [--loss 0.3] [--minutes 10]
 *                                        [--memberlist] [--detector phi] [--json]
 * --memberlist runs memberlist's exact rules (staleSuspicionRefresh: false) instead of the default.
 */
import { SimCluster } from '../../sim/cluster.ts'
import { falseDeaths, runScenario } from '../../sim/scenario.ts'
import type { Operation } from '../../sim/scenario.ts'
import { parseSeeds } from '../support/args.ts'

interface Args {
  seeds: number[]
  nodes: number
  loss: number
  minutes: number
  memberlist: boolean
  detector: 'lifeguard' | 'phi'
  json: boolean
}

function parseArgs(argv: string[]): Args {
  const args: Args = { seeds: parseSeeds('1-20'), nodes: 12, loss: 0.3, minutes: 10, memberlist: false, detector: 'lifeguard', json: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const next = () => argv[++i] ?? ''
    if (a === '--seeds') args.seeds = parseSeeds(next())
    else if (a === '--nodes') args.nodes = Number(next())
    else if (a === '--loss') args.loss = Number(next())
    else if (a === '--minutes') args.minutes = Number(next())
    else if (a === '--memberlist') args.memberlist = true
    else if (a === '--detector') args.detector = next() === 'phi' ? 'phi' : 'lifeguard'
    else if (a === '--json') args.json = true
  }
  return args
}

export function lossyScenario(nodes: number, loss: number, minutes: number): Operation[] {
  const ops: Operation[] = [{ op: 'addNode', name: 'n1' }]
  for (let i = 2; i <= nodes; i++) ops.push({ op: 'addNode', name: `n${i}`, joinVia: ['n1'] })
  ops.push(
    { op: 'assert', what: { kind: 'converged' }, withinMs: 30_000 },
    { op: 'loss', loss },
    { op: 'wait', ms: minutes * 60_000 },
    { op: 'loss', loss: 0 },
    { op: 'assert', what: { kind: 'converged' }, withinMs: 30_000 },
  )
  return ops
}

interface Row {
  seed: number
  ok: boolean
  accusations: number
  declaredDead: number
  falseDeaths: number
  refutations: number
  staleAnswered: number
  realMs: number
}

function main(): void {
  const args = parseArgs(process.argv.slice(2))
  const rows: Row[] = []
  for (const seed of args.seeds) {
    const started = performance.now()
    const c = new SimCluster({ seed, swim: { staleSuspicionRefresh: !args.memberlist, failureDetector: args.detector } })
    const r = runScenario(c, lossyScenario(args.nodes, args.loss, args.minutes))
    const accusations = c.events.filter((e) => e.output.type === 'suspect' && e.output.from === e.observer).length
    const declared = c.events.filter((e) => e.output.type === 'declared-dead').length
    const nodes = [...c.nodes.values()]
    rows.push({
      seed,
      ok: r.ok,
      accusations,
      declaredDead: declared,
      falseDeaths: falseDeaths(c).length,
      refutations: nodes.reduce((s, n) => s + n.swim.counters.refutations, 0),
      staleAnswered: nodes.reduce((s, n) => s + n.swim.counters.staleRumoursAnswered, 0),
      realMs: Math.round(performance.now() - started),
    })
  }
  console.table(rows)
  const total = (k: 'accusations' | 'declaredDead' | 'falseDeaths') => rows.reduce((s, r) => s + r[k], 0)
  const summary = {
    bench: 'lossy-sweep',
    nodes: args.nodes,
    loss: args.loss,
    minutes: args.minutes,
    staleSuspicionRefresh: !args.memberlist,
    detector: args.detector,
    runs: rows.length,
    runsWithFalseDeaths: rows.filter((r) => r.falseDeaths > 0).length,
    allConverged: rows.every((r) => r.ok),
    accusations: total('accusations'),
    declaredDead: total('declaredDead'),
    falseDeaths: total('falseDeaths'),
    realMsPerRun: Math.round(rows.reduce((s, r) => s + r.realMs, 0) / rows.length),
  }
  if (args.json) console.log(JSON.stringify({ ...summary, rows }))
  else console.log(summary)
}

main()
