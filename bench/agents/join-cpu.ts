/**
 * bench:agents' join phase alone, repeated, with what each agent's threads spent on it (issue 13:
 * join convergence with every actor in its own thread). Per round and kind: K fresh agents, agents
 * 1..K-1 send a `join` RPC to agent 0 at once, and every agent is polled with `members` from then
 * on, as bench:agents does (rpc-poll.ts: one persistent RPC connection per agent, every POLL_MS),
 * until all list K alive. Reported per round:
 * - convergenceS: joins sent to all converged (bench:agents' joinConvergenceS), and polls: how many
 *   polls the slowest agent took (1: its first reply showed all K alive);
 * - joinRpcMs: each `join` RPC from sent to answered (the agent's join: its push/pull with agent
 *   0), max over agents;
 * - cpuMsPerAgent: CPU time (ms) of all the agent's threads from the joins sent to convergence, mean
 *   over agents, from /proc/<pid>/task/<tid>/schedstat (ns on a CPU); mainMs of it on the main
 *   thread (the tid equal to the pid: the RPC server and, inline, every actor);
 * - waitMsPerAgent: summed over the agent's threads, the time they were runnable but waiting for
 *   a core (schedstat's run-queue wait). On a shared 2-core machine this is the load's share of the
 *   convergence time, which the CPU figure does not carry; both are per agent, means;
 * - threadsMsPerAgent (workers only): the CPU figure split by thread, means over agents: `main`,
 *   each actor's thread (named `g:<actor>` by the runtime: src/runtime/thread-name.ts), and `other`
 *   (V8's and libuv's helpers: GC, compilers). Before the names, actors were told apart by thread
 *   creation order, and libuv's pool, started lazily after gossip-queue's thread, took its label.
 * Every figure includes answering the polls (a gossamer agent spends 0.9-1.2 ms of CPU on a `members`
 * reply since it reads its own copy of the list, 1.1-2.2 before; a serf agent 0.15-0.22: bench:agents'
 * pollCostMsPerPoll), as it did with the `serf members`
 * CLI this bench polled with before (a connection and handshake per poll, every 100 ms).
 * The CPU figure is the one to compare between placements on a loaded machine: it counts the work
 * (a thread hop's wake-up, clone and turn included), not the waiting.
 *
 * Code cache (src/runtime/code-cache/): as bench:agents, the agents use a folder of the run's own,
 * written first by a cold join of workers agents (printed, not a round); `--code-cache off` runs
 * every agent with `-code-cache=off` instead (each start compiles everything it runs).
 * Usage: npm run build, then npx tsx bench/agents/join-cpu.ts [--k 5] [--rounds 3] [--kinds serf,gossamer-workers,gossamer-inline] [--code-cache primed|off] [--json]
 * Linux only (schedstat). Needs the built CLI and the `serf` binary, as bench:agents.
 */
import type { AgentKind } from '../../test/support/agent-process.ts'
import { spent, threadNames, threadTimes, type ThreadTimes } from './cpu-time.ts'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { coldJoin, startAgent, stopAll, useCodeCache } from './phases.ts'
import { POLL_MS, timeUntil, type AgentRpc } from './rpc-poll.ts'
import { flagValue } from '../support/args.ts'

const PHASE_CAP_MS = 60_000
/** Agents answer RPC before their join is measured; this lets their start-up settle first (ms). */
const SETTLE_MS = 1_000

interface Args {
  k: number
  rounds: number
  kinds: AgentKind[]
  json: boolean
  /** 'primed' (default): a private code cache, written by a cold join first; 'off': `-code-cache=off`. */
  codeCache: 'primed' | 'off'
}

function parseArgs(argv: string[]): Args {
  const value = (flag: string): string | undefined => flagValue(argv, flag)
  const k = Number(value('--k') ?? 5)
  const rounds = Number(value('--rounds') ?? 3)
  const kinds = (value('--kinds') ?? 'serf,gossamer-workers,gossamer-inline').split(',') as AgentKind[]
  if (!Number.isInteger(k) || k < 2) throw new Error('--k must be an integer >= 2')
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be an integer >= 1')
  for (const kind of kinds) if (!['serf', 'gossamer-workers', 'gossamer-inline'].includes(kind)) throw new Error(`unknown kind ${kind}`)
  const codeCache = value('--code-cache') ?? 'primed'
  if (codeCache !== 'primed' && codeCache !== 'off') throw new Error('--code-cache must be primed or off')
  return { k, rounds, kinds, json: argv.includes('--json'), codeCache }
}

/** The actor threads of a workers agent without a snapshot (src/node/compose.ts), by the names their threads take. */
const ACTOR_THREADS = ['gossip-queue', 'member-manager', 'serf-events', 'swim'] as const
/** The thread name of an actor (src/runtime/thread-name.ts: `g:` and the id, 15 bytes kept). */
const threadNameOf = (actor: string): string => `g:${actor}`.slice(0, 15)

/**
 * CPU (ms) between two readings by thread role: `main` (tid = pid), each actor's thread (by its
 * name) and `other` (the rest, threads born in between included).
 */
function byRole(pid: number, before: ThreadTimes, after: ThreadTimes): Record<string, number> {
  const names = threadNames(pid)
  const byName = new Map(ACTOR_THREADS.map((a) => [threadNameOf(a), a]))
  const out: Record<string, number> = { main: 0, ...Object.fromEntries(ACTOR_THREADS.map((a) => [a, 0])), other: 0 }
  for (const [tid, t] of after) {
    const ms = (t.runNs - (before.get(tid)?.runNs ?? 0)) / 1e6
    const role = tid === String(pid) ? 'main' : (byName.get(names.get(tid) ?? '') ?? 'other')
    out[role] = out[role]! + ms
  }
  return out
}

export interface JoinRound {
  kind: AgentKind
  convergenceS: number | null
  polls: number
  joinRpcMs: number
  cpuMsPerAgent: number
  mainMsPerAgent: number
  waitMsPerAgent: number
  /** Workers only: CPU per agent by thread (byRole), means. */
  threadsMsPerAgent?: Record<string, number>
}

const round1 = (x: number) => Math.round(x * 10) / 10
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length

async function joinRound(kind: AgentKind, k: number): Promise<JoinRound> {
  const agents: AgentRpc[] = []
  try {
    for (let i = 0; i < k; i++) agents.push(await startAgent(kind, `${kind}-${i}`, 'lan'))
    await new Promise((r) => setTimeout(r, SETTLE_MS))
    const names = agents.map((a) => a.name)
    const seed = agents[0]!.agent.gossipAddr
    const before = agents.map((a) => threadTimes(a.agent.pid))
    const start = performance.now()
    const [rpcMs, until] = await Promise.all([
      Promise.all(
        agents.slice(1).map(async (a) => {
          await a.join(seed)
          return performance.now() - start
        }),
      ),
      timeUntil(agents, (view) => names.every((n) => view.get(n) === 'alive'), { start, capMs: PHASE_CAP_MS }),
    ])
    const after = agents.map((a) => threadTimes(a.agent.pid))
    const used = agents.map((a, i) => spent(a.agent.pid, before[i]!, after[i]!))
    const roles = kind === 'gossamer-workers' ? agents.map((a, i) => byRole(a.agent.pid, before[i]!, after[i]!)) : undefined
    return {
      kind,
      convergenceS: until.seconds === null ? null : Math.round(until.seconds * 1000) / 1000,
      polls: Math.max(...until.polls),
      joinRpcMs: round1(Math.max(...rpcMs)),
      cpuMsPerAgent: round1(mean(used.map((u) => u.runMs))),
      mainMsPerAgent: round1(mean(used.map((u) => u.mainMs))),
      waitMsPerAgent: round1(mean(used.map((u) => u.waitMs))),
      ...(roles === undefined ? {} : { threadsMsPerAgent: Object.fromEntries(Object.keys(roles[0]!).map((r) => [r, round1(mean(roles.map((x) => x[r]!)))])) }),
    }
  } finally {
    await stopAll(agents)
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  if (args.codeCache === 'off') {
    useCodeCache('off')
    await runRounds(args)
    return
  }
  // As bench:agents: a folder of the run's own, written by a cold join of workers agents first.
  const dir = mkdtempSync(join(tmpdir(), 'gossamer-join-cpu-code-cache-'))
  try {
    useCodeCache(dir)
    if (args.kinds.includes('gossamer-workers')) {
      const cold = await coldJoin('gossamer-workers', args.k, 'lan')
      console.log(`cold join (empty code cache): ${cold.seconds?.toFixed(3) ?? 'not'} s, ${cold.cpuMsPerAgent.toFixed(1)} ms CPU per agent`)
    }
    await runRounds(args)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function runRounds(args: Args): Promise<void> {
  const rounds: JoinRound[] = []
  // Kinds alternate within each round, so a change in the machine's load falls on all of them.
  for (let r = 0; r < args.rounds; r++) for (const kind of args.kinds) rounds.push(await joinRound(kind, args.k))
  console.table(
    rounds.map((r) => ({
      kind: r.kind,
      'converged s': r.convergenceS,
      polls: r.polls,
      'slowest join RPC ms': r.joinRpcMs,
      'CPU ms / agent': r.cpuMsPerAgent,
      'main thread ms / agent': r.mainMsPerAgent,
      'run-queue wait ms / agent': r.waitMsPerAgent,
    })),
  )
  const split = rounds.filter((r) => r.threadsMsPerAgent !== undefined)
  if (split.length > 0) {
    console.log('CPU ms per workers agent by thread (actor threads by name; other: GC, compilers, libuv):')
    console.table(split.map((r) => r.threadsMsPerAgent))
  }
  if (args.json) console.log(JSON.stringify({ bench: 'agents-join-cpu', k: args.k, pollMs: POLL_MS, rounds }))
}

await main()
