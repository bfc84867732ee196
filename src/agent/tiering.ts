/**
 * V8's optimizing compiler (TurboFan) for `gossamer agent`: off while the agent idles, on for good
 * once the process is busy (every thread's CPU time).
 *
 * Why: the first function TurboFan optimizes maps ~4 MB of the node binary's compiler code and
 * adds ~1 MB of compiler zones and optimized code, about 5 MB of an inline agent's resident memory
 * (issue 13's budget is 50 MB, and a bare Node 20 is already 40 MB of it). An idle agent (probes,
 * gossip, RPC polls: ~0.5% of a core) never needs it, and in an idle agent something always gets
 * hot enough to be optimized sooner or later.
 *
 * Sparkplug (V8's baseline compiler) is off with it: measured with scripts/agent-rss.ts (K = 5
 * inline agents, 30 s settle + 60 s idle), 53.1 -> 51.4 MB median RSS (0.8 MB of it the binary's
 * baseline compiler pages, the rest baseline code and its metadata), with idle CPU unchanged
 * (0.38-0.42% of a core both ways): an idle agent's code runs in V8's interpreter, at a few hundred
 * microseconds of work per second.
 *
 * The cost, bounded: code runs unoptimized until the process has used at least BUSY_CPU of a core
 * in each of BUSY_SAMPLES SAMPLE_MS windows in a row (a hot loop is then up to several times
 * slower, for at most those windows); after it TurboFan is on for the rest of the process. The same for a workers agent (the
 * sampler reads the whole process, every thread): before, it turned TurboFan on at once, and a join
 * burst then cost each of its five isolates its own optimizing compiles of the same code, more than
 * they saved. `npx tsx bench/agents/join-cpu.ts --rounds 2` (K = 5, three runs alternated with
 * the old policy, a load average of 7-9): 81 ms of CPU per workers agent (67-87) against 111
 * (91-153), V8's helper threads (compilers, GC) 0.8-7 ms against 10-26.
 *
 * The flags are process-wide (every isolate) and read by V8 at each tier-up decision, so turning
 * them on later takes effect for code that is already hot.
 *
 * The opt-out: `-tiering=off` (config key `tiering`) turns TurboFan on as soon as the config is
 * read, so the agent tiers up as any Node process does. `serf info` / `gossamer info` show the
 * state in the `agent` section (tieringStats).
 */
import { setFlagsFromString } from 'node:v8'

/** While the agent idles: no optimizing, no baseline compiler (V8's interpreter runs everything). */
export const LEAN_FLAGS = '--no-turbofan --no-sparkplug'
/** Once busy (or -tiering=off): V8's defaults. */
export const FULL_FLAGS = '--sparkplug --turbofan'

/** How often the process's CPU time (every thread's) is sampled (ms). */
export const SAMPLE_MS = 2_000
/**
 * CPU time of the process over one sample, as a fraction of one core, that turns TurboFan on: 5%,
 * about ten times an idle agent's. CPU time, not the event loop's busy wall time: on a loaded
 * machine a waiting thread's slices stretch in wall time (an idle agent's loop measured over 5%
 * busy there), and the process's CPU is every thread's (the main thread, the actors' threads with
 * -placement=workers, and V8's helpers), all of which the agent's own load drives.
 */
export const BUSY_CPU = 0.05
/**
 * Consecutive samples at BUSY_CPU or more that turn TurboFan on (4 s of load): a join burst (the
 * push/pulls, the joins' RPC and the members polls, about 0.1 s of CPU in the interpreter) is one
 * sample and sometimes crossed 5% alone on a loaded machine. An inline agent that did was 5 MB
 * larger for the rest of its life (agent-rss, K = 5, 30 s + 30 s: 54.4 MB against 49.1-49.7 for
 * the four others; 3 of 20 agents across four runs), so one such agent of five put bench:agents'
 * mean over the 50 MB budget; an agent under load keeps crossing it.
 */
export const BUSY_SAMPLES = 2

/** `auto`: TurboFan off while the agent idles (the default); `off`: no such policy, V8's own tiering. */
export type TieringMode = 'auto' | 'off'
export const TIERING_MODES: readonly TieringMode[] = ['auto', 'off']

/** Why TurboFan turned on: the process got busy, or `-tiering=off`. */
export type OptimizingReason = { kind: 'busy'; utilization: number } | { kind: 'tiering-off' }

export interface TieringState {
  mode: TieringMode
  /** True once TurboFan is on. */
  optimizing: boolean
  /** When it turned on (epoch ms); undefined while off. */
  since: number | undefined
  reason: OptimizingReason | undefined
}

export interface Tiering {
  /** The config is read: with `off`, TurboFan turns on now and stays on. `onOptimizing` is told when it turns on, and why. */
  configured(mode: TieringMode, onOptimizing?: (reason: OptimizingReason) => void): void
  /** The agent runs: the process's CPU is watched, whatever the placement. */
  running(placement: 'inline' | 'workers'): void
  /** True once TurboFan is on. */
  readonly optimizing: boolean
  /** The mode, whether TurboFan is on, since when and why (the agent's stats). */
  state(): TieringState
  /** Ends the sampling (shutdown). */
  stop(): void
}

export interface TieringDeps {
  /** Sets V8 flags (default node:v8's setFlagsFromString). */
  setFlags?(flags: string): void
  /** A sampler: each call gives the CPU fraction of one core used since the previous call (default from process.cpuUsage). */
  utilization?(): () => number
  /** Default setInterval, unref'd (the sampling never keeps the process alive). */
  every?(fn: () => void, ms: number): () => void
  /** Epoch ms (default Date.now): when TurboFan turned on, for the stats. */
  now?(): number
}

function realUtilization(): () => number {
  // process.hrtime, not perf_hooks' performance: node:perf_hooks loads eight more built-in modules
  // (about 0.1 MB resident) that an idle agent has no other use for.
  let lastCpu = process.cpuUsage()
  let lastAt = process.hrtime.bigint()
  return () => {
    const cpu = process.cpuUsage(lastCpu)
    const at = process.hrtime.bigint()
    // cpuUsage is in µs, hrtime in ns.
    const fraction = (cpu.user + cpu.system) / Math.max(1, Number(at - lastAt) / 1000)
    lastCpu = process.cpuUsage()
    lastAt = at
    return fraction
  }
}

function realEvery(fn: () => void, ms: number): () => void {
  const t = setInterval(fn, ms)
  t.unref()
  return () => clearInterval(t)
}

/** Turns TurboFan off now (call before the agent loads its modules) and returns its switch. */
export function startLeanTiering(deps: TieringDeps = {}): Tiering {
  const setFlags = deps.setFlags ?? setFlagsFromString
  setFlags(LEAN_FLAGS)
  let mode: TieringMode = 'auto'
  let since: number | undefined
  let reason: OptimizingReason | undefined
  let cancel: (() => void) | undefined
  let tell: ((reason: OptimizingReason) => void) | undefined
  const turnOn = (why: OptimizingReason) => {
    if (reason !== undefined) return
    reason = why
    since = (deps.now ?? Date.now)()
    cancel?.()
    cancel = undefined
    setFlags(FULL_FLAGS)
    tell?.(why)
  }
  return {
    get optimizing() {
      return reason !== undefined
    },
    state: () => ({ mode, optimizing: reason !== undefined, since, reason }),
    configured(m, onOptimizing) {
      mode = m
      tell = onOptimizing
      if (m === 'off') turnOn({ kind: 'tiering-off' })
    },
    running() {
      if (reason !== undefined || cancel !== undefined) return
      const sample = (deps.utilization ?? realUtilization)()
      // The busy samples in a row so far, and the least of them (what was sustained).
      let busy = 0
      let least = Infinity
      cancel = (deps.every ?? realEvery)(() => {
        const u = sample()
        if (u < BUSY_CPU) {
          busy = 0
          least = Infinity
          return
        }
        busy++
        least = Math.min(least, u)
        if (busy >= BUSY_SAMPLES) turnOn({ kind: 'busy', utilization: least })
      }, SAMPLE_MS)
    },
    stop() {
      cancel?.()
      cancel = undefined
    },
  }
}

/** The log line told when TurboFan turns on. */
export function optimizingLine(reason: OptimizingReason): string {
  if (reason.kind === 'busy') return `Optimizing compiler on: ${(reason.utilization * 100).toFixed(1)}% of a core in use`
  return 'Optimizing compiler on (-tiering=off)'
}

/**
 * The `agent` section's tiering keys (Serf's stats: every value a string): `tiering` (auto|off),
 * `turbofan` (on|off), `turbofan_since` (RFC 3339 UTC, '' while off), `turbofan_reason`
 * ('' while off; `busy 6.2%` with the CPU share of one core that did it, `tiering=off`).
 */
export function tieringStats(s: TieringState): Record<string, string> {
  const reason = s.reason === undefined ? '' : s.reason.kind === 'busy' ? `busy ${(s.reason.utilization * 100).toFixed(1)}%` : 'tiering=off'
  return {
    tiering: s.mode,
    turbofan: s.optimizing ? 'on' : 'off',
    turbofan_since: s.since === undefined ? '' : new Date(s.since).toISOString(),
    turbofan_reason: reason,
  }
}
