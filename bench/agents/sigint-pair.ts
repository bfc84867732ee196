/**
 * Two agents given SIGINT at the same instant (issue 13): K agents of one kind on loopback join
 * agent 0, and once every one lists K alive, the last two get SIGINT together. Serf's agent leaves
 * gracefully on SIGINT within 3 s or exits 1 with `Shutdown without a Leave`; this counts, over
 * `--loops` rounds, how often either of the two did that, and how long the pair took to exit.
 *
 * With K = 2 nobody is left to hear the second leave's broadcasts once the first has left: real
 * serf agents then wait out BroadcastTimeout (5 s) and exit 1 (8 of 10 rounds here); Gossamer's
 * leave stops waiting when nobody is left to tell.
 *
 * Usage: npx tsx bench/agents/sigint-pair.ts [--kind gossamer-inline|gossamer-workers|serf] [--loops 10] [--k 2] [--json]
 * Needs the built CLI (`npm run build`) and the `serf` binary (scripts/install-deps.sh).
 */
import type { ChildProcess } from 'node:child_process'
import { AgentProcess, type AgentKind } from '../../test/support/agent-process.ts'
import { flagValue } from '../support/args.ts'

interface Args {
  kind: AgentKind
  loops: number
  k: number
  json: boolean
}

function parseArgs(argv: string[]): Args {
  const value = (flag: string): string | undefined => flagValue(argv, flag)
  const kind = (value('--kind') ?? 'gossamer-inline') as AgentKind
  const loops = Number(value('--loops') ?? 10)
  const k = Number(value('--k') ?? 2)
  if (!['serf', 'gossamer-workers', 'gossamer-inline'].includes(kind)) throw new Error(`unknown kind ${kind}`)
  if (!Number.isInteger(loops) || loops < 1) throw new Error('--loops must be an integer >= 1')
  if (!Number.isInteger(k) || k < 2) throw new Error('--k must be an integer >= 2')
  return { kind, loops, k, json: argv.includes('--json') }
}

interface Round {
  exitCodes: Array<number | null>
  /** From the two SIGINTs until both processes exited (ms). */
  exitMs: number
  withoutLeave: boolean
}

const WITHOUT_LEAVE = 'Shutdown without a Leave'
/** How long the cluster may take to list every agent alive (ms). */
const CONVERGE_CAP_MS = 30_000

async function round(args: Args, i: number): Promise<Round> {
  const agents: AgentProcess[] = []
  try {
    for (let j = 0; j < args.k; j++) agents.push(await AgentProcess.start(args.kind, `pair${i}-${j}`, 'lan'))
    await Promise.all(agents.slice(1).map((a) => a.join(agents[0]!.gossipAddr)))
    const deadline = performance.now() + CONVERGE_CAP_MS
    for (;;) {
      const list = await agents[0]!.members()
      if (list?.filter((m) => m.status === 'alive').length === args.k) break
      if (performance.now() > deadline) throw new Error(`round ${i}: ${args.k} agents did not converge within ${CONVERGE_CAP_MS} ms`)
      await new Promise((r) => setTimeout(r, 100))
    }
    const pair = agents.slice(-2)
    const exits = pair.map((a) => new Promise<number | null>((r) => (a as unknown as { child: ChildProcess }).child.once('exit', (code) => r(code))))
    const t0 = performance.now()
    for (const a of pair) a.kill('SIGINT')
    const exitCodes = await Promise.all(exits)
    return { exitCodes, exitMs: Math.round(performance.now() - t0), withoutLeave: pair.some((a) => a.log().includes(WITHOUT_LEAVE)) }
  } finally {
    await Promise.all(agents.map((a) => a.stop('SIGKILL')))
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const rounds: Round[] = []
  for (let i = 0; i < args.loops; i++) rounds.push(await round(args, i))
  console.table(rounds.map((r, i) => ({ round: i, 'exit codes': r.exitCodes.join(','), 'exit ms': r.exitMs, [WITHOUT_LEAVE]: r.withoutLeave })))
  const withoutLeave = rounds.filter((r) => r.withoutLeave).length
  const ms = rounds.map((r) => r.exitMs).sort((a, b) => a - b)
  console.log(`${args.kind}, K = ${args.k}: ${withoutLeave} of ${args.loops} rounds logged "${WITHOUT_LEAVE}"; exit ms median ${ms[Math.floor(ms.length / 2)]}, max ${ms.at(-1)}`)
  if (args.json) console.log(JSON.stringify({ bench: 'sigint-pair', kind: args.kind, k: args.k, loops: args.loops, withoutLeave, exitMs: ms, rounds }))
}

await main()
