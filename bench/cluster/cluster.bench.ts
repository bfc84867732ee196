/**
 * Cluster convergence and failure detection, measured in the deterministic simulator (sim/) with
 * the real encoded packets, LAN defaults and 1 ms links, for each node count and packet loss. N
 * members start warm (every table full, queues empty); loss starts when the first member knows the
 * joiner (`--loss-from join`, default) or before the join (`start`).
 *
 * Figures (all simulated time; "live" = any member except the crashed one after its crash):
 * - joinConvergenceS p50/p90/p99/p99.99: seconds from the first member knowing a new node (the end of
 *   its join push/pull) until that fraction of the N members know it (memberlist NotifyJoin), next
 *   to HashiCorp's convergence model (spec §9) for the same N and loss (referenceJoinS).
 * - failureDetectionS: from a crash until every running member that knew the node has it dead
 *   (null if the phase hit its cap; detectedFraction says how far it got), with p50/p90/p99,
 *   firstSuspicionS (first failed probe of it) and firstDeclarationS (first suspicion timer run out).
 * - falseSuspicionsPerNodeHour: accusations: suspicions a member starts from its own failed probe of
 *   a live member (counted once, at the accuser). falseSuspicionViewsPerNodeHour counts every
 *   member that came to suspect a live member, by its own probe, gossip or push/pull.
 * - falseDeathsPerNodeHour: episodes: distinct (live member, incarnation) pairs that at least one
 *   member marked dead (what an operator sees as a spurious member-failed). Also in the JSON:
 *   falseDeathViewsPerNodeHour (each member that marked a live member dead, by its own timer or by
 *   gossip of someone else's declaration: up to N − 1 per episode) and
 *   falseDeathDeclarationsPerNodeHour (suspicion timers that ran out on a live member). Per
 *   node-hour = divided by N × the measured simulated time.
 * - packetsPerNodePerS, bytesPerNodePerS: UDP packets, and UDP + TCP bytes, sent per member per
 *   second over the measured run (join, crash and quiet time).
 *
 * Usage:
 *   npm run bench:cluster -- --nodes 10,100,1000 [--loss 0,0.1,0.5] [--seed 1] [--detector phi]
 *                            [--memberlist-rules] [--loss-from join|start] [--detect-cap-s S] [--json]
 * --memberlist-rules turns off swim's staleSuspicionRefresh (on by default) for comparison.
 * The real time per case is printed for the 5-minute budget at N=1000.
 */
import { suspicionBoundsS, udpProbeFailure } from './model.ts'
import { round, runCase } from './run-case.ts'
import type { CaseResult } from './run-case.ts'

interface Args {
  nodes: number[]
  loss: number[]
  seed: number
  detector: 'lifeguard' | 'phi'
  lossFrom: 'join' | 'start'
  memberlistRules: boolean
  /** Overrides the crash-detection cap of every case (simulated seconds). */
  detectCapS: number | undefined
  json: boolean
}

function parseArgs(argv: string[]): Args {
  const args: Args = { nodes: [10, 100], loss: [0, 0.1, 0.5], seed: 1, detector: 'lifeguard', lossFrom: 'join', memberlistRules: false, detectCapS: undefined, json: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const next = () => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${a} needs a value`)
      return v
    }
    if (a === '--nodes') args.nodes = next().split(',').map(Number)
    else if (a === '--loss') args.loss = next().split(',').map(Number)
    else if (a === '--seed') args.seed = Number(next())
    else if (a === '--detector') args.detector = next() === 'phi' ? 'phi' : 'lifeguard'
    else if (a === '--loss-from') args.lossFrom = next() === 'start' ? 'start' : 'join'
    else if (a === '--memberlist-rules') args.memberlistRules = true
    else if (a === '--detect-cap-s') args.detectCapS = Number(next())
    else if (a === '--json') args.json = true
    else throw new Error(`unknown argument ${a}`)
  }
  for (const n of args.nodes) if (!Number.isInteger(n) || n < 3) throw new Error(`--nodes: ${n} is not an integer >= 3`)
  for (const l of args.loss) if (!(l >= 0 && l < 1)) throw new Error(`--loss: ${l} is not in [0, 1)`)
  if (args.detectCapS !== undefined && !(args.detectCapS > 0)) throw new Error('--detect-cap-s: must be > 0')
  return args
}

/**
 * Simulated caps per case. N ≥ 1000 at ≥ 30% loss is a storm (every member holds a queued
 * broadcast about nearly every other, see the closing report): it costs ~2.4 s of real time per
 * simulated second on 2 cores, and the last watchers of a crash need ~120 s (they never hear the
 * dead message by gossip and wait for their own 72 s suspicion maximum), so that phase is capped at
 * 80 s to keep the N=1000 run under 5 minutes; p50/p90/p99 finish well inside it and
 * detectedFraction says how far it got. `--detect-cap-s 200` measures the whole tail (~6 min real).
 */
function caps(n: number, loss: number, detectCapS: number | undefined): { joinCapMs: number; detectCapMs: number; minRunMs: number } {
  const storm = n >= 1000 && loss >= 0.3
  return {
    joinCapMs: storm ? 30_000 : 90_000,
    detectCapMs: detectCapS !== undefined ? detectCapS * 1000 : storm ? 80_000 : 180_000,
    minRunMs: n <= 10 ? 600_000 : n <= 100 ? 120_000 : 0,
  }
}

const DEFINITIONS = {
  joinConvergenceS: 'seconds from the first member knowing the joiner until p of the N members know it',
  referenceJoinS: "HashiCorp's convergence model (spec §9), same N and loss",
  failureDetectionS: 'seconds from the crash until every running member that knew the node has it dead; null = cap reached',
  falseSuspicionsPerNodeHour: 'accusations: suspicions a member starts from its own failed probe of a live member, per node-hour',
  falseSuspicionViewsPerNodeHour: 'members that came to suspect a live member (own probe, gossip or push/pull), per node-hour',
  falseDeathsPerNodeHour: 'episodes: distinct (live member, incarnation) marked dead by at least one member, per node-hour',
  falseDeathViewsPerNodeHour: 'members that marked a live member dead (own timer or gossip), per node-hour',
  falseDeathDeclarationsPerNodeHour: 'suspicion timers that ran out on a live member, per node-hour',
  model: "memberlist's suspicion bounds for N + 1 nodes (spec §4.5) and the UDP-only probe failure probability at this loss, next to the measured one",
  packetsPerNodePerS: 'UDP packets sent per member per second',
  bytesPerNodePerS: 'UDP + TCP bytes sent per member per second',
}

function main(): void {
  const args = parseArgs(process.argv.slice(2))
  const started = performance.now()
  const runs: CaseResult[] = []
  for (const n of args.nodes) {
    for (const loss of args.loss) {
      const r = runCase({ n, loss, seed: args.seed, detector: args.detector, staleSuspicionRefresh: !args.memberlistRules, lossFrom: args.lossFrom, ...caps(n, loss, args.detectCapS) })
      const bounds = suspicionBoundsS(n + 1)
      r.model = {
        suspicionMinS: round(bounds.minS),
        suspicionMaxS: round(bounds.maxS),
        udpProbeFailure: round(udpProbeFailure(loss) * 1000) / 1000,
        measuredProbeFailure: round((r.diag['probesFailed']! / Math.max(1, r.diag['probes']!)) * 1000) / 1000,
      }
      runs.push(r)
      process.stderr.write(`N=${n} loss=${loss}: ${r.realS} s real\n`)
    }
  }
  const show = (o: Record<string, number | null>) => Object.values(o).map((v) => v ?? '-').join(' / ')
  console.table(
    runs.map((r) => ({
      N: r.nodes,
      loss: r.loss,
      'join p50/p90/p99/p99.99 (s)': show(r.joinConvergenceS),
      'model p50/p90/p99/p99.99 (s)': show(r.referenceJoinS),
      'detect all (s)': r.failureDetectionS ?? `- (${Math.round(r.detectedFraction * 100)}% at ${r.detectCapS})`,
      'detect p50/p90/p99 (s)': show(r.failureDetectionPercentilesS),
      '1st susp/decl (s)': `${r.firstSuspicionS ?? '-'} / ${r.firstDeclarationS ?? '-'}`,
      'susp min/max (s)': ((b) => `${round(b.minS)} / ${round(b.maxS)}`)(suspicionBoundsS(r.nodes + 1)),
      'false susp/node-h': r.falseSuspicionsPerNodeHour,
      'false dead/node-h': r.falseDeathsPerNodeHour,
      'pkts/node/s': r.packetsPerNodePerS,
      'B/node/s': r.bytesPerNodePerS,
      'real s': r.realS,
    })),
  )
  const totalRealS = round((performance.now() - started) / 1000)
  process.stderr.write(`total real time ${totalRealS} s\n`)
  if (args.json) {
    console.log(
      JSON.stringify({
        bench: 'cluster',
        seed: args.seed,
        detector: args.detector,
        staleSuspicionRefresh: !args.memberlistRules,
        lossFrom: args.lossFrom,
        preset: 'lan',
        linkLatencyMs: 1,
        definitions: DEFINITIONS,
        totalRealS,
        runs,
      }),
    )
  }
}

main()
