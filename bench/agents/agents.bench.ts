/**
 * K `gossamer agent`s against K `serf agent`s, in one run on loopback, same profile, same ruler:
 * every agent of both kinds is polled with Serf's `members` RPC over one persistent connection
 * (the project's RPC client, bench/agents/rpc-poll.ts) every POLL_MS = 20 ms, each agent on its own
 * cadence, and an agent's time is taken when the reply that first shows the condition arrives.
 *
 * Kinds: serf, gossamer with every actor in its own thread, gossamer with -placement inline; only
 * one kind's agents run at a time, so they do not compete for the 2 cores. Random quantities are
 * repeated `--trials` times (default 5) within the run; each reports the median and every trial.
 * Five, not three: a crash's detection time hangs on when the first member's shuffled round-robin
 * reaches the dead node (0-4 s at K = 5, the same for both kinds), so one trial spans seconds and a
 * median of three flipped the comparison between kinds whose typical times differ by a second
 * (three full runs at 17a1667: gossamer inline 2.6% slower than serf in one, 5-14% faster in two).
 * Each added trial costs about 30 s of the run (a crash and a replacement join per kind, and a
 * join on a fresh set per kind).
 * - coldJoinS (workers, once, first): gossamer agents run with `-code-cache` at a folder of the
 *   run's own, empty at first (src/runtime/code-cache/: V8's compiled code of each actor thread,
 *   kept between starts). The run's first join is of K workers agents with it empty, as a user's
 *   first start on a machine; they write it, and every later agent of the run loads it;
 * - joinConvergenceS: K fresh agents per trial, up for 1 s; agents 1..K-1 send a `join` RPC to
 *   agent 0 at once; from just before the joins are sent until every agent lists K alive. Trials
 *   1..N-1 alternate between the kinds (serf, workers, inline, serf, ...), so a change in the
 *   machine's load falls on every kind; trial N opens each kind's block, whose agents serve the rest.
 *   joinCpuMsPerAgent beside it: what an agent's threads spent over the same span (median of the
 *   trials; phases.ts joinTrial), so a reader on another machine can tell a join bound by CPU (a
 *   gossamer agent's, tens of ms in V8's interpreter: src/agent/tiering.ts) from one bound by the
 *   gossip timers (serf's, a few ms);
 * - warm-up (once): CPU per agent over the `--settle-seconds` (default 30)
 *   after convergence, when a gossamer agent still compiles its hot code and V8's memory reducer
 *   runs its full GCs in each of its isolates (a Go binary has neither); warmupCpuPctPerAgent;
 * - idle (once): CPU (% of one core, utime+stime of all threads) per agent over `--idle-seconds`
 *   (default 60) after the warm-up, unpolled, and RSS (MB) at the end of it;
 * - crashDetectionS: per trial, after a pause of a seeded random fraction of a probe interval (the
 *   same pauses for every kind: phases.ts crashTrial says why), kill -9 of one agent (a different
 *   one each trial, never agent 0), until every other live agent lists it failed (polled every CRASH_POLL_MS = 50 ms: see
 *   phases.ts); then a fresh agent joins agent 0 (replacementJoinTrialsS: until every live agent,
 *   itself too, lists it alive), so each trial starts from K live agents;
 * - leavePropagationS (once, at the end): from SIGINT (Serf's graceful leave) of one agent until
 *   every other live agent lists it as left;
 * - pollCost (once, last): each live agent's CPU over 5 s unpolled, then 5 s polled every POLL_MS:
 *   pollCostMsPerPoll (CPU ms per `members` reply) and pollCostCpuPctPerAgent (% of a core);
 * - turbofanOn (gossamer only): how many live agents had V8's optimizing compiler on after the
 *   idle window and after the crash trials (`stats`' agent section), to see whether the polling
 *   turned it on (src/agent/tiering.ts: at 5% of a core in two 2 s samples in a row).
 * Every time is late by at most its poll interval plus one reply's latency, on both kinds.
 *
 * Targets (issue 13): gossamer's convergence and detection no slower than serf's in the same run
 * (the ratios compare medians); idle CPU <= 1% of a core per agent; RSS <= 120 MB (workers) and
 * <= 50 MB (inline).
 *
 * - crash stages (--log-level info only): per crash trial, the time until the first observer logged
 *   `Suspect <victim> has failed` and `Marking <victim> as failed` (both kinds word them as
 *   memberlist does), and a trial over 6 s explained observer by observer on stderr. Not the
 *   default: at info a gossamer agent also formats and carries a line per member event through its
 *   threads while a join is timed, and three runs at info (at d86d223) were not like the runs at warn
 *   before them: one workers join took 65 ms of CPU per agent (47-56 in six runs at warn), and
 *   serf's join medians were 0.103, 0.082 and 0.142 s (0.142-0.183 in the twelve runs at warn
 *   before). The default keeps runs comparable.
 *
 * Usage: npm run bench:agents -- [--k 5] [--trials 5] [--idle-seconds 60] [--settle-seconds 30] [--profile lan] [--kinds serf,gossamer-workers,gossamer-inline] [--log-level warn|info] [--json]
 * Needs the built CLI (the npm script builds first) and the `serf` binary (scripts/install-deps.sh).
 */
import type { AgentKind } from '../../test/support/agent-process.ts'
import { POLL_MS, type AgentRpc } from './rpc-poll.ts'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CRASH_POLL_MS, coldJoin, crashTrial, joinTrial, leaveOnce, pollCost, startAgent, stopAll, useCodeCache, useLogLevel, type JoinTrial } from './phases.ts'
import { median } from './trials.ts'
import { createSeededRandom } from '../../src/types/random.ts'

/** Seed of the pauses before the crash trials' kills (each a uniform fraction of a probe interval). */
const CRASH_PHASE_SEED = 13
import { flagValue } from '../support/args.ts'

interface Args {
  k: number
  trials: number
  idleSeconds: number
  settleSeconds: number
  profile: 'lan' | 'wan' | 'local'
  kinds: AgentKind[]
  /** The agents' -log-level: warn (default, as every run before) or info (the crash stages: phases.ts). */
  logLevel: 'warn' | 'info'
  json: boolean
}

function parseArgs(argv: string[]): Args {
  const value = (flag: string): string | undefined => flagValue(argv, flag)
  const k = Number(value('--k') ?? 5)
  const trials = Number(value('--trials') ?? 5)
  const idleSeconds = Number(value('--idle-seconds') ?? 60)
  const settleSeconds = Number(value('--settle-seconds') ?? 30)
  const profile = (value('--profile') ?? 'lan') as Args['profile']
  const kinds = (value('--kinds') ?? 'serf,gossamer-workers,gossamer-inline').split(',') as AgentKind[]
  if (!Number.isInteger(k) || k < 3) throw new Error('--k must be an integer >= 3 (one crashes, one leaves)')
  if (!Number.isInteger(trials) || trials < 1) throw new Error('--trials must be an integer >= 1')
  if (!(idleSeconds >= 1)) throw new Error('--idle-seconds must be >= 1')
  if (!(settleSeconds >= 0)) throw new Error('--settle-seconds must be >= 0')
  if (!['lan', 'wan', 'local'].includes(profile)) throw new Error('--profile must be lan, wan or local')
  for (const kind of kinds) if (!['serf', 'gossamer-workers', 'gossamer-inline'].includes(kind)) throw new Error(`unknown kind ${kind}`)
  const logLevel = (value('--log-level') ?? 'warn') as Args['logLevel']
  if (logLevel !== 'warn' && logLevel !== 'info') throw new Error('--log-level must be warn or info')
  return { k, trials, idleSeconds, settleSeconds, profile, kinds, logLevel, json: argv.includes('--json') }
}

type Stat = { mean: number; max: number }

export interface KindResult {
  kind: AgentKind
  /** Medians of the trials; null when the median trial (or one of the two middle ones) passed the cap. */
  joinConvergenceS: number | null
  crashDetectionS: number | null
  leavePropagationS: number | null
  /** Every trial, in order (null: not within the cap). */
  joinConvergenceTrialsS: Array<number | null>
  /**
   * CPU (ms, every thread) an agent spent from the joins to convergence, mean over the trial's
   * agents, answering the polls included: the median of the trials, and every trial. Context, not a
   * target: it says how much of the join's time the agents' CPU can explain on this machine (two
   * cores shared by K agents), and a machine twice as fast halves it.
   */
  joinCpuMsPerAgent: number
  joinCpuMsTrials: number[]
  /**
   * Workers only (null for the others): the run's first join, with the run's code cache folder
   * still empty (phases.ts coldJoin), as a user's first start on a machine; every other start of
   * the run loads the cache those agents wrote. Not one of the trials above.
   */
  coldJoinS: number | null
  coldJoinCpuMsPerAgent: number | null
  crashDetectionTrialsS: Array<number | null>
  /** Per crash trial, from the kill until the first observer logged `Suspect <victim> has failed` (phases.ts CrashTrial); null at --log-level warn. */
  crashFirstSuspectTrialsS: Array<number | null>
  /** Per crash trial, from the kill until the first observer logged `Marking <victim> as failed`. */
  crashDeclaredTrialsS: Array<number | null>
  replacementJoinTrialsS: Array<number | null>
  warmupCpuPctPerAgent: Stat | null
  idleCpuPctPerAgent: Stat
  rssMbPerAgent: Stat
  pollCostMsPerPoll: Stat
  pollCostCpuPctPerAgent: Stat
  /**
   * Gossamer only (null for serf): how many live agents had V8's optimizing compiler on after the
   * idle window and after the crash trials (whose polling must not be what turns it on; the
   * replacements are fresh agents that joined while polled every POLL_MS), of how many.
   */
  turbofanOn: { afterIdle: string; afterCrashTrials: string } | null
}

const round = (x: number) => Math.round(x * 1000) / 1000
const stat = (xs: number[]): Stat => ({ mean: round(xs.reduce((a, b) => a + b, 0) / xs.length), max: round(Math.max(...xs)) })
const roundOrNull = (x: number | null) => (x === null ? null : round(x))

/** "n/m": of the m agents, n have TurboFan on; null when none reports it (serf). */
async function turbofanCount(agents: readonly AgentRpc[]): Promise<string | null> {
  const on = await Promise.all(agents.map((a) => a.turbofanOn()))
  if (on.every((x) => x === undefined)) return null
  return `${on.filter((x) => x === true).length}/${on.length}`
}

/** One join trial on a fresh set of K agents, torn down after. */
async function freshJoin(kind: AgentKind, args: Args): Promise<JoinTrial> {
  const set: AgentRpc[] = []
  try {
    for (let i = 0; i < args.k; i++) set.push(await startAgent(kind, `${kind}-${i}`, args.profile))
    return await joinTrial(set)
  } finally {
    await stopAll(set)
  }
}

/** The kind's last join trial, then on that set: warm-up, idle, crash trials, leave, poll cost. */
async function runKind(kind: AgentKind, args: Args, earlierJoins: JoinTrial[], cold: JoinTrial | undefined): Promise<KindResult> {
  const live: AgentRpc[] = []
  try {
    for (let i = 0; i < args.k; i++) live.push(await startAgent(kind, `${kind}-${i}`, args.profile))
    const joinTrials = [...earlierJoins, await joinTrial(live)]

    const warm0 = live.map((a) => a.agent.cpuSeconds())
    await new Promise((r) => setTimeout(r, args.settleSeconds * 1000))
    const warmupCpuPct = live.map((a, i) => ((a.agent.cpuSeconds() - warm0[i]!) / args.settleSeconds) * 100)
    const cpu0 = live.map((a) => a.agent.cpuSeconds())
    await new Promise((r) => setTimeout(r, args.idleSeconds * 1000))
    const idleCpuPct = live.map((a, i) => ((a.agent.cpuSeconds() - cpu0[i]!) / args.idleSeconds) * 100)
    const rss = live.map((a) => a.agent.rssMb())
    const turbofanAfterIdle = await turbofanCount(live)

    const crashes = []
    // The same pauses before the kills for every kind (phases.ts crashTrial: the probe cycle's phase).
    const phases = createSeededRandom(CRASH_PHASE_SEED)
    for (let c = 0; c < args.trials; c++) crashes.push(await crashTrial(live, kind, args.profile, `${kind}-r${c}`, phases.next()))
    const turbofanAfterCrashes = await turbofanCount(live)
    const leavePropagationS = await leaveOnce(live)
    const cost = await pollCost(live)
    const crashTrials = crashes.map((c) => roundOrNull(c.detectionS))
    const joins = joinTrials.map((j) => roundOrNull(j.seconds))
    const joinCpu = joinTrials.map((j) => Math.round(j.cpuMsPerAgent * 10) / 10)
    return {
      kind,
      joinConvergenceS: roundOrNull(median(joins)),
      crashDetectionS: roundOrNull(median(crashTrials)),
      leavePropagationS: roundOrNull(leavePropagationS),
      joinConvergenceTrialsS: joins,
      joinCpuMsPerAgent: median(joinCpu)!,
      joinCpuMsTrials: joinCpu,
      coldJoinS: cold === undefined ? null : roundOrNull(cold.seconds),
      coldJoinCpuMsPerAgent: cold === undefined ? null : Math.round(cold.cpuMsPerAgent * 10) / 10,
      crashDetectionTrialsS: crashTrials,
      crashFirstSuspectTrialsS: crashes.map((c) => roundOrNull(c.firstSuspectS)),
      crashDeclaredTrialsS: crashes.map((c) => roundOrNull(c.declaredS)),
      replacementJoinTrialsS: crashes.map((c) => roundOrNull(c.replacementJoinS)),
      warmupCpuPctPerAgent: args.settleSeconds > 0 ? stat(warmupCpuPct) : null,
      idleCpuPctPerAgent: stat(idleCpuPct),
      rssMbPerAgent: stat(rss),
      pollCostMsPerPoll: stat(cost.msPerPoll),
      pollCostCpuPctPerAgent: stat(cost.cpuPct),
      turbofanOn: turbofanAfterIdle === null || turbofanAfterCrashes === null ? null : { afterIdle: turbofanAfterIdle, afterCrashTrials: turbofanAfterCrashes },
    }
  } finally {
    await stopAll(live)
  }
}

const list = (xs: ReadonlyArray<number | null>) => xs.map((x) => (x === null ? '-' : x.toFixed(3))).join(', ')

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  // The run's own code cache folder (mkdtemp: 0700), empty until the cold join writes it.
  const cacheDir = mkdtempSync(join(tmpdir(), 'gossamer-bench-code-cache-'))
  try {
    await runAll(args, cacheDir)
  } finally {
    rmSync(cacheDir, { recursive: true, force: true })
  }
}

async function runAll(args: Args, cacheDir: string): Promise<void> {
  useCodeCache(cacheDir)
  useLogLevel(args.logLevel)
  const cold = args.kinds.includes('gossamer-workers') ? await coldJoin('gossamer-workers', args.k, args.profile) : undefined
  const results: KindResult[] = []
  // Join trials 1..N-1 alternate between the kinds, each on a fresh set, so a change in the
  // machine's load falls on every kind alike; trial N opens each kind's own block below.
  const earlier = new Map<AgentKind, JoinTrial[]>(args.kinds.map((kind) => [kind, []]))
  const joinsStarted = performance.now()
  for (let t = 0; t < args.trials - 1; t++) for (const kind of args.kinds) earlier.get(kind)!.push(await freshJoin(kind, args))
  if (args.trials > 1) process.stderr.write(`bench:agents join trials 1-${args.trials - 1}: ${((performance.now() - joinsStarted) / 1000).toFixed(0)} s real time\n`)
  for (const kind of args.kinds) {
    const started = performance.now()
    results.push(await runKind(kind, args, earlier.get(kind)!, kind === 'gossamer-workers' ? cold : undefined))
    process.stderr.write(`bench:agents ${kind}: ${((performance.now() - started) / 1000).toFixed(0)} s real time\n`)
  }
  console.log(`K = ${args.k}, ${args.trials} trials, polled every ${POLL_MS} ms (crash detection every ${CRASH_POLL_MS} ms); times are medians of the trials`)
  console.table(
    results.map((r) => ({
      kind: r.kind,
      'join s': r.joinConvergenceS,
      'join CPU ms/agent': r.joinCpuMsPerAgent,
      'crash s': r.crashDetectionS,
      'leave s': r.leavePropagationS,
      'warm-up CPU % (mean/max)': r.warmupCpuPctPerAgent === null ? '-' : `${r.warmupCpuPctPerAgent.mean} / ${r.warmupCpuPctPerAgent.max}`,
      'idle CPU % (mean/max)': `${r.idleCpuPctPerAgent.mean} / ${r.idleCpuPctPerAgent.max}`,
      'RSS MB (mean/max)': `${r.rssMbPerAgent.mean} / ${r.rssMbPerAgent.max}`,
      'poll cost ms/poll, CPU % (mean)': `${r.pollCostMsPerPoll.mean}, ${r.pollCostCpuPctPerAgent.mean}`,
    })),
  )
  console.table(
    results.map((r) => ({
      kind: r.kind,
      'join trials s': list(r.joinConvergenceTrialsS),
      'join CPU ms/agent trials': r.joinCpuMsTrials.map((x) => x.toFixed(1)).join(', '),
      'cold join s, CPU ms/agent': r.coldJoinS === null ? '-' : `${r.coldJoinS.toFixed(3)}, ${r.coldJoinCpuMsPerAgent}`,
      'crash trials s': list(r.crashDetectionTrialsS),
      'crash: first suspect, declared s': r.crashFirstSuspectTrialsS.map((x, i) => `${x === null ? '-' : x.toFixed(2)}/${r.crashDeclaredTrialsS[i] === null ? '-' : r.crashDeclaredTrialsS[i]!.toFixed(2)}`).join(', '),
      "replacement's join s": list(r.replacementJoinTrialsS),
      'TurboFan on after idle / crashes': r.turbofanOn === null ? '-' : `${r.turbofanOn.afterIdle} / ${r.turbofanOn.afterCrashTrials}`,
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
  if (args.json) {
    const head = { bench: 'agents', k: args.k, profile: args.profile, trials: args.trials, idleSeconds: args.idleSeconds, settleSeconds: args.settleSeconds, logLevel: args.logLevel }
    console.log(JSON.stringify({ ...head, pollMs: POLL_MS, crashPollMs: CRASH_POLL_MS, results, ratios }))
  }
}

await main()
