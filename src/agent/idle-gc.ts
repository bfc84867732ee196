/**
 * A full garbage collection every IDLE_GC_MS in a running agent whose heap is small.
 *
 * Why: an idle agent allocates a little all the time (probes, gossip, timers, RPC polls: about
 * 30 KB/s), and what outlives two scavenges is promoted to the old generation. V8 collects the old
 * generation only when it reaches its allocation limit, which for a fresh process is far above an
 * idle agent's heap: measured (scripts/agent-rss.ts --probe), an idle inline agent's old space grew
 * from 7.7 MB at 20 s to 11.7 MB at 155 s with no full GC, and its RSS from 52 MB to 60 MB after
 * 6 minutes, nearly all of it garbage (a full GC brought the heap in use back to 8.9 MB). V8's
 * memory reducer does not help: it only runs after a full GC has happened.
 *
 * The cost, measured on this heap (about 9 MB live): 13-18 ms of CPU per collection, i.e. about
 * 0.15% of a core at one every 10 s. Every 10 s rather than 30: what is resident at any moment
 * includes the garbage promoted since the last collection, so the interval sets how far RSS swings.
 * `npx tsx scripts/agent-rss.ts --k 5 --settle-seconds 30 --idle-seconds 60 --placement inline`,
 * two runs each way, alternated: median RSS 48.66 and 48.73 MB every 10 s against 49.38 and
 * 49.45 every 30 s, the largest agent 48.95 and 48.88 against 49.67 and 50.02 (issue 13's budget
 * is 50 MB); idle CPU 0.55-0.58% of a core against 0.40-0.43. A big heap (a node of many members) costs more per collection
 * and grows in proportion to its own work, which V8 schedules well: above MAX_HEAP_BYTES in use the
 * collection is skipped (and counted).
 *
 * `gc` is V8's own (the `--expose-gc` extension, set at run time and taken from a new context),
 * not a reimplementation; a runtime where it cannot be had leaves the agent without the upkeep
 * (stats say `idle_gc: unavailable`).
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/** Between two collections (ms). */
export const IDLE_GC_MS = 10_000
/** Heap in use above which no collection is forced (bytes): V8's own scheduling suits big heaps. */
export const MAX_HEAP_BYTES = 64 * 1024 * 1024

export interface IdleGcDeps {
  /** A full collection (default: V8's gc extension); undefined: not available. */
  gc?: (() => void) | undefined
  /** Heap in use, bytes (default process.memoryUsage().heapUsed). */
  heapUsed?(): number
  /** CPU time of the process so far, µs (default process.cpuUsage, user + system). */
  cpuMicros?(): number
  /** Default setInterval, unref'd (the upkeep never keeps the process alive). */
  every?(fn: () => void, ms: number): () => void
}

export interface IdleGcStats {
  available: boolean
  /** Started and not stopped. */
  running: boolean
  /** Collections run, collections skipped (heap above MAX_HEAP_BYTES), and their CPU time (ms). */
  runs: number
  skipped: number
  cpuMs: number
}

export interface IdleGc {
  /** Starts the collections (the agent runs); once. */
  start(): void
  stop(): void
  stats(): IdleGcStats
}

/** V8's gc(), or undefined when the flag cannot be set (e.g. a runtime without it). */
export function v8Gc(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc')
    const gc: unknown = runInNewContext('gc')
    return typeof gc === 'function' ? (gc as () => void) : undefined
  } catch {
    return undefined
  }
}

function realEvery(fn: () => void, ms: number): () => void {
  const t = setInterval(fn, ms)
  t.unref()
  return () => clearInterval(t)
}

const realCpuMicros = (): number => {
  const u = process.cpuUsage()
  return u.user + u.system
}

export function createIdleGc(deps: IdleGcDeps = {}): IdleGc {
  const gc = 'gc' in deps ? deps.gc : v8Gc()
  const heapUsed = deps.heapUsed ?? (() => process.memoryUsage().heapUsed)
  const cpuMicros = deps.cpuMicros ?? realCpuMicros
  const stats: IdleGcStats = { available: gc !== undefined, running: false, runs: 0, skipped: 0, cpuMs: 0 }
  let cancel: (() => void) | undefined
  let started = false
  const collect = () => {
    if (heapUsed() > MAX_HEAP_BYTES) {
      stats.skipped++
      return
    }
    const before = cpuMicros()
    gc!()
    stats.runs++
    stats.cpuMs += (cpuMicros() - before) / 1000
  }
  return {
    start() {
      if (started || gc === undefined) return
      started = true
      stats.running = true
      cancel = (deps.every ?? realEvery)(collect, IDLE_GC_MS)
    },
    stop() {
      cancel?.()
      cancel = undefined
      stats.running = false
    },
    stats: () => ({ ...stats }),
  }
}

/** The `agent` section's keys (every value a string): `idle_gc` (on|off|unavailable), runs, skipped, CPU ms. */
export function idleGcStats(s: IdleGcStats): Record<string, string> {
  return {
    idle_gc: !s.available ? 'unavailable' : s.running ? 'on' : 'off',
    idle_gc_runs: String(s.runs),
    idle_gc_skipped: String(s.skipped),
    idle_gc_cpu_ms: s.cpuMs.toFixed(1),
  }
}
