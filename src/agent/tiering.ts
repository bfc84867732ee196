/**
 * V8's optimizing compiler (TurboFan) for `gossamer agent`: off while the agent idles, on for good
 * once its main thread is busy.
 *
 * Why: the first function TurboFan optimizes maps ~4 MB of the node binary's compiler code and
 * adds ~1 MB of compiler zones and optimized code, about 5 MB of an inline agent's resident memory
 * (issue 13's budget is 50 MB, and a bare Node 20 is already 40 MB of it). An idle agent (probes,
 * gossip, RPC polls: ~0.5% of a core) never needs it, and in an idle agent something always gets
 * hot enough to be optimized sooner or later. Sparkplug (V8's baseline compiler) stays on, so an
 * idle agent's code still runs compiled.
 *
 * The cost, bounded: code runs unoptimized until the process has used at least BUSY_CPU of a core
 * over one SAMPLE_MS window (a hot loop is then up to several times slower, for at most that
 * window); after it TurboFan is on for the rest of the process. A workers agent runs its actors in
 * worker threads, where most of its work is, so it turns TurboFan on at once (its budget, 120 MB,
 * has room).
 *
 * The flag is process-wide (every isolate) and read by V8 at each tier-up decision, so turning it
 * on later takes effect for code that is already hot.
 */
import { performance } from 'node:perf_hooks'
import { setFlagsFromString } from 'node:v8'

/** How often the main thread's event loop utilization is sampled (ms). */
export const SAMPLE_MS = 2_000
/**
 * CPU time of the process over one sample, as a fraction of one core, that turns TurboFan on: 5%,
 * about ten times an idle agent's. CPU time, not the event loop's busy wall time: on a loaded
 * machine a waiting thread's slices stretch in wall time (an idle agent's loop measured over 5%
 * busy there), and the process's CPU is the main thread's work plus V8's helpers, all of which an
 * inline agent's own load drives.
 */
export const BUSY_CPU = 0.05

export interface Tiering {
  /** The agent runs: `inline` watches the process's CPU; `workers` turns TurboFan on now. */
  running(placement: 'inline' | 'workers'): void
  /** True once TurboFan is on. */
  readonly optimizing: boolean
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
  /** Told when TurboFan turns on, with the utilization that did it (undefined: a workers agent). */
  onOptimizing?(utilization: number | undefined): void
}

function realUtilization(): () => number {
  let lastCpu = process.cpuUsage()
  let lastAt = performance.now()
  return () => {
    const cpu = process.cpuUsage(lastCpu)
    const at = performance.now()
    // cpuUsage is in µs, performance.now in ms.
    const fraction = (cpu.user + cpu.system) / 1000 / Math.max(1, at - lastAt)
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
  setFlags('--no-turbofan')
  let optimizing = false
  let cancel: (() => void) | undefined
  const turnOn = (utilization: number | undefined) => {
    if (optimizing) return
    optimizing = true
    cancel?.()
    cancel = undefined
    setFlags('--turbofan')
    deps.onOptimizing?.(utilization)
  }
  return {
    get optimizing() {
      return optimizing
    },
    running(placement) {
      if (optimizing || cancel !== undefined) return
      if (placement === 'workers') return turnOn(undefined)
      const sample = (deps.utilization ?? realUtilization)()
      cancel = (deps.every ?? realEvery)(() => {
        const u = sample()
        if (u >= BUSY_CPU) turnOn(u)
      }, SAMPLE_MS)
    },
    stop() {
      cancel?.()
      cancel = undefined
    },
  }
}
