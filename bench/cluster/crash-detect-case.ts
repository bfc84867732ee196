/**
 * One seed of the crash-detection sweep (crash-detect.ts), in the deterministic simulator: N warm
 * members on LAN timings and 1 ms links. Two cases:
 * - crash: one member (picked by the seed) stops; the time (simulated ms) until every other
 *   member holds it dead, and when the first suspicion and the first declaration came. The fault is
 *   its host going down (`host`: nothing answers, a TCP dial times out) or its process dying on a
 *   host that stays up (`process`, kill -9: a TCP dial is refused at once);
 * - slow: one member's packets are delayed `delayMs` each way for `slowMs`, so its acks miss the
 *   probe deadline and peers suspect it; whether any member reported it dead (a false death), and
 *   how many suspicions it drew.
 */
import { SimCluster } from '../../sim/cluster.ts'
import type { SwimInit } from '../../actors/swim/config.ts'

export interface CrashResult {
  /** ms from the crash until every other member holds the node dead (undefined: not within the cap). */
  allDeadMs: number | undefined
  /** ms from the crash to the first suspicion started by a failed probe. */
  firstSuspicionMs: number | undefined
  /** ms from the crash to the first member's own dead declaration. */
  firstDeclarationMs: number | undefined
}

export interface SlowResult {
  /** Members' reports of the slow node as dead (node-left in state dead): false deaths. */
  falseDeaths: number
  /** Suspicions of the slow node started by a failed probe (accusations). */
  accusations: number
  /** Suspicion views of the slow node (accusations and gossip alike). */
  suspicionViews: number
}

/** Warm-up before the fault (ms): probes and gossip ticks under way, phases spread by the seed. */
const WARM_MS = 10_000

function cluster(n: number, seed: number, swim: SwimInit): { c: SimCluster; names: string[] } {
  const c = new SimCluster({ seed, preset: 'lan', swim })
  c.keepEvents = false
  const names = c.warmStart(n).map((m) => m.name)
  // A seed-dependent extra wait, so the fault lands at any phase of the probe and gossip ticks.
  c.run(WARM_MS + c.random.int(1_000))
  return { c, names }
}

/** How the crashed member goes away: its host (SimCluster.crash) or only its process (SimCluster.kill). */
export type CrashFault = 'host' | 'process'

export function crashCase(n: number, seed: number, swim: SwimInit, fault: CrashFault = 'host', capMs = 60_000): CrashResult {
  const { c, names } = cluster(n, seed, swim)
  const victim = names[c.random.int(names.length)]!
  const crashAt = c.clock.now()
  let firstSuspicion: number | undefined
  let firstDeclaration: number | undefined
  const dead = new Set<string>()
  c.onEvent((e) => {
    const out = e.output
    if (out.type === 'suspect' && out.node === victim && out.cause === 'probe') firstSuspicion ??= e.atMs - crashAt
    else if (out.type === 'declared-dead' && out.node === victim) firstDeclaration ??= e.atMs - crashAt
    else if (out.type === 'node-left' && out.node.name === victim && out.node.state === 'dead') dead.add(e.observer)
  })
  if (fault === 'host') c.crash(victim)
  else c.kill(victim)
  const watchers = n - 1
  const at = c.runUntil(() => dead.size >= watchers, capMs)
  return { allDeadMs: at === undefined ? undefined : at - crashAt, firstSuspicionMs: firstSuspicion, firstDeclarationMs: firstDeclaration }
}

export function slowCase(n: number, seed: number, swim: SwimInit, delayMs: number, slowMs: number, afterMs = 60_000): SlowResult {
  const { c, names } = cluster(n, seed, swim)
  const slow = names[c.random.int(names.length)]!
  const r: SlowResult = { falseDeaths: 0, accusations: 0, suspicionViews: 0 }
  c.onEvent((e) => {
    const out = e.output
    if (out.type === 'suspect' && out.node === slow) {
      r.suspicionViews++
      if (out.cause === 'probe') r.accusations++
    } else if (out.type === 'node-left' && out.node.name === slow && out.node.state === 'dead') r.falseDeaths++
  })
  c.slow(slow, delayMs)
  c.run(slowMs)
  c.slow(slow, 0)
  c.run(afterMs)
  return r
}
