/**
 * K `gossamer agent`s against K `serf agent`s, in one run on loopback, same profile, same ruler
 * (Serf's own `serf members -format=json` RPC client polls every agent of both kinds).
 *
 * Per kind (serf, gossamer with every actor in its own thread, gossamer with -placement inline),
 * one after the other so they do not compete for the 2 cores:
 * - joinConvergenceS: from the joins being sent (agents 1..K-1 join agent 0 over RPC, all at once)
 *   until every agent lists K alive members;
 * - warm-up: CPU per agent over the `--settle-seconds` (default 30) after convergence, when a
 *   gossamer agent still compiles its hot code and V8's memory reducer runs its full GCs in each of
 *   its isolates (a Go binary has neither); reported apart as warmupCpuPctPerAgent;
 * - idle: CPU (% of one core, utime+stime of all threads) per agent over `--idle-seconds` (default
 *   60) after the warm-up, and RSS (MB) at the end of it;
 * - crashDetectionS: from kill -9 of one agent until every other agent lists it as failed;
 * - leavePropagationS: from SIGINT (Serf's graceful leave) of another until every remaining agent
 *   lists it as left.
 * Times are measured by polling at `POLL_MS`, so each carries up to that much extra on both kinds.
 *
 * Targets (issue 13): gossamer's convergence and detection no slower than serf's in the same run;
 * idle CPU <= 1% of a core per agent; RSS <= 120 MB (workers) and <= 50 MB (inline).
 *
 * Usage: npm run bench:agents -- [--k 5] [--idle-seconds 60] [--settle-seconds 30] [--profile lan] [--kinds serf,gossamer-workers,gossamer-inline] [--json]
 * Needs the built CLI (the npm script builds first) and the `serf` binary (scripts/install-deps.sh).
 */
import { AgentProcess, type AgentKind } from '../../test/support/agent-process.ts'

const POLL_MS = 100
const PHASE_CAP_MS = 120_000

interface Args {
  k: number
  idleSeconds: number
  settleSeconds: number
  profile: 'lan' | 'wan' | 'local'
  kinds: AgentKind[]
  json: boolean
}

function parseArgs(argv: string[]): Args {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag)
    return i >= 0 ? argv[i + 1] : undefined
  }
  const k = Number(value('--k') ?? 5)
  const idleSeconds = Number(value('--idle-seconds') ?? 60)
  const settleSeconds = Number(value('--settle-seconds') ?? 30)
  const profile = (value('--profile') ?? 'lan') as Args['profile']
  const kinds = (value('--kinds') ?? 'serf,gossamer-workers,gossamer-inline').split(',') as AgentKind[]
  if (!Number.isInteger(k) || k < 3) throw new Error('--k must be an integer >= 3 (one crashes, one leaves)')
  if (!(idleSeconds >= 1)) throw new Error('--idle-seconds must be >= 1')
  if (!(settleSeconds >= 0)) throw new Error('--settle-seconds must be >= 0')
  if (!['lan', 'wan', 'local'].includes(profile)) throw new Error('--profile must be lan, wan or local')
  for (const kind of kinds) if (!['serf', 'gossamer-workers', 'gossamer-inline'].includes(kind)) throw new Error(`unknown kind ${kind}`)
  return { k, idleSeconds, settleSeconds, profile, kinds, json: argv.includes('--json') }
}

export interface KindResult {
  kind: AgentKind
  joinConvergenceS: number | null
  crashDetectionS: number | null
  leavePropagationS: number | null
  warmupCpuPctPerAgent: { mean: number; max: number } | null
  idleCpuPctPerAgent: { mean: number; max: number }
  rssMbPerAgent: { mean: number; max: number }
}

/** Polls until `done` holds for every agent's member list, or the cap passes: seconds, or null. */
async function timeUntil(agents: AgentProcess[], done: (members: Map<string, string>) => boolean): Promise<number | null> {
  const start = performance.now()
  const finished = new Set<AgentProcess>()
  while (performance.now() - start < PHASE_CAP_MS) {
    await Promise.all(
      agents
        .filter((a) => !finished.has(a))
        .map(async (a) => {
          const list = await a.members()
          if (list !== undefined && done(new Map(list.map((m) => [m.name, m.status])))) finished.add(a)
        }),
    )
    if (finished.size === agents.length) return (performance.now() - start) / 1000
    await new Promise((r) => setTimeout(r, POLL_MS))
  }
  return null
}

const stat = (xs: number[]) => ({ mean: round(xs.reduce((a, b) => a + b, 0) / xs.length), max: round(Math.max(...xs)) })
const round = (x: number) => Math.round(x * 1000) / 1000

async function runKind(kind: AgentKind, args: Args): Promise<KindResult> {
  const agents: AgentProcess[] = []
  try {
    for (let i = 0; i < args.k; i++) agents.push(await AgentProcess.start(kind, `${kind}-${i}`, args.profile))
    const names = agents.map((a) => a.name)
    const seed = agents[0]!
    const joinStart = performance.now()
    await Promise.all(agents.slice(1).map((a) => a.join(seed.gossipAddr)))
    const joinRest = await timeUntil(agents, (m) => names.every((n) => m.get(n) === 'alive'))
    const joinConvergenceS = joinRest === null ? null : round((performance.now() - joinStart) / 1000)

    const warm0 = agents.map((a) => a.cpuSeconds())
    await new Promise((r) => setTimeout(r, args.settleSeconds * 1000))
    const warmupCpuPct = agents.map((a, i) => ((a.cpuSeconds() - warm0[i]!) / args.settleSeconds) * 100)
    const cpu0 = agents.map((a) => a.cpuSeconds())
    await new Promise((r) => setTimeout(r, args.idleSeconds * 1000))
    const idleCpuPct = agents.map((a, i) => ((a.cpuSeconds() - cpu0[i]!) / args.idleSeconds) * 100)
    const rss = agents.map((a) => a.rssMb())

    const crashed = agents[args.k - 1]!
    crashed.kill('SIGKILL')
    const crashDetectionS = await timeUntil(agents.slice(0, -1), (m) => m.get(crashed.name) === 'failed')

    const leaver = agents[args.k - 2]!
    const leaveStart = performance.now()
    leaver.kill('SIGINT')
    const leaveSeen = await timeUntil(agents.slice(0, -2), (m) => m.get(leaver.name) === 'left')
    const leavePropagationS = leaveSeen === null ? null : round((performance.now() - leaveStart) / 1000)
    return {
      kind,
      joinConvergenceS,
      crashDetectionS: crashDetectionS === null ? null : round(crashDetectionS),
      leavePropagationS,
      warmupCpuPctPerAgent: args.settleSeconds > 0 ? stat(warmupCpuPct) : null,
      idleCpuPctPerAgent: stat(idleCpuPct),
      rssMbPerAgent: stat(rss),
    }
  } finally {
    await Promise.all(agents.map((a) => a.stop('SIGKILL')))
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const results: KindResult[] = []
  for (const kind of args.kinds) {
    const started = performance.now()
    results.push(await runKind(kind, args))
    process.stderr.write(`bench:agents ${kind}: ${((performance.now() - started) / 1000).toFixed(0)} s real time\n`)
  }
  console.table(
    results.map((r) => ({
      kind: r.kind,
      'join s': r.joinConvergenceS,
      'crash s': r.crashDetectionS,
      'leave s': r.leavePropagationS,
      'warm-up CPU % (mean/max)': r.warmupCpuPctPerAgent === null ? '-' : `${r.warmupCpuPctPerAgent.mean} / ${r.warmupCpuPctPerAgent.max}`,
      'idle CPU % (mean/max)': `${r.idleCpuPctPerAgent.mean} / ${r.idleCpuPctPerAgent.max}`,
      'RSS MB (mean/max)': `${r.rssMbPerAgent.mean} / ${r.rssMbPerAgent.max}`,
    })),
  )
  const serf = results.find((r) => r.kind === 'serf')
  const ratios: Record<string, number | null> = {}
  for (const r of results) {
    if (r === serf || serf === undefined) continue
    const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : round(a / b))
    ratios[`${r.kind}.joinVsSerf`] = ratio(r.joinConvergenceS, serf.joinConvergenceS)
    ratios[`${r.kind}.crashVsSerf`] = ratio(r.crashDetectionS, serf.crashDetectionS)
    ratios[`${r.kind}.leaveVsSerf`] = ratio(r.leavePropagationS, serf.leavePropagationS)
  }
  if (Object.keys(ratios).length > 0) console.table(ratios)
  if (args.json) console.log(JSON.stringify({ bench: 'agents', k: args.k, profile: args.profile, idleSeconds: args.idleSeconds, settleSeconds: args.settleSeconds, pollMs: POLL_MS, results, ratios }))
}

await main()
