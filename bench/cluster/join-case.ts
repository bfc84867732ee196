/**
 * One seed of a join burst in the deterministic simulator, as bench:agents times it on real
 * agents: a member that has run alone for a while (LAN timings, 1 ms links), then K - 1 fresh
 * members that all join it at the same moment. The time (simulated ms) until every member lists
 * every other alive, and how many join rounds (swim's counters.joinNewsSoon) the K members
 * brought forward until then.
 */
import { SimCluster } from '../../sim/cluster.ts'
import type { SwimInit } from '../../actors/swim/config.ts'

export interface JoinResult {
  /** ms from the joins until every member lists all K alive (undefined: not within the cap). */
  convergedMs: number | undefined
  /** Gossip rounds brought forward for join news (swim counters.joinNewsSoon), summed over members. */
  joinRounds: number
}

/** The first member runs alone this long before the joins, plus up to a second by the seed (ms). */
const ALONE_MS = 5_000

export function joinCase(k: number, seed: number, swim: SwimInit, capMs = 10_000): JoinResult {
  const c = new SimCluster({ seed, preset: 'lan', swim })
  c.keepEvents = false
  const first = c.addNode()
  c.run(ALONE_MS + c.random.int(1_000))
  const joiners = Array.from({ length: k - 1 }, () => c.addNode(undefined, [first.name]))
  const start = c.clock.now()
  const at = c.runUntil(() => c.converged(), capMs)
  const joinRounds = [first, ...joiners].reduce((sum, n) => sum + n.swim.counters.joinNewsSoon, 0)
  return { convergedMs: at === undefined ? undefined : at - start, joinRounds }
}
