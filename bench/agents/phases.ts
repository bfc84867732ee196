/**
 * The timed phases of bench:agents, each on agents that are polled through their own RPC
 * connection (rpc-poll.ts): a join of K fresh agents, a crash and its replacement, a graceful leave,
 * and what the polling itself costs the agents.
 */
import { readdirSync } from 'node:fs'
import { AgentProcess, type AgentKind } from '../../test/support/agent-process.ts'
import { WRITE_AFTER_MS } from '../../src/runtime/code-cache/code-cache.ts'
import { spent, threadTimes } from './cpu-time.ts'
import { AgentRpc, POLL_MS, timeUntil, type MemberView, type Until } from './rpc-poll.ts'

/** A phase whose condition does not hold by then is reported as null (s). */
export const PHASE_CAP_MS = 120_000
/**
 * Crash detection polls every 50 ms, not POLL_MS: it waits ~5-7 s, where a gossamer agent answering
 * a `members` poll every 20 ms would use about 5% of a core (0.9-1.2 ms of CPU a poll in either
 * placement since the node reads its own copy of the member list, 1.1-2.2 ms before; serf's
 * 0.15-0.22: bench:agents' pollCost), enough to turn its optimizing compiler on (src/agent/tiering.ts: 5% of a core in two 2 s samples in a row)
 * in an agent that would otherwise be idle while a peer crashes. 50 ms is under 1% of the
 * detection time, whose spread between trials is a second or more.
 */
export const CRASH_POLL_MS = 50
/** Between an agent answering RPC and the first timed event on it: the start-up's own work settles (ms). */
const SETTLE_MS = 1_000
/** The actor threads of a workers agent without a snapshot (src/node/compose.ts): one code cache file each. */
const CACHED_ACTORS = ['gossip-queue', 'member-manager', 'serf-events', 'swim'] as const
/** Past the code cache's first offer (ms): every thread of the last agent started has made it. */
const CACHE_WRITE_MARGIN_MS = 1_500
/** A join trial slower than this (s) is explained on stderr: its slowest agent's last view before it converged. */
const SLOW_JOIN_S = 2
/**
 * A crash trial slower than this (s) is explained on stderr (explainSlowCrash): past the
 * simulator's longest for a killed process at the defaults (5.54 s over 200 seeds,
 * bench/cluster/crash-detect.ts) and most of serf's trials here (5.65-8.8 s).
 */
const SLOW_CRASH_S = 6
/** Each window of the poll-cost phase (s): unpolled, then polled every POLL_MS. */
const POLL_COST_WINDOW_S = 5

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
const allSee = (names: readonly string[], status: string) => (view: MemberView) => names.every((n) => view.get(n) === status)

/**
 * The code cache folder of the gossamer agents this process starts (`-code-cache`; 'off' for
 * none), set once by the bench: a private one per run, so that no run depends on what an earlier
 * one left. Unset: the agents' default (~/.cache/gossamer/code-cache).
 */
let codeCacheDir: string | undefined

export function useCodeCache(dir: string): void {
  codeCacheDir = dir
}

/**
 * The agents' -log-level (both kinds), set once by the bench: warn by default. At info, memberlist's
 * and Serf's lines of a failure (`Suspect <n> has failed`, `Marking <n> as failed`,
 * `EventMemberFailed: <n>`), which both kinds print, time the stages of a crash trial (crashTrial).
 */
let logLevel: 'warn' | 'info' = 'warn'

export function useLogLevel(level: 'warn' | 'info'): void {
  logLevel = level
}

/** Starts one agent and opens its RPC connection. */
export async function startAgent(kind: AgentKind, name: string, profile: 'lan' | 'wan' | 'local'): Promise<AgentRpc> {
  const flags = [`-log-level=${logLevel}`, ...(kind !== 'serf' && codeCacheDir !== undefined ? [`-code-cache=${codeCacheDir}`] : [])]
  const agent = await AgentProcess.start(kind, name, profile, flags)
  try {
    return await AgentRpc.open(agent)
  } catch (err) {
    await agent.stop('SIGKILL')
    throw err
  }
}

/** Closes the connections and SIGKILLs the processes, waiting for them to exit. */
export async function stopAll(agents: readonly AgentRpc[]): Promise<void> {
  for (const a of agents) a.close()
  await Promise.all(agents.map((a) => a.agent.stop('SIGKILL')))
}

/**
 * The first join of workers agents on this machine: K fresh agents with the run's empty code cache
 * folder, timed as joinTrial, then kept until their threads have written the cache (the first offer,
 * WRITE_AFTER_MS[0] after each thread's start) and stopped. What a user's first start costs; every
 * later start of the run loads that cache (src/runtime/code-cache/).
 */
export async function coldJoin(kind: AgentKind, k: number, profile: 'lan' | 'wan' | 'local'): Promise<JoinTrial> {
  if (codeCacheDir === undefined || codeCacheDir === 'off' || readdirSync(codeCacheDir).length > 0) throw new Error('coldJoin needs useCodeCache() with an empty folder')
  const set: AgentRpc[] = []
  try {
    for (let i = 0; i < k; i++) set.push(await startAgent(kind, `${kind}-cold-${i}`, profile))
    const lastStarted = performance.now()
    const trial = await joinTrial(set)
    await sleep(Math.max(0, lastStarted + WRITE_AFTER_MS[0]! + CACHE_WRITE_MARGIN_MS - performance.now()))
    const files = readdirSync(codeCacheDir)
    const missing = CACHED_ACTORS.filter((a) => !files.some((f) => f.startsWith(`${a}-`) && f.endsWith('.v8cache')))
    if (missing.length > 0) throw new Error(`code cache not written for ${missing.join(', ')} in ${codeCacheDir}`)
    return trial
  } finally {
    await stopAll(set)
  }
}

/** One join trial: its convergence time and what the agents' threads spent on it. */
export interface JoinTrial {
  /** Seconds from just before the joins are sent until every agent lists all alive; null past the cap. */
  seconds: number | null
  /**
   * CPU (ms) of all of an agent's threads over the same span, mean over the agents (schedstat:
   * cpu-time.ts), answering the polls included. A join whose agents spend more CPU than the two
   * cores give in the span is bound by the CPU, not by the protocol's timers: this says which.
   */
  cpuMsPerAgent: number
}

/**
 * agents[1..] send a `join` RPC to agents[0] at once; the time runs from just before the joins are
 * sent until every agent's poll lists all of them alive. Polling starts with the joins, so it does
 * not wait for the join RPCs to return.
 */
export async function joinTrial(agents: readonly AgentRpc[]): Promise<JoinTrial> {
  await sleep(SETTLE_MS)
  const names = agents.map((a) => a.name)
  const seed = agents[0]!.agent.gossipAddr
  const before = agents.map((a) => threadTimes(a.agent.pid))
  const start = performance.now()
  const [joins, until] = await Promise.all([
    Promise.allSettled(agents.slice(1).map((a) => a.join(seed))),
    timeUntil(agents, allSee(names, 'alive'), { start, capMs: PHASE_CAP_MS }),
  ])
  const cpuMs = agents.map((a, i) => spent(a.agent.pid, before[i]!, threadTimes(a.agent.pid)).runMs)
  const failed = joins.find((j) => j.status === 'rejected')
  if (failed !== undefined) throw new Error(`join of ${names.join(',')}: ${String((failed as PromiseRejectedResult).reason)}`)
  explainSlowJoin('join', names, until)
  return { seconds: until.seconds, cpuMsPerAgent: cpuMs.reduce((a, b) => a + b, 0) / cpuMs.length }
}

/** A join slower than SLOW_JOIN_S: which agent held it up, and its last view before it converged (stderr). */
function explainSlowJoin(label: string, names: readonly string[], until: Until): void {
  if (until.seconds !== null && until.seconds <= SLOW_JOIN_S) return
  const times = until.perAgentS.map((t) => (t === null ? Number.POSITIVE_INFINITY : t))
  const slowest = times.indexOf(Math.max(...times))
  const view = [...(until.lastPending[slowest] ?? new Map<string, string>())].map(([n, st]) => `${n}=${st}`).join(' ')
  process.stderr.write(`bench:agents: slow ${label} (${until.seconds ?? 'not'} s): ${names[slowest]} at ${times[slowest]} s, its view before: ${view || 'none'}\n`)
}

export interface CrashTrial {
  victim: string
  /** From the kill -9 until every other live agent lists the victim failed (s). */
  detectionS: number | null
  /**
   * From the kill -9 until the first observer logged `Suspect <victim> has failed` (its probe of
   * the victim failed), and until the first logged `Marking <victim> as failed` (the suspicion
   * ran out); null when no observer logged it (always at -log-level warn: useLogLevel).
   * Detection minus the second is the spread of the news and the polls' lag; the gap between
   * them is the suspicion's timeout.
   */
  firstSuspectS: number | null
  declaredS: number | null
  /** From the replacement's join RPC until every live agent, the replacement too, lists it alive (s). */
  replacementJoinS: number | null
}

/** memberlist's probe interval of each profile (ms): the span the pause before a kill is drawn from. */
export const PROBE_INTERVAL_MS = { lan: 1_000, wan: 5_000, local: 1_000 } as const

/**
 * kill -9 of live[1] (the oldest agent after the seed), timed until every other live agent lists it
 * failed; then a fresh agent `replacementName` joins live[0], timed until all list it alive. Mutates
 * `live`: the victim leaves it and the replacement is appended.
 *
 * The kill comes `phase` (in [0, 1)) of a probe interval after the trial starts. Why: a gossamer
 * agent probes at fixed offsets in each second of the wall clock (aligned ticks,
 * actors/swim/probe-rotation.ts), and the trial starts a fixed time after the replacement join
 * before it converged, itself paced by those ticks. Without the pause the kills fell at nearly the
 * same point of the probe cycle each time: in three runs at d86d223 the first failed probe of the
 * victim was logged 0.51-0.59 s after the kill in 11 of 15 inline trials, and 1.13-1.45 s in 13 of
 * 15 workers trials, where a kill at a random moment gives anything from 0.5 to 1.6 s. The caller
 * draws the phases from a seeded source, the same sequence for every kind.
 */
export async function crashTrial(live: AgentRpc[], kind: AgentKind, profile: 'lan' | 'wan' | 'local', replacementName: string, phase: number): Promise<CrashTrial> {
  const victim = live[1]!
  const observers = live.filter((a) => a !== victim)
  await sleep(phase * PROBE_INTERVAL_MS[profile])
  victim.close()
  const start = performance.now()
  const exited = victim.agent.stop('SIGKILL')
  const detection = await timeUntil(observers, (v) => v.get(victim.name) === 'failed', { start, capMs: PHASE_CAP_MS, pollMs: CRASH_POLL_MS })
  await exited
  live.splice(live.indexOf(victim), 1)
  const stages = logLevel === 'info' ? crashStages(observers, victim.name, start) : { firstSuspectS: null, declaredS: null }
  if (logLevel === 'info' && (detection.seconds === null || detection.seconds > SLOW_CRASH_S)) explainSlowCrash(victim.name, observers, start, detection)

  const replacement = await startAgent(kind, replacementName, profile)
  live.push(replacement)
  await sleep(SETTLE_MS)
  const joinStart = performance.now()
  const [joined, until] = await Promise.all([
    replacement.join(live[0]!.agent.gossipAddr).then(
      () => undefined,
      (err: unknown) => err,
    ),
    timeUntil(live, (v) => v.get(replacementName) === 'alive', { start: joinStart, capMs: PHASE_CAP_MS }),
  ])
  if (joined !== undefined) throw new Error(`join of replacement ${replacementName}: ${String(joined)}`)
  explainSlowJoin(`join of replacement ${replacementName}`, live.map((a) => a.name), until)
  return { victim: victim.name, detectionS: detection.seconds, ...stages, replacementJoinS: until.seconds }
}

/** The log lines of a failure's stages, as memberlist and Serf word them (both kinds print them). */
const crashLines = (victim: string) => ({
  suspect: `Suspect ${victim} has failed`,
  marking: `Marking ${victim} as failed`,
  failed: `EventMemberFailed: ${victim} `,
})

/** Seconds from `start` to the earliest line containing `text` among the agents; null if none logged it. */
function firstLineS(agents: readonly AgentRpc[], text: string, start: number): number | null {
  const times = agents.flatMap((a) => a.agent.linesSince(start, text).map((l) => l.at))
  return times.length === 0 ? null : (Math.min(...times) - start) / 1000
}

function crashStages(observers: readonly AgentRpc[], victim: string, start: number): Pick<CrashTrial, 'firstSuspectS' | 'declaredS'> {
  const lines = crashLines(victim)
  return { firstSuspectS: firstLineS(observers, lines.suspect, start), declaredS: firstLineS(observers, lines.marking, start) }
}

/** A detection slower than SLOW_CRASH_S (or none): each observer's stages and its poll's time (stderr). */
function explainSlowCrash(victim: string, observers: readonly AgentRpc[], start: number, detection: Until): void {
  const lines = crashLines(victim)
  const at = (a: AgentRpc, text: string) => {
    const s = firstLineS([a], text, start)
    return s === null ? '-' : s.toFixed(3)
  }
  const each = observers.map((a, i) => `${a.name}: suspect ${at(a, lines.suspect)} marking ${at(a, lines.marking)} failed-event ${at(a, lines.failed)} polled ${detection.perAgentS[i]?.toFixed(3) ?? 'not'}`)
  process.stderr.write(`bench:agents: slow crash detection of ${victim} (${detection.seconds?.toFixed(3) ?? 'not'} s; seconds since the kill): ${each.join('; ')}\n`)
}

/** SIGINT (Serf's graceful leave) of live[1], timed until every other live agent lists it left. Mutates `live`. */
export async function leaveOnce(live: AgentRpc[]): Promise<number | null> {
  const leaver = live[1]!
  const observers = live.filter((a) => a !== leaver)
  leaver.close()
  const start = performance.now()
  leaver.agent.kill('SIGINT')
  const until = await timeUntil(observers, (v) => v.get(leaver.name) === 'left', { start, capMs: PHASE_CAP_MS })
  await leaver.agent.stop('SIGKILL')
  live.splice(live.indexOf(leaver), 1)
  return until.seconds
}

export interface PollCost {
  /** CPU (ms, every thread) an agent spent per `members` poll it answered, beyond its unpolled rate: per agent. */
  msPerPoll: number[]
  /** The same as % of one core while polled every POLL_MS: per agent. */
  cpuPct: number[]
}

/**
 * What the ruler costs the agents: each agent's CPU over POLL_COST_WINDOW_S unpolled, then over as
 * long polled every POLL_MS; the difference, per poll and per second. Run last, since polling every
 * 20 ms can turn a gossamer agent's optimizing compiler on.
 */
export async function pollCost(live: readonly AgentRpc[]): Promise<PollCost> {
  const t0 = live.map((a) => threadTimes(a.agent.pid))
  const quietStart = performance.now()
  await sleep(POLL_COST_WINDOW_S * 1000)
  const quietS = (performance.now() - quietStart) / 1000
  const t1 = live.map((a) => threadTimes(a.agent.pid))
  const polls0 = live.map((a) => a.polls)
  const start = performance.now()
  await timeUntil(live, () => false, { start, capMs: POLL_COST_WINDOW_S * 1000 })
  const polledS = (performance.now() - start) / 1000
  const t2 = live.map((a) => threadTimes(a.agent.pid))
  const msPerPoll: number[] = []
  const cpuPct: number[] = []
  live.forEach((a, i) => {
    const quietMs = spent(a.agent.pid, t0[i]!, t1[i]!).runMs
    const polledMs = spent(a.agent.pid, t1[i]!, t2[i]!).runMs
    const extraMs = polledMs - (quietMs * polledS) / quietS
    const polls = a.polls - polls0[i]!
    msPerPoll.push(polls > 0 ? extraMs / polls : Number.NaN)
    cpuPct.push((extraMs / 1000 / polledS) * 100)
  })
  return { msPerPoll, cpuPct }
}

