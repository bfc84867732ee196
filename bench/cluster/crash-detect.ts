/**
 * Crash detection over many seeds, in the simulator (crash-detect-case.ts): N = 5 warm members on
 * LAN timings; per seed one member crashes (per `--faults`: its host goes down, or only its process
 * dies and its host refuses connections), and separately one member turns slow (its packets
 * delayed each way) for a few seconds. Reports the distribution of the time until every other
 * member holds the crashed one dead, and how often a slow member is reported dead (false deaths).
 *
 *   npx tsx bench/cluster/crash-detect.ts [--seeds 1-200] [--nodes 5] [--variants default,memberlist]
 *                                         [--faults host,process] [--delays 600,1500,2500] [--slow-seconds 5] [--json]
 * Variants: `default` is the default config; `memberlist` is memberlist's probe and gossip timing
 * (swim.fastCrashDetection and fastJoinPropagation false). Prints a table, and with --json one JSON object as the last line.
 */
import type { SwimInit } from '../../actors/swim/config.ts'
import { crashCase, slowCase } from './crash-detect-case.ts'
import type { CrashFault } from './crash-detect-case.ts'
import { parseSeeds } from '../support/args.ts'
import { distribution } from '../support/distribution.ts'

const VARIANTS: Record<string, SwimInit> = {
  default: {},
  memberlist: { fastCrashDetection: false, fastJoinPropagation: false, probeOrder: 'shuffled' } as SwimInit,
}

interface Args {
  seeds: number[]
  nodes: number
  variants: string[]
  faults: CrashFault[]
  delays: number[]
  slowSeconds: number
  json: boolean
}

function parseArgs(argv: string[]): Args {
  const args: Args = { seeds: parseSeeds('1-200'), nodes: 5, variants: ['default', 'memberlist'], faults: ['host', 'process'], delays: [600, 1500, 2500], slowSeconds: 5, json: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const next = () => argv[++i] ?? ''
    if (a === '--seeds') args.seeds = parseSeeds(next())
    else if (a === '--nodes') args.nodes = Number(next())
    else if (a === '--variants') args.variants = next().split(',')
    else if (a === '--faults') args.faults = next().split(',') as CrashFault[]
    else if (a === '--delays') args.delays = next().split(',').map(Number)
    else if (a === '--slow-seconds') args.slowSeconds = Number(next())
    else if (a === '--json') args.json = true
  }
  for (const f of args.faults) if (f !== 'host' && f !== 'process') throw new Error(`unknown fault ${f} (known: host, process)`)
  for (const v of args.variants) if (VARIANTS[v] === undefined) throw new Error(`unknown variant ${v} (known: ${Object.keys(VARIANTS).join(', ')})`)
  return args
}

/** Every seed's crash under one fault: the distributions of its phases (s). */
function crashSweep(args: Args, swim: SwimInit, fault: CrashFault) {
  const all: number[] = []
  const firstSuspicion: number[] = []
  const firstDeclaration: number[] = []
  const declarationAfterSuspicion: number[] = []
  const spread: number[] = []
  let undetected = 0
  for (const seed of args.seeds) {
    const r = crashCase(args.nodes, seed, swim, fault)
    if (r.allDeadMs === undefined) undetected++
    else all.push(r.allDeadMs)
    if (r.firstSuspicionMs !== undefined) firstSuspicion.push(r.firstSuspicionMs)
    if (r.firstDeclarationMs !== undefined) firstDeclaration.push(r.firstDeclarationMs)
    if (r.firstDeclarationMs !== undefined && r.firstSuspicionMs !== undefined) declarationAfterSuspicion.push(r.firstDeclarationMs - r.firstSuspicionMs)
    if (r.firstDeclarationMs !== undefined && r.allDeadMs !== undefined) spread.push(r.allDeadMs - r.firstDeclarationMs)
  }
  return { allDeadS: distribution(all), undetected, firstSuspicionS: distribution(firstSuspicion), firstDeclarationS: distribution(firstDeclaration), declarationAfterSuspicionS: distribution(declarationAfterSuspicion), spreadS: distribution(spread) }
}

function main(): void {
  const args = parseArgs(process.argv.slice(2))
  const started = performance.now()
  const results = args.variants.map((variant) => {
    const swim = VARIANTS[variant]!
    const crashes = Object.fromEntries(args.faults.map((fault) => [fault, crashSweep(args, swim, fault)]))
    const slow = args.delays.map((delayMs) => {
      let runsWithFalseDeath = 0
      let falseDeaths = 0
      let accusations = 0
      let suspicionViews = 0
      for (const seed of args.seeds) {
        const r = slowCase(args.nodes, seed, swim, delayMs, args.slowSeconds * 1000)
        if (r.falseDeaths > 0) runsWithFalseDeath++
        falseDeaths += r.falseDeaths
        accusations += r.accusations
        suspicionViews += r.suspicionViews
      }
      return { delayMs, runsWithFalseDeath, falseDeaths, accusations, suspicionViews }
    })
    return { variant, crashes, slow }
  })
  const out = { bench: 'crash-detect', nodes: args.nodes, seeds: args.seeds.length, slowSeconds: args.slowSeconds, results, realS: Math.round(performance.now() - started) / 1000 }

  console.log(`crash detection, N = ${args.nodes}, LAN, ${args.seeds.length} seeds (simulated s from the crash)`)
  console.log(`variant     | ${'fault: phase'.padEnd(48)} | median    p90    max   mean`)
  const row = (variant: string, phase: string, d: ReturnType<typeof distribution>) =>
    console.log(`${variant.padEnd(11)} | ${phase.padEnd(48)} | ${[d.median, d.p90, d.max, d.mean].map((x) => String(x).padStart(6)).join(' ')}`)
  for (const r of results) {
    for (const [fault, c] of Object.entries(r.crashes)) {
      const phase = (what: string) => `${fault}: ${what}`
      row(r.variant, phase(`all see it dead (undetected: ${c.undetected})`), c.allDeadS)
      row(r.variant, phase('first suspicion (a failed probe)'), c.firstSuspicionS)
      row(r.variant, phase('first declaration'), c.firstDeclarationS)
      row(r.variant, phase('declaration - first suspicion'), c.declarationAfterSuspicionS)
      row(r.variant, phase('all see it dead - declaration'), c.spreadS)
    }
  }
  console.log(`\nslow member for ${args.slowSeconds} s (delay each way), then 60 s more: runs with a false death / false deaths / accusations / suspicion views`)
  for (const r of results) for (const s of r.slow) console.log(`${r.variant.padEnd(11)} | ${String(s.delayMs).padStart(5)} ms | ${s.runsWithFalseDeath} / ${s.falseDeaths} / ${s.accusations} / ${s.suspicionViews}`)
  console.log(`\nreal time ${out.realS} s`)
  if (args.json) console.log(JSON.stringify(out))
}

main()
